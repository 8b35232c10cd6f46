"""The app's workflows: what the CLI and the GUI both do, written once.

``Workspace`` (``workspace.py``) holds the config, the data directory, the store and
the voice pack; each workflow module (``archive``, ``voice``, ``drafting``,
``evaluation``) has plain functions that take the workspace first and plain values,
end in ``progress``/``cancel`` keywords as the core's long jobs do, and return records.
What it leaves out: printing, prompting and widgets (``app/commands`` and ``app/gui``
do those); no Qt and no rich here.
"""
