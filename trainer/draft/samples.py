"""Drawing one draft: a sample with the leak guard, the token budget's cut back to a whole
sentence and the user's sign-off (``sample``), and best-of-N by the reply checks
(``best_of``). Each new sample streams after an ``on_restart`` that says why.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any, Callable
from ingest.kernel.jobs import CancelToken
from ingest.kernel.protocols import MailStore
from trainer.draft.flags import draft_flags
from trainer.draft.replycheck import ReplyChecks
from trainer.draft.scaffold import Scaffold, ends_sentence, said_nothing, whole_sentences
from trainer.runtime.llama import Runtime


LEAK_RETRIES = 2


TRIM_REASON = "This draft ran out of room mid-sentence, so it ends at its last whole sentence."


RETRY_REASON = "This draft {why}, so another sample is being drafted."


KEPT_REASON = "An earlier sample was closer to sendable, so it is kept."


def why_not_usable(c: ReplyChecks) -> str:
    if c.empty:
        return "said nothing"
    if c.unfinished:
        return "stopped mid-sentence"
    if c.sign_off_spans:
        return "signed off before the end"
    if not c.role_ok:
        return "spoke as the sender"
    if c.prompt_leak:
        return "copied the prompt"
    if c.invented:
        return f"stated something not in your mail ({c.invented[0].text!r})"
    return "left a question unanswered"


def best_of(tries: int, sample: Callable[[int, Callable[[str], None] | None], tuple[Any, tuple]],
             check: Callable[[str, tuple], ReplyChecks], on_token: Callable[[str], None] | None,
             on_restart: Callable[[str], None] | None) -> tuple[Any, tuple, ReplyChecks, int, int, ReplyChecks, bool]:
    """Draw up to ``tries`` samples (``sample(k, on_token)``) until one passes
    ``check(text, flags)``.

    Returns (generation, flags, checks, index kept, samples drawn, the first sample's
    checks, cancelled). Each new sample streams after an ``on_restart`` that says why; a
    caller that cannot be told the streamed text is void (no ``on_restart``) sees only the
    first. When an earlier sample is kept, it is streamed again after a restart. A cancel
    stops the search: the best finished sample so far is kept (a cancelled partial one
    only when there is nothing else)."""
    kept: tuple[Any, tuple, ReplyChecks, int] | None = None
    first: ReplyChecks | None = None
    stopped = False
    k = 0
    for k in range(tries):
        if k and on_restart is not None:
            on_restart(RETRY_REASON.format(why=why_not_usable(kept[2])))
        g, flags = sample(k, on_token if (k == 0 or on_restart is not None) else None)
        checks = check(g.text, flags)
        first = first or checks
        if g.finish_reason == "cancelled":
            stopped = True
            if kept is None:
                kept = (g, flags, checks, k)
            break
        if kept is None or better(checks, kept[2]):
            kept = (g, flags, checks, k)
        if checks.usable:
            break
    g, flags, checks, at = kept
    if at != k and on_restart is not None:  # an earlier sample was better: show it again
        on_restart(KEPT_REASON)
        if on_token and g.text:
            on_token(g.text)
    return g, flags, checks, at, k + 1, first, stopped


def better(a: ReplyChecks, b: ReplyChecks) -> bool:
    """Whether checks ``a`` are closer to a sendable reply than ``b`` (usable first, then
    fewer problems; a tie keeps the earlier sample)."""
    return (a.usable, -a.problems()) > (b.usable, -b.problems())


def sample(rt: Runtime, prompt: Any, sc: Scaffold, store: MailStore, thread: str | None, *, seed: int,
            temperature: float, top_p: float, cancel: CancelToken | None, on_token: Callable[[str], None] | None,
            on_restart: Callable[[str], None] | None, extra: dict[str, Any], opening: str) -> tuple[Any, tuple]:
    """One sample: generate, the leak guard, cutting a draft the budget stopped mid-sentence
    back to its last whole sentence, the empty check and the user's sign-off."""
    g = rt.generate(list(prompt.messages), max_tokens=prompt.max_tokens, temperature=temperature,
                    top_p=top_p, seed=seed, on_token=on_token, cancel=cancel,
                    drop_lines_with=prompt.boundary, ban_chars="[", **extra)
    flags = draft_flags(g.text, store=store, thread=thread)
    if "leak" in flags:
        # resamples stream only to a caller that can be told the first text is void
        g, flags = without_leak(rt, prompt, g, flags, store, thread, temperature=temperature, top_p=top_p,
                                 seed=seed, cancel=cancel, on_token=on_token if on_restart else None,
                                 on_restart=on_restart, extra=extra)
    if g.finish_reason in ("length", "context") and not said_nothing(g.text, opening) and not ends_sentence(g.text):
        # the budget ran out mid-sentence: cut back to the last whole sentence, or say so
        whole = whole_sentences(g.text)
        if whole and not said_nothing(whole, opening) and _says_something(whole):
            if on_restart is not None:
                on_restart(TRIM_REASON)
                if on_token:
                    on_token(whole)
            g = replace(g, text=whole)
            # the flags of what is left (a cut link is no longer there), and how the leak guard ended
            kept = tuple(f for f in flags if f in ("regenerated", "redacted"))
            flags = draft_flags(g.text, store=store, thread=thread) + kept + ("trimmed",)
        else:
            flags += ("unfinished",)
    if said_nothing(g.text, opening):  # nothing said, or only the frame
        flags += ("empty",)
    elif g.finish_reason != "cancelled" and "unfinished" not in flags:  # no sign-off glued to half a sentence
        tail = sc.sign_off_piece(g.text)  # the user's sign-off, streamed like the rest
        if tail:
            if on_token:
                on_token(tail)
            g = replace(g, text=g.text + tail)
    if g.finish_reason == "cancelled":
        flags += ("cancelled",)
    return g, flags


def _says_something(text: str) -> bool:
    """Whether ``text`` holds a sentence beyond a greeting line ("Hi Jo," alone does not)."""
    from trainer.score.atoms import split_atoms

    return any(a.kind == "sentence" for a in split_atoms(text))


def without_leak(rt: Runtime, prompt: Any, g: Any, flags: tuple[str, ...], store: MailStore, thread: str | None, *,
                  temperature: float, top_p: float, seed: int, cancel: CancelToken | None,
                  on_token: Callable[[str], None] | None = None,
                  on_restart: Callable[[str], None] | None = None,
                  extra: dict[str, Any] | None = None) -> tuple[Any, tuple]:
    """A draft must not carry another thread's private text (a rare 8-word run from mail
    outside the thread being answered). Resample with other seeds up to ``LEAK_RETRIES``
    times; if every sample still leaks, cut the leaking sentences out of the first one.
    The flags say which happened ("regenerated" or "redacted"), so the user knows.

    Each resample is streamed to ``on_token`` after an ``on_restart(reason)``; a
    redaction restarts and sends the redacted text as one piece."""
    restart = on_restart or (lambda _r: None)
    for k in range(1, LEAK_RETRIES + 1):
        if cancel is not None and cancel.cancelled:
            break
        restart(RESAMPLE_REASON)
        g2 = rt.generate(list(prompt.messages), max_tokens=prompt.max_tokens, temperature=temperature,
                         top_p=top_p, seed=seed + 7919 * k, on_token=on_token, cancel=cancel,
                         drop_lines_with=prompt.boundary, ban_chars="[", **(extra or {}))
        f2 = draft_flags(g2.text, store=store, thread=thread)
        if ("leak" not in f2 and not said_nothing(g2.text, (extra or {}).get("prefix") or "")
                and g2.finish_reason != "cancelled"):
            return g2, f2 + ("regenerated",)
    text = redact_leaks(g.text, store, thread)
    # a cancel during a resample still cancels the whole call
    cancelled = cancel is not None and cancel.cancelled
    restart(CANCEL_REDACT_REASON if cancelled else REDACT_REASON)
    if on_token is not None and text:
        on_token(text)
    finish = "cancelled" if cancelled else g.finish_reason
    return replace(g, text=text, finish_reason=finish), draft_flags(text, store=store, thread=thread) + ("redacted",)


RESAMPLE_REASON = "This draft copied text from mail in another thread, so it is being drafted again."


REDACT_REASON = "Every sample copied text from mail in another thread; those sentences were cut."


CANCEL_REDACT_REASON = "Cancelled: the first draft, less the sentences it copied from mail in another thread."


def redact_leaks(text: str, store: MailStore, thread: str | None) -> str:
    """``text`` without the sentences that copy a rare run from another thread."""
    from trainer.score.checks import leak

    for _ in range(8):  # each pass removes at least one sentence
        rep = leak(text, store, exclude_thread=thread)
        if not rep.leaked:
            return text
        for atom in sorted(rep.leaked, key=lambda a: a.start, reverse=True):
            text = text[:atom.start] + text[atom.end:]
        text = re.sub(r"[ \t]+\n", "\n", re.sub(r"\n{3,}", "\n\n", text)).strip()
    return ""
