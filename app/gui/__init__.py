"""The PySide6 desktop app: a thin client over the same core functions the CLI calls.

All Qt code in ownvoice lives in this package. It holds widgets, Qt models over the
core's records (``models``), and one generic worker (``worker``) that runs any core
call off the UI thread and turns its progress, result and errors into signals.

What it leaves out: no core logic (parsing, learning, scoring, drafting) lives here;
pages only call ``ingest``/``trainer`` functions through the worker. Entry points:
``app.gui.main.entry`` (the ``ownvoice-gui`` script) and ``ownvoice gui``.
"""
