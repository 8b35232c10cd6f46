"""Generated text as it streams: UTF-8 decoded incrementally, stop strings held back
until they are told apart (``StreamText``), and lines carrying the prompt's fence left out
(``LineFilter``). Every piece emitted is final.
"""

from __future__ import annotations

import codecs
import re
from typing import Callable, Sequence

OnToken = Callable[[str], None]


class LineFilter:
    """Drops whole lines that contain ``marker``, streaming the rest with little delay:
    a line is held only until it is long enough to have shown the marker, or ends."""

    def __init__(self, marker: str, on_token: OnToken | None) -> None:
        self.marker, self.on_token = marker, on_token
        self.hold = len(marker) + 16
        self.line = ""
        self.streaming = False  # the current line was released; its rest flows through
        self.parts: list[str] = []

    def _out(self, s: str) -> None:
        if s:
            self.parts.append(s)
            if self.on_token is not None:
                self.on_token(s)

    def __call__(self, s: str) -> None:
        while s:
            head, nl, s = s.partition("\n")
            if self.streaming:
                self._out(head + nl)
                self.streaming = not nl
                continue
            self.line += head + nl
            if nl:
                if self.marker not in self.line:
                    self._out(self.line)
                self.line = ""
            elif len(self.line) >= self.hold and self.marker not in self.line:
                self._out(self.line)
                self.line, self.streaming = "", True

    def flush(self) -> None:
        if self.line and self.marker not in self.line:
            self._out(self.line)
        self.line = ""


SENTENCE_END = re.compile(r"""[.!?]["')\]]*$""")


class StreamText:
    """Incremental UTF-8 decoding plus stop strings, holding back only what could be
    the start of a stop string, so every emitted piece is final."""

    def __init__(self, stops: Sequence[str], on_token: OnToken | None) -> None:
        self.stops = tuple(stops)
        self.on_token = on_token
        self.decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.parts: list[str] = []
        self.pending = ""
        self.stopped = False

    def _emit(self, s: str) -> None:
        if s:
            self.parts.append(s)
            if self.on_token is not None:
                self.on_token(s)

    def feed(self, data: bytes) -> bool:
        self.pending += self.decoder.decode(data)
        if not self.stops:
            self._emit(self.pending)
            self.pending = ""
            return False
        cut = min((i for i in (self.pending.find(s) for s in self.stops) if i >= 0), default=-1)
        if cut >= 0:
            self._emit(self.pending[:cut])
            self.pending = ""
            self.stopped = True
            return True
        hold = 0
        for s in self.stops:
            for k in range(min(len(s) - 1, len(self.pending)), 0, -1):
                if self.pending.endswith(s[:k]):
                    hold = max(hold, k)
                    break
        self._emit(self.pending[:len(self.pending) - hold])
        self.pending = self.pending[len(self.pending) - hold:]
        return False

    def at_sentence_end(self, next_piece: bytes = b" ") -> bool:
        """Whether the text so far ends a sentence, given the piece that would follow:
        "." then a space or newline (not "3.5" or "e.g"), or a finished line that does
        not introduce what follows (not "The times are:")."""
        last = (self.parts[-1] if self.parts else "") + self.pending
        if re.search(r"\n\s*$", last):
            return not re.search(r":\s*$", last)
        return bool(SENTENCE_END.search(last)) and next_piece[:1] in (b" ", b"\n")

    def finish(self) -> None:
        tail = self.decoder.decode(b"", final=True)
        if not self.stopped:
            self._emit(self.pending + tail)
        self.pending = ""

    @property
    def text(self) -> str:
        return "".join(self.parts)
