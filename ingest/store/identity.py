"""Whose text is it: the user's own, an assistant's, or someone else's.

A message is the user's own when its sender is one of the user's addresses (``me``,
given with ``--me`` and saved in config). Mail found in a Sent folder but sent from
another address (an assistant such as ina.rangel@example.com sending for
phillip.allen@example.com) is *not* the user's voice.

``propose_aliases`` suggests addresses seen as sender in Sent folders that look like
the user (same display name, same local part at another domain, or a shared
surname-like local-part token at the same domain, e.g. ``k..allen@example.com`` next to
``phillip.allen@example.com``). They are only reported, never adopted silently.
``infer_me`` picks the most frequent sender in Sent folders when no address is given.

What it leaves out: no fuzzy matching of display names, no use of To/Cc to guess
identity, and no reading of account settings from mail clients.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Iterable

_ADDR = re.compile(r"[\w.!#$%&'*+=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)


def norm_addr(addr: str) -> str:
    """Lower-case, strip angle brackets and 'mailto:'.

    >>> norm_addr(" <Phillip.Allen@Example.com> ")
    'phillip.allen@example.com'
    """
    a = (addr or "").strip().strip("<>").strip().lower()
    if a.startswith("mailto:"):
        a = a[7:]
    return a


def norm_name(name: str) -> str:
    """A display name as a sorted bag of lower-case words ('Allen, Phillip K.' ==
    'Phillip K Allen').

    >>> norm_name("Allen, Phillip K.") == norm_name("Phillip K Allen")
    True
    """
    return " ".join(sorted(re.findall(r"\w+", (name or "").lower())))


def is_own(sender: str, me: Iterable[str]) -> bool:
    return bool(sender) and norm_addr(sender) in {norm_addr(m) for m in me}


def _local_tokens(addr: str) -> set[str]:
    local = addr.split("@", 1)[0]
    return {t for t in re.split(r"[._+-]+", local) if len(t) >= 3}


def looks_like_me(addr: str, name: str, me: Iterable[str], my_names: Iterable[str]) -> bool:
    """Whether ``addr`` (display name ``name``) plausibly belongs to the user."""
    a = norm_addr(addr)
    mine = [norm_addr(m) for m in me]
    if not a or a in mine or "@" not in a:
        return False
    local, domain = a.split("@", 1)
    n = norm_name(name)
    if n and len(n.split()) >= 2 and n in {norm_name(x) for x in my_names if x}:
        return True
    for m in mine:
        if "@" not in m:
            continue
        m_local, m_domain = m.split("@", 1)
        if local == m_local:
            return True
        if domain == m_domain and _local_tokens(a) & _local_tokens(m):
            return True
    return False


def names_me(author: str, me: Iterable[str], my_names: Iterable[str]) -> bool:
    """Whether a quote header's author text (a From: value, a Lotus Notes origin line,
    an "On ... wrote:" line) names the user: one of the user's addresses, an address
    that ``looks_like_me``, or every word of one of the user's display names (of two
    words or more).

    >>> names_me("Germany, Chris", ["chris.germany@example.com"], ["Chris Germany"])
    True
    >>> names_me('"Chris Germany" <chris_g61@mail.example>@ENRON', ["chris.germany@example.com"], [])
    False
    >>> names_me("Chris Germany@ECT on 02/29/2000 10:00 AM", [], ["Chris Germany"])
    True
    >>> names_me("Mary Germany", [], ["Chris Germany"])
    False
    """
    mine = {norm_addr(m) for m in me}
    names = [set(norm_name(n).split()) for n in my_names if len(norm_name(n).split()) >= 2]
    words = set(re.findall(r"\w+", (author or "").lower()))
    addrs = [norm_addr(a).rstrip(".") for a in _ADDR.findall(author or "")]
    if any(a in mine for a in addrs):
        return True
    if any(looks_like_me(a, author, me, my_names) for a in addrs):
        return True
    return any(n <= words for n in names)


def propose_aliases(sent_senders: Iterable[tuple[str, str]], me: Iterable[str],
                    my_names: Iterable[str] = ()) -> list[str]:
    """Addresses seen as sender in Sent folders, not in ``me``, that look like the user.

    ``sent_senders`` yields (address, display name) of messages found in Sent folders;
    ``my_names`` are display names seen on the user's own mail.

    >>> propose_aliases([("k..allen@example.com", "Phillip K Allen"),
    ...                  ("ina.rangel@example.com", "Ina Rangel")], ["phillip.allen@example.com"])
    ['k..allen@example.com']
    """
    me = list(me)
    names = list(my_names)
    found = {norm_addr(a) for a, n in sent_senders if looks_like_me(a, n, me, names)}
    return sorted(found)


def infer_me(sent_senders: Iterable[str]) -> str | None:
    """The most frequent sender in Sent folders (ties: alphabetical), or None.

    >>> infer_me(["a@x", "b@x", "b@x"])
    'b@x'
    """
    c = Counter(norm_addr(s) for s in sent_senders if s and "@" in s)
    if not c:
        return None
    return sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]


def first_address(text: str) -> str:
    """The first mail address in a header value, or ''.

    >>> first_address('"Jeff Smith" <jsmith@austintx.com>@ENRON')
    'jsmith@austintx.com'
    """
    m = _ADDR.search(text or "")
    return norm_addr(m.group(0)).rstrip(".") if m else ""
