"""What the layers above need of the store, said as a Protocol (``MailStore``): the reads
learning, drafting and scoring use, and nothing that writes. ``ingest.store.store.Store``
is one; test stand-ins implement the part they need.

What it leaves out: runtime checks (a Protocol here is for readers and type checkers).
"""

from __future__ import annotations

from datetime import datetime
from typing import Callable, Iterator, Protocol, Sequence

import numpy as np

from ingest.kernel.records import Document, Message, ReplyPair

Embed = Callable[[list[str]], np.ndarray]  # texts -> unit vectors, one row each


class MailStore(Protocol):
    def messages(self, own: bool | None = None, source: str | None = None) -> Iterator[Message]: ...

    def count(self, own: bool | None = None) -> int: ...

    def get(self, id: str) -> Message | None: ...  # noqa: A002

    def by_message_id(self, header_id: str) -> Message | None: ...

    def thread(self, message: Message) -> list[Message]: ...

    def reply_pairs(self, source: str | None = None) -> list[ReplyPair]: ...

    def documents(self) -> Iterator[Document]: ...

    def similar_pairs(self, text: str, k: int = 3, exclude_ids: Sequence[str] = (),
                      exclude_thread: str | None = None,
                      before: datetime | None = None) -> list[tuple[ReplyPair, float]]: ...

    def rare_runs(self, text: str, exclude_thread: str | None = None, n: int = 8,
                  max_docs: int = 2) -> list[tuple[int, int]]: ...

    def embed(self, texts: list[str]) -> np.ndarray: ...

    def me(self) -> tuple[tuple[str, ...], bool]: ...

    def my_names(self) -> tuple[str, ...]: ...
