"""atheris harness: arbitrary bytes as an .eml or mbox file through ``iter_source``.

Allowed outcomes: records (``Message``, ``Document``, ``Skip``) or a ``UserError``
for a source that is unusable as a whole. Anything else - any other exception, a
record of another type, a hang past libFuzzer's ``-timeout`` - is a crash.

Run it by hand (libFuzzer flags pass through)::

    python tests/fuzz/fuzz_mail.py -max_total_time=60 CORPUS_DIR [SEED_DIR ...]

``tests/fuzz/test_fuzz.py`` runs it for a bounded time with seeds from
tests/fuzz/seeds/mail and ../shared/corpora/malformed (read where they lie).
What it leaves out: Maildir folders and Outlook .msg/.pst (binary OLE formats that
need structure-aware mutation to reach anything).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

with atheris.instrument_imports(include=["ingest"]):
    from ingest.kernel.privacy import lock_down

    lock_down()
    import ingest.sources  # noqa: F401  (the parsers, instrumented)

from tests.fuzz.common import read_all  # noqa: E402

_DIR = Path(tempfile.mkdtemp(prefix="ov-fuzz-mail-"))


def test_one_input(data: bytes) -> None:
    if not data:
        return
    kind = "mbox" if data.startswith(b"From ") else "eml"  # as a mail client would sniff it
    path = _DIR / f"input.{kind}"
    path.write_bytes(data)
    read_all(path, kind)


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    main()
