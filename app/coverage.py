"""One sentence on how much of the archive is embedded, for the terminal and the
Archive page alike (``Store.coverage()`` holds the numbers)."""

from __future__ import annotations


def describe(cov: dict, *, stopped: bool = False) -> str:
    """What search and retrieval cover while the background pass has work left; "" when
    it has none (``stopped``: the pass was interrupted, say how to go on)."""
    if not cov or not cov.get("remaining"):
        return ""
    parts = []
    pairs = cov.get("pairs") or {}
    if pairs.get("total", 0) > pairs.get("embedded", 0):
        parts.append(f"Drafts draw on your newest {pairs['embedded']:,} of {pairs['total']:,} replies "
                     "(your voice can be learned now); the older ones come next.")
    if cov.get("pending"):
        parts.append(f"Search covers {int(cov['share'] * 100)}% of your mail so far "
                     f"({cov['pending']:,} messages and passages to go).")
    parts.append("`ownvoice embed` embeds the rest (it resumes where it stopped)." if stopped
                 else "The rest is embedded in the background (`ownvoice embed` in a terminal).")
    return " ".join(parts)
