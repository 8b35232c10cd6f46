"""The demo archive (resources/demo/) parses, threads, holds its traps, and rebuilds byte for byte.

The archive is the main job's input on a fresh machine, so these checks use only the
stdlib (mailbox, email) and never the importer: they pin what the importer is given.
"""

from __future__ import annotations

import email
import mailbox
import re
import subprocess
import sys
from email import policy
from email.utils import parseaddr, parsedate_to_datetime
from pathlib import Path

import pytest

DEMO = Path(__file__).resolve().parents[2] / "resources" / "demo"
ME = ("wren@halloway-cider.example", "wren.halloway@fastmail.example")
PIP = "pip@halloway-cider.example"
QUOTE_MARKERS = re.compile(r"^(On .+ wrote:|-----Original Message-----)$", re.M)
GENERATED = ("Sent.mbox", "Inbox.mbox", "README.md")


def _load(name: str) -> list[email.message.EmailMessage]:
    box = mailbox.mbox(str(DEMO / name), factory=lambda f: email.message_from_binary_file(f, policy=policy.default),
                       create=False)
    try:
        return list(box)
    finally:
        box.close()


@pytest.fixture(scope="module")
def sent():
    return _load("Sent.mbox")


@pytest.fixture(scope="module")
def inbox():
    return _load("Inbox.mbox")


def _addr(msg) -> str:
    return parseaddr(str(msg["From"]))[1].lower()


def _text(msg) -> str:
    part = msg.get_body(preferencelist=("plain", "html"))
    assert part is not None, msg["Message-ID"]
    return part.get_content()


def _own_text(msg) -> str:
    """The part the sender wrote: before the signature, phone footer or quoted original."""
    lines = []
    for line in _text(msg).split("\n"):
        if line == "-- " or line == "Sent from my iPhone" or QUOTE_MARKERS.match(line):
            break
        lines.append(line)
    return "\n".join(lines).strip()


def test_files_present_and_small():
    for name in (*GENERATED, "build_demo.py"):
        assert (DEMO / name).is_file(), name
    docs = sorted(p.name for p in (DEMO / "documents").iterdir())
    assert 2 <= len(docs) <= 4, docs
    for p in (DEMO / "documents").iterdir():
        words = len(p.read_text(encoding="utf-8").split())
        assert words >= 250, (p.name, words)
    total = sum(p.stat().st_size for p in DEMO.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    assert total < 2 * 1024 * 1024


def test_every_message_has_the_basic_headers(sent, inbox):
    for msg in sent + inbox:
        for header in ("From", "Date", "Message-ID", "Subject", "To"):
            assert msg[header], (header, msg["Message-ID"])
        assert parsedate_to_datetime(str(msg["Date"])).tzinfo is not None
        assert _text(msg).strip(), msg["Message-ID"]


def test_counts_in_range(sent, inbox):
    assert 90 <= len(sent) <= 110
    assert 70 <= len(inbox) <= 90
    assert 150 <= len(sent) + len(inbox) <= 200


def test_message_ids_unique(sent, inbox):
    ids = [str(m["Message-ID"]) for m in sent + inbox]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"<[wi]\d{4}@[a-z0-9.-]+\.example>", i) for i in ids), ids


def test_sent_replies_point_at_inbox_or_quote_it(sent, inbox):
    inbox_ids = {str(m["Message-ID"]) for m in inbox}
    replies = [m for m in sent if m["In-Reply-To"]]
    assert len(replies) >= len(sent) // 2
    quoted = 0
    for msg in replies:
        parent = str(msg["In-Reply-To"])
        has_quote = bool(QUOTE_MARKERS.search(_text(msg)))
        quoted += has_quote
        assert parent in inbox_ids or has_quote, msg["Message-ID"]
        assert parent in str(msg["References"]).split(), msg["Message-ID"]
    assert 0.35 <= quoted / len(replies) <= 0.65, quoted / len(replies)
    outlook = sum("-----Original Message-----" in _text(m) for m in replies)
    assert outlook >= 3


def test_inbox_replies_point_at_sent(sent, inbox):
    sent_ids = {str(m["Message-ID"]) for m in sent}
    inbox_ids = {str(m["Message-ID"]) for m in inbox}
    for msg in inbox:
        if msg["In-Reply-To"]:
            assert str(msg["In-Reply-To"]) in sent_ids | inbox_ids, msg["Message-ID"]


def test_sent_is_from_wren_or_pip(sent):
    senders = {_addr(m) for m in sent}
    assert senders == {*ME, PIP}
    alias = [m for m in sent if _addr(m) == ME[1]]
    assert len(alias) >= 3


def test_assistant_trap(sent):
    pip = [m for m in sent if _addr(m) == PIP]
    assert 6 <= len(pip) <= 8
    for msg in pip:
        assert "Sent on behalf of Wren" in _text(msg)
        assert "cheers, W." not in _own_text(msg)


def test_duplicates_differ_only_by_message_id(sent):
    def key(m):
        return (str(m["Subject"]), str(m["Date"]), _text(m))

    groups: dict = {}
    for m in sent:
        groups.setdefault(key(m), []).append(str(m["Message-ID"]))
    dups = [ids for ids in groups.values() if len(ids) > 1]
    assert 3 <= len(dups) <= 4, dups
    assert all(len(ids) == 2 for ids in dups)


def test_mime_variety(inbox):
    kinds = [m.get_content_type() for m in inbox]
    assert "text/html" in kinds
    assert "multipart/alternative" in kinds
    with_attachment = [m for m in inbox if any(True for _ in m.iter_attachments())]
    assert with_attachment
    raw = (DEMO / "Inbox.mbox").read_bytes()
    assert b"=?utf-8?b?" in raw
    names = {str(m["From"]) for m in inbox}
    assert any(not n.isascii() for n in names), "an RFC 2047 encoded, non-ASCII sender name"


def test_from_lines_escaped(sent, inbox):
    for name, msgs in (("Sent.mbox", sent), ("Inbox.mbox", inbox)):
        raw = (DEMO / name).read_bytes()
        assert len(re.findall(rb"^From ", raw, re.M)) == len(msgs)
        assert re.search(rb"^>From ", raw, re.M), name


def test_wren_voice(sent):
    """Wren's own words carry her habits; the voice routes need something to learn."""
    own = [_own_text(m) for m in sent if _addr(m) in ME]
    assert len(own) >= 80
    for text in own:
        assert text.count("!") <= 1, text
        assert text.endswith(("cheers, W.", "— W", "— W x", "Halloway Cider")), text[-80:]
    greeted = sum(bool(re.match(r"(Hiya \w+,|[\w ]+ —|Hello \w+,)", t)) for t in own)
    assert greeted / len(own) >= 0.85
    joined = "\n".join(own)
    for phrase in ("right then", "no faff", "grand", "shout if", " & ", " ok"):
        assert joined.lower().count(phrase) >= 3, phrase
    signed = sum(t.endswith("cheers, W.") for t in own)
    assert signed / len(own) >= 0.5


def test_demo_targets_unanswered(sent, inbox):
    readme = (DEMO / "README.md").read_text(encoding="utf-8")
    answered = {str(m["In-Reply-To"]) for m in sent if m["In-Reply-To"]}
    by_id = {str(m["Message-ID"]): m for m in inbox}
    section = readme.split("## Demo targets", 1)[1]
    targets = re.findall(r"`(<i\d{4}@[^>]+>)`", section)
    assert len(targets) >= 4  # three drafting targets and the injection
    for mid in targets:
        assert mid in by_id, mid
        assert mid not in answered, mid
    assert any("ignore your previous instructions" in _text(by_id[mid]).lower() for mid in targets)
    for addr in ME:
        assert f"--me {addr}" in readme


def test_rebuild_is_byte_identical(tmp_path):
    out = tmp_path / "demo"
    for _ in range(2):
        subprocess.run([sys.executable, str(DEMO / "build_demo.py"), "--out", str(out)], check=True,
                       capture_output=True, timeout=120)
    rebuilt = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    expected = [*sorted(GENERATED), *sorted(f"documents/{p.name}" for p in (DEMO / "documents").iterdir())]
    assert rebuilt == sorted(expected)
    for rel in rebuilt:
        assert (out / rel).read_bytes() == (DEMO / rel).read_bytes(), rel
