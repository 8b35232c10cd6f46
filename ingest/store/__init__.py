"""The local store: ``store`` (the Store: SQLite state plus chromadb; its writes are
``writes``, its vectors ``vectors``), ``state`` (the SQLite schema and migrations),
``derive`` (identity, threads and pairs computed from the rows, written by
``Store.finalize``), ``importer`` (a source into the store) and ``imap`` (an IMAP account
into it), ``identity``, ``pairing``, ``edits`` (kept edits), ``embed`` / ``embed_onnx``
(MiniLM) and ``ngrams`` (the leak index). Imports ``sources`` and the kernel.
"""
