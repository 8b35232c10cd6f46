"""The ``ownvoice`` command line.

Each subcommand lives in its own module under ``app/commands`` and exposes
``register(subparsers)``; the parser it adds sets ``func=run(args, ws, term)``: the
``app.workflows.workspace.Workspace`` (config, data dir, store, voice pack; closed when
the command ends) and the ``app.commands.terminal.Terminal`` it prints with. Modules
are discovered, so adding a command touches no shared file.

Errors: a ``UserError`` prints one line (what happened, what to do) and exits 2;
Ctrl-C exits 130 after the job stops at its next step.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from typing import Sequence

from app.commands.terminal import Terminal
from app.workflows.workspace import Workspace
from ingest.kernel.errors import Cancelled, UserError
from ingest.kernel.privacy import lock_down


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ownvoice",
        description="Learn how you write from your own mail, and draft replies in your voice, "
        "entirely on this machine.",
    )
    parser.add_argument("--data-dir", metavar="DIR", default=None,
                        help="where the store and voice packs live (env OWNVOICE_DATA_DIR)")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    parser.add_argument("--allow-remote-store", action="store_true",
                        help="allow a chroma_url on another machine (your mail's ids and vectors go there)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    import app.commands as commands

    for mod in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        if mod.name.startswith("_"):
            continue
        module = importlib.import_module(f"app.commands.{mod.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(sub)
    # the global options work after the command too (`ownvoice import x --data-dir d`);
    # SUPPRESS keeps a value given before the command when the command has none
    for cmd in sub.choices.values():
        opts = {o for a in cmd._actions for o in a.option_strings}
        if "--data-dir" not in opts:
            cmd.add_argument("--data-dir", metavar="DIR", default=argparse.SUPPRESS,
                             help="as before the command: where the store and voice packs live")
        if "--allow-remote-store" not in opts:
            cmd.add_argument("--allow-remote-store", action="store_true", default=argparse.SUPPRESS,
                             help="as before the command")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    lock_down()  # the offline/telemetry switches and the umask, before anything loads
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.version:
        from importlib.metadata import PackageNotFoundError, version

        try:
            print(version("ownvoice"))
        except PackageNotFoundError:
            print("ownvoice (not installed)")
        return 0
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        ws = Workspace.create(data_dir=args.data_dir, allow_remote_store=args.allow_remote_store)
    except UserError as e:  # a broken config.toml: there is no terminal to print with yet
        print(f"error: {e}", file=sys.stderr)
        return e.exit_code
    term = Terminal()
    try:
        with ws:
            rc = args.func(args, ws, term)
        return int(rc or 0)
    except UserError as e:
        term.error(str(e))
        return e.exit_code
    except Cancelled:
        term.error("Cancelled. Run the same command again to resume where it stopped.")
        return 130
    except KeyboardInterrupt:
        term.error("Interrupted. Run the same command again to resume where it stopped.")
        return 130
    except BrokenPipeError:
        return 0


def entry() -> None:  # console script
    sys.exit(main())


if __name__ == "__main__":
    entry()
