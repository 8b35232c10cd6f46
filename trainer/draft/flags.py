"""Warning flags on a draft, shown beside it before the user sends anything.

- ``"link"``: the draft contains a URL the user never wrote in their own mail. The
  EchoLeak pattern - markdown images (``![..](url)``, which a mail client may fetch
  on its own) and URLs with a query string (which can carry text out in the request)
  - is flagged always, even when the user once wrote that URL.
- ``"leak"``: the draft copies a run of 8+ words found in 1..2 archived messages
  outside the thread being answered (``store.rare_runs``): one correspondent's
  private text in a reply to another.

What it leaves out: no link resolution (shorteners are judged by their text), no
check of phone numbers or addresses, no leak check without a store.
"""

from __future__ import annotations

import re
from typing import Iterable

from ingest.kernel.protocols import MailStore
from trainer.draft.storecache import per_store

URL_RE = re.compile(
    r"""(?i)(?:\b[a-z][a-z0-9+.-]*://|\bwww\.|(?<![@\w.-])(?=[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}/))"""
    r"""[^\s<>"'`\])}]+""")  # any scheme, www., or a bare host with a path (clients linkify it)
MD_IMAGE_RE = re.compile(r"!\[[^\]]*\]\(\s*[^)\s]+[^)]*\)")
_TRAIL = ".,;:!?'\")]}>"


def urls_in(text: str) -> list[str]:
    """The URLs in ``text``, trailing punctuation removed.

    >>> urls_in("See https://example.org/a?b=1, or www.x.example.")
    ['https://example.org/a?b=1', 'www.x.example']
    """
    return [m.group(0).rstrip(_TRAIL) for m in URL_RE.finditer(text or "")]


def normalize_url(url: str) -> str:
    """Scheme-less, lower-cased host, no trailing slash: how two mentions compare.

    >>> normalize_url("HTTPS://Www.Example.org/Path/")
    'example.org/Path'
    """
    u = re.sub(r"(?i)^(?:[a-z][a-z0-9+.-]*:)?//", "", url.strip()).rstrip("/")
    host, sep, rest = u.partition("/")
    host = host.lower()
    if host.startswith("www."):
        host = host[4:]
    return host + (sep + rest if rest else "")


def is_exfil_pattern(url: str) -> bool:
    """A URL with a query string carrying data (the EchoLeak shape)."""
    return bool(re.search(r"\?[^\s#]*[=\w]", url))


def own_urls(store: MailStore) -> frozenset[str]:
    """Normalized URLs the user wrote in their own messages (cached per store and size)."""
    if store is None:
        return frozenset()
    return per_store("own_urls", store, _own_urls, own=True)


def _own_urls(store: MailStore) -> frozenset[str]:
    found = set()
    for m in store.messages(own=True):
        for u in urls_in("\n".join((m.text or "", m.signature or ""))):
            found.add(normalize_url(u))
    return frozenset(found)


def link_flag(text: str, known: Iterable[str]) -> bool:
    if MD_IMAGE_RE.search(text or ""):
        return True
    known_set = set(known)
    for u in urls_in(text):
        if is_exfil_pattern(u) or normalize_url(u) not in known_set:
            return True
    return False


def leak_spans(text: str, store: MailStore, thread: str | None) -> list[tuple[int, int]]:
    if store is None or not (text or "").strip():
        return []
    return list(store.rare_runs(text, exclude_thread=thread or None))


def draft_flags(text: str, *, store: MailStore, thread: str | None) -> tuple[str, ...]:
    """``("link", "leak")`` or a subset: the warnings for one draft."""
    flags = []
    if link_flag(text, own_urls(store)):
        flags.append("link")
    if leak_spans(text, store, thread):
        flags.append("leak")
    return tuple(flags)
