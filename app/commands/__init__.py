"""CLI subcommands: one module each, each with ``register(subparsers)`` and
``run(args, ws, term)``; each parses its flags, calls an ``app.workflows`` function and
prints through ``terminal.Terminal`` (the one module here that is no command)."""
