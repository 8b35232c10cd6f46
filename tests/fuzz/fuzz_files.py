"""atheris harness: arbitrary bytes as an Outlook .msg or .pst, a TNEF winmail.dat, a
document (docx, pdf, html, md, txt), or as the *name* of a file in a Maildir.

The first input byte picks the kind, the rest is the file (or, for a Maildir, the file
name, with a fixed message inside). The file goes through ``detect_kind`` and
``iter_source``, as ``ownvoice import`` does. Allowed outcomes: records (``Message``,
``Document``, ``Skip``) or a ``UserError`` for a source that is unusable as a whole.
Anything else - any other exception, a record of another type, a C crash in a parser
library (libpff, pypdf, olefile), a hang past libFuzzer's ``-timeout`` - is a crash.

    python tests/fuzz/fuzz_files.py -max_total_time=60 CORPUS_DIR [SEED_DIR ...]

Seeds are the real Outlook, TNEF and demo document files (tests/fuzz/test_fuzz.py
passes them), each prefixed with the byte that selects its kind.
What it leaves out: structure-aware mutation (a mutated OLE or PST file mostly fails
its header checks; what gets past them is still exercised), IMAP.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

SUFFIXES = (".msg", ".pst", ".dat", ".docx", ".pdf", ".html", ".md", ".txt")
MAILDIR = len(SUFFIXES)  # the selector value that means "a Maildir file name"
_DIR = Path(tempfile.mkdtemp(prefix="ov-fuzz-files-")) if __name__ == "__main__" else Path()
_MESSAGE = b"From: a@example.com\nTo: b@example.com\nSubject: hi\n\nHello there.\n"


def _maildir(name: bytes) -> Path:
    root = _DIR / "Maildir"
    shutil.rmtree(root, ignore_errors=True)
    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(parents=True)
    safe = name.replace(b"/", b"_").replace(b"\x00", b"_")[:200] or b"_"
    if safe in (b".", b".."):
        safe = b"_" + safe
    (root / "cur" / os.fsdecode(safe)).write_bytes(_MESSAGE)
    return root


def test_one_input(data: bytes) -> None:
    if len(data) < 2:
        return
    pick, body = data[0] % (len(SUFFIXES) + 1), data[1:]
    if pick == MAILDIR:
        path = _maildir(body)
    else:
        path = _DIR / f"input{SUFFIXES[pick]}"
        path.write_bytes(body)
    from ingest.kernel.errors import UserError
    from ingest.sources.detect import detect_kind
    from tests.fuzz.common import read_all

    try:
        kind = detect_kind(path)  # as the importer does
    except UserError:
        return
    read_all(path, kind)


def main() -> None:
    import atheris  # here, so the test that builds the seeds can import SUFFIXES without it

    with atheris.instrument_imports(include=["ingest"]):
        from ingest.kernel.privacy import lock_down

        lock_down()
        import ingest.sources.detect  # noqa: F401
        import ingest.sources.documents  # noqa: F401
        import ingest.sources.maildir  # noqa: F401
        import ingest.sources.outlook  # noqa: F401
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    main()
