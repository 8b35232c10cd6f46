"""What every parser harness does with one input file: read it to the end as
``ownvoice import`` would, and touch what the importer touches next. Allowed outcomes
are records (``Message``, ``Document``, ``Skip``) or a ``UserError`` for a source that is
unusable as a whole; anything else raises, which libFuzzer reports as a crash.

Imports happen at call time, so the ``ingest`` modules are the ones each harness loaded
under ``atheris.instrument_imports``."""

from __future__ import annotations

from pathlib import Path


def read_all(path: Path, kind: str) -> None:
    from ingest.kernel.errors import UserError
    from ingest.kernel.records import Document, Message, Skip
    from ingest.sources import iter_source

    try:
        for rec in iter_source(path, kind):
            if not isinstance(rec, (Message, Document, Skip)):
                raise TypeError(f"iter_source yielded {type(rec).__name__}, not a record")
            if isinstance(rec, Message):  # the importer touches these next
                _ = (rec.id, rec.content_hash, rec.text, rec.date)
    except UserError:
        pass
