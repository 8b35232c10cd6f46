"""Helpers for the source-parser tests: small mail files written into tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest

SEP = "From sender@example.com Mon Apr 18 14:23:23 2022\n"


def mail(subject: str, body: str, *, sender: str = "ann@example.com", to: str = "bob@example.com",
         extra: str = "", msgid: str | None = None) -> str:
    mid = msgid or f"<{abs(hash((subject, body))) % 10**12}@example.com>"
    return (f"From: Ann Lee <{sender}>\nTo: {to}\nSubject: {subject}\nDate: Mon, 18 Apr 2022 10:00:00 +0200\n"
            f"Message-ID: {mid}\n{extra}\n{body}\n")


def mbox_text(*messages: str) -> str:
    return "".join(SEP + m + "\n" for m in messages)


@pytest.fixture
def write(tmp_path: Path):
    def _write(rel: str, content: str | bytes) -> Path:
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            content = content.encode("utf-8")
        p.write_bytes(content)
        return p

    return _write
