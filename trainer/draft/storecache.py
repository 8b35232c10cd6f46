"""A cache of things derived from a store, per store object and its size.

``per_store(name, store, build, own=None)`` returns ``build(store)``, computed once
while the store's message count (``store.count(own=own)``) stays the same: an import or
a forget changes the count and the value is built again. Entries are keyed by the store
object itself, weakly (an ``id()`` could be reused by a later store); a store that
cannot be weakly referenced, or that cannot count, is not cached.

What it leaves out: an edit that keeps the count (none exists in ownvoice: messages are
only added or forgotten) would not be seen.
"""

from __future__ import annotations

import threading
import weakref
from typing import Any, Callable, TypeVar
from ingest.kernel.protocols import MailStore

T = TypeVar("T")
_caches: dict[str, "weakref.WeakKeyDictionary[Any, tuple[int, Any]]"] = {}
_lock = threading.Lock()


def per_store(name: str, store: MailStore, build: Callable[[Any], T], *, own: bool | None = None) -> T:
    try:
        n = store.count() if own is None else store.count(own=own)
    except Exception:  # noqa: BLE001 - a store that cannot count is not cached
        return build(store)
    with _lock:
        cache = _caches.setdefault(name, weakref.WeakKeyDictionary())
        try:
            hit = cache.get(store)
        except TypeError:  # cannot be weakly referenced
            hit = None
        if hit is not None and hit[0] == n:
            return hit[1]
    value = build(store)
    with _lock:
        try:
            cache[store] = (n, value)
        except TypeError:
            pass
    return value
