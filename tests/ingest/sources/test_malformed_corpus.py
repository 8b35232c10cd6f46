"""Every file under corpora/malformed is imported or skipped with a reason: no
exception, nothing silently dropped, the source bytes untouched and only read."""

from __future__ import annotations

import builtins
import hashlib
from collections import Counter
from datetime import timezone
from pathlib import Path

import pytest

from ingest.kernel.errors import UserError
from ingest.kernel.records import Document, Message, Skip
from ingest.sources import detect_kind, iter_source
from ingest.sources.common import split_item, walk_files
from ingest.sources.mbox import scan
from ingest.sources.registry import sniff


def _digest(paths: list[Path]) -> dict[Path, str]:
    return {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


@pytest.fixture(scope="module")
def malformed(corpora) -> Path:
    return corpora / "malformed"


def test_every_file_is_accounted_for(malformed, monkeypatch):
    all_files = [p for p in malformed.rglob("*") if p.is_file()]
    before = _digest(all_files)
    opened: list[tuple[str, str]] = []
    real_open = builtins.open

    def spy_open(file, mode="r", *a, **kw):
        opened.append((str(file), mode))
        return real_open(file, mode, *a, **kw)

    monkeypatch.setattr(builtins, "open", spy_open)
    totals: Counter[str] = Counter()
    for top in sorted(p for p in malformed.iterdir() if p.is_dir()):
        kind = detect_kind(top)
        recs = list(iter_source(top, source_key=top.name))
        by_file: Counter[str] = Counter(split_item(r.item)[0] for r in recs)
        files = walk_files(top)
        # every file the walk sees yields at least one record; no record is invented
        assert set(by_file) == {f.relative_to(top).as_posix() for f in files}, top.name
        for f in files:
            rel = f.relative_to(top).as_posix()
            if sniff(f) == "mbox":  # one record per separator the scanner accepts
                with real_open(f, "rb") as fh:
                    assert by_file[rel] == sum(1 for _ in scan(fh)), rel
            elif f.suffix != ".pst":
                assert by_file[rel] == 1, rel
        for r in recs:
            totals[type(r).__name__] += 1
            assert r.source == top.name
            if isinstance(r, Skip):
                assert r.reason.strip(), r
            elif isinstance(r, Message):
                assert r.sender == r.sender.lower()
                assert r.date is None or r.date.tzinfo == timezone.utc
                assert r.own is None and r.thread == ""
                assert isinstance(r.text, str) and isinstance(r.notes, tuple)
        assert kind in ("emldir", "maildir", "mbox")
    assert totals["Message"] > 700 and totals["Skip"] < 40
    assert sum(totals.values()) == totals["Message"] + totals["Skip"] + totals["Document"]
    monkeypatch.setattr(builtins, "open", real_open)
    # only read, never written
    writes = [(f, m) for f, m in opened if any(c in m for c in "wax+")]
    assert writes == []
    assert _digest(all_files) == before


def test_known_crashers_become_best_effort_records(malformed):
    pw = malformed / "patchwork"
    recs = {r.item: r for r in iter_source(pw)}
    # Dates that overflow or are out of range: the message stays, the date is None with a note
    for name in ("fuzz/date.mbox#0", "fuzz/year-out-of-range.mbox#0", "fuzz/dateheader.mbox#0"):
        r = recs[name]
        assert isinstance(r, Message) and r.date is None, name
    assert any("unreadable date" in n for n in recs["fuzz/year-out-of-range.mbox#0"].notes)
    assert isinstance(recs["mail/0010-invalid-charset.mbox#0"], Message)
    assert len(recs["fuzz/msgid-len.mbox#0"].message_id) <= 998
    mp = {r.item: r for r in iter_source(malformed / "mail-parser")}
    wrong_boundary = mp["mail_malformed_3"]  # declared boundary never used: parts recovered
    assert "CLICK AQUI" in wrong_boundary.text and "Content-Type" not in wrong_boundary.body
    assert any("parts recovered" in n for n in wrong_boundary.notes)
    lkml = [r for r in iter_source(malformed / "notmuch" / "lkml") if isinstance(r, Message)]
    assert len(lkml) == 210


def test_single_files_detect_and_parse(malformed):
    """Each mail file on its own (not as part of a folder) also parses or refuses cleanly."""
    seen = Counter()
    for f in sorted(malformed.rglob("*")):
        if not f.is_file() or f.name.startswith("."):
            continue
        try:
            kind = detect_kind(f)
        except UserError as e:
            assert "\n" not in str(e)
            seen["refused"] += 1
            continue
        try:
            recs = list(iter_source(f))
        except UserError:  # only the password-protected store may refuse as a whole
            assert f.name == "passworded.pst"
            continue
        assert recs and all(isinstance(r, (Message, Skip, Document)) for r in recs), f
        seen[kind] += 1
    assert seen["eml"] > 400 and seen["mbox"] > 50 and seen["refused"] < 20
