"""atheris harness: mutated GGUF headers through ``trainer.runtime.gguf_check.check_gguf``.

Allowed outcomes: a parsed header, or a ``UserError`` that says the file is damaged.
Anything else - an IndexError, struct.error, OverflowError, MemoryError, a hang - is a
crash. The seed is the first 64 KB of the embedded SmolLM2 GGUF (written by the
wrapper test into a scratch corpus at run time) plus hand-made seeds in
tests/fuzz/seeds/gguf.

    python tests/fuzz/fuzz_gguf.py -max_total_time=60 CORPUS_DIR [SEED_DIR ...]

What it leaves out: llama.cpp itself is never called (check_gguf exists so that
llama.cpp never sees a file that fails it).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

with atheris.instrument_imports(include=["trainer.runtime.gguf_check"]):
    from ingest.kernel.privacy import lock_down

    lock_down()
    from ingest.kernel.errors import UserError
    from trainer.runtime.gguf_check import GGUFHeader, check_gguf

_PATH = Path(tempfile.mkdtemp(prefix="ov-fuzz-gguf-")) / "model.gguf"


def test_one_input(data: bytes) -> None:
    _PATH.write_bytes(data)
    try:
        h = check_gguf(_PATH)
    except UserError as e:
        if not str(e).strip() or "\n" in e.message:
            raise AssertionError(f"UserError message is not one line: {e!r}") from e
        return
    if not isinstance(h, GGUFHeader):
        raise TypeError(f"check_gguf returned {type(h).__name__}")
    if h.data_offset > h.file_size and h.n_tensors:
        raise AssertionError("accepted a header whose tensor data starts past the end of the file")


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
