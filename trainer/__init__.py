"""ownvoice trainer layer: learn a voice, judge one, draft with one.

Imports ``ingest`` only, never ``app``. No Qt.
"""
