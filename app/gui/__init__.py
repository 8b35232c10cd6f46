"""The PySide6 desktop app: a thin client over the same workflows the CLI calls.

All Qt code in ownvoice lives in this package. It holds the pages, widgets, Qt models
over the workflows' records (``models``), and one generic worker (``worker``) that runs
any ``app.workflows`` function off the UI thread and turns its progress, result and
errors into signals. Each page holds the ``app.workflows.workspace.Workspace``.

What it leaves out: no core logic (parsing, learning, scoring, drafting) and no workflow
lives here; pages import only ``app.workflows`` and ``ingest.kernel`` (lint-imports
holds that), and call the workflows through the worker. Entry points:
``app.gui.main.entry`` (the ``ownvoice-gui`` script) and ``ownvoice gui``.
"""
