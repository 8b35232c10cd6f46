"""What an import derives from the whole archive: who is the user, which messages are
theirs, thread keys, reply pairs and alias proposals. Pure computation over the rows
the store hands it (``Store.pairing_rows``); ``ingest.store.writes`` reads the rows,
calls these and writes the result through the store's API.

What it leaves out: it writes nothing and opens nothing, so it never imports the store.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Iterable, Sequence

from ingest.kernel.records import ReplyPair
from ingest.store.edits import prefer_sent
from ingest.store.identity import infer_me, is_own, propose_aliases
from ingest.store.pairing import Row, find_pairs, thread_keys


@dataclass(frozen=True)
class Ownership:
    """Who the user is and which rows are theirs now."""

    who: tuple[str, ...]  # the addresses used: the saved ones, else the one inferred
    inferred: str  # the address inferred from the Sent folders ("" when saved or none)
    rows: list[Row]  # every row with ``own`` recomputed
    changed: dict[str, bool]  # id -> new ``own``, for the rows whose ``own`` changed
    my_names: tuple[str, ...]  # display names on the user's own mail, sorted


def identity(me: Sequence[str], sent: Iterable[str]) -> tuple[tuple[str, ...], str]:
    """The addresses to count as the user's, and the one inferred. ``me``: the saved
    addresses; ``sent``: the senders of the Sent folders' messages, from which the most
    frequent is inferred when none is saved."""
    inferred = "" if me else (infer_me(sent) or "")
    return tuple(me) or ((inferred,) if inferred else ()), inferred


def ownership(rows: Sequence[Row], who: Sequence[str], inferred: str = "") -> Ownership:
    """Recompute ``own`` for every row from ``identity``'s ``who``."""
    changed: dict[str, bool] = {}
    out = []
    for r in rows:
        own = is_own(r.sender, who)
        if own != r.own:
            changed[r.id] = own
            r = replace(r, own=own)
        out.append(r)
    names = tuple(sorted({r.sender_name for r in out if r.own and r.sender_name}))
    return Ownership(tuple(who), inferred, out, changed, names)


def threads_and_pairs(o: Ownership) -> tuple[dict[str, str], dict[str, ReplyPair]]:
    """Thread key of every message, and the reply pairs (an edit superseded by a sent
    reply dropped: ``edits.prefer_sent``)."""
    threads = thread_keys(o.rows, o.who)
    pairs = prefer_sent({p.id: p for p in find_pairs(o.rows, threads, o.who, o.my_names)})
    return threads, pairs


def aliases(sent_by_source: dict[str, list[tuple[str, str]]], sources: Sequence[str],
            o: Ownership) -> dict[str, list]:
    """Per source, the addresses in its Sent folders that look like the user's too."""
    return {src: propose_aliases(sent_by_source.get(src, []), o.who, o.my_names) for src in sources}
