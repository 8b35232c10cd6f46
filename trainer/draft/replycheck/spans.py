"""A flagged stretch of a draft: its text, offsets into the draft, and the reason."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Span:
    text: str
    start: int
    end: int
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "start": self.start, "end": self.end, "reason": self.reason}


def _dedup(spans: list[Span]) -> list[Span]:
    out: list[Span] = []
    for s in sorted(spans, key=lambda x: (x.start, -(x.end - x.start))):
        if out and s.start < out[-1].end:
            continue
        out.append(s)
    return out
