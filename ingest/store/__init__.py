"""The local store: ``store`` (the Store: SQLite state plus chromadb), ``state``
(the SQLite schema and migrations), ``derive`` (threads, pairs and identity after an
import), ``importer`` (a source into the store) and ``imap`` (an IMAP account into
it), ``identity``, ``pairing``, ``edits`` (kept edits), ``embed`` / ``embed_onnx``
(MiniLM) and ``ngrams`` (the leak index). Imports ``sources`` and the kernel.
"""
