"""Prompt residue in a draft, and the decoding constraint that keeps it out.

``prompt_leaks`` finds the fence boundary (spaces inside it too), fence labels,
"Reply:" lines, chat-template tokens, talk about the task, and five-word runs of the
prompt's own instructions. ``draft_veto`` is the constraint ``Runtime.generate`` applies
while decoding: no boundary run, no greeting to the user, and (optionally) no number
found nowhere in the thread or the archive.

What it leaves out: a paraphrase of the instructions is not residue.
"""

from __future__ import annotations

import re
from typing import Callable, Iterable

from trainer.draft.replycheck.people import _GREET_WORDS
from trainer.draft.replycheck.spans import Span, _dedup

_CHAT_TOKENS = re.compile(r"<\|[^|<>\n]{1,24}\|>|</?(?:start_of_turn|end_of_turn|s)>|\[/?INST\]|<<SYS>>")
_META = re.compile(r"\b(?:here(?:'s| is) (?:a |the |your |my )?(?:sample |draft |copy )?(?:of )?(?:your |the |my |a )?"
                   r"(?:draft|reply|response|e-?mail)\b|"
                   r"draft (?:reply|response)\s*:|as an ai\b|language model\b|the user's (?:reply|voice|own)|"
                   r"in your response you\b|write (?:a|the) reply\b|reply body\b|untrusted data\b)", re.I)
_FRAME_LINE = re.compile(r"^\s*(?:Reply|Message|Subject|From|To|Date)\s*:\s*$|^\s*(?:Reply|Message)\s*:", re.M)
_LABELS = re.compile(r"\[\s*/?\s*(?:EMAIL|EARLIER|EXAMPLE|INCOMING|[Ee]mail)\b|"
                     r"\b(?:EMAIL|EARLIER|EXAMPLE|INCOMING)\s+[0-9a-f]{3,}\b")  # the labels are upper case


def _boundary_runs(draft: str, boundary: str, min_run: int = 4) -> list[Span]:
    """Runs of ``boundary``'s characters in ``draft`` (whitespace inside a run allowed):
    4+ characters when the run mixes digits and letters, 6+ when it is all digits (phone
    numbers and prices share digits with any boundary)."""
    if not boundary:
        return []
    chars = [(i, c.lower()) for i, c in enumerate(draft) if not c.isspace()]
    flat = "".join(c for _, c in chars)
    b = boundary.lower()
    out: list[Span] = []
    i = 0
    while i < len(flat):
        best = 0
        for j in range(len(b)):
            k = 0
            while i + k < len(flat) and j + k < len(b) and flat[i + k] == b[j + k]:
                k += 1
            best = max(best, k)
        run = flat[i:i + best]
        mixed = any(c.isdigit() for c in run) and any(c.isalpha() for c in run)
        if best >= (min_run if mixed else min_run + 2):
            # a run inside a longer word or number is part of it only when it is the whole boundary piece
            s, e = chars[i][0], chars[i + best - 1][0] + 1
            before = draft[s - 1] if s > 0 else " "
            after = draft[e] if e < len(draft) else " "
            if not (before.isalnum() and after.isalnum()) or best >= 6:
                out.append(Span(draft[s:e], s, e, "copies the prompt's fence boundary"))
                i += best
                continue
        i += 1
    return out


_TYPING_NUMBER = re.compile(r"(?<![\w.])\d[\d,]*(?:\.\d*)?$")


def draft_veto(boundary: str, user_first: Iterable[str] = (), opening: str = "",
               numbers: frozenset[str] | None = None) -> Callable[[str, str], bool]:
    """A decoding constraint for ``Runtime.generate(veto=...)``: refuse a piece that
    completes a run of the fence boundary (as ``prompt_leaks`` counts one), that makes
    the reply, past its prefilled ``opening``, start by greeting the user by name, or
    (with ``numbers``, the prefixes of every number in the thread and the archive) that
    types a number of two or more digits found nowhere in them.

    >>> v = draft_veto("64058f3ccb12", ["wren"], "Hi Jo,\\n\\n")
    >>> v("Hi Jo,\\n\\nIt is 640", "58f"), v("Hi Jo,\\n\\nIt is 640", "ish"), v("Hi Jo,\\n\\nWren", ","), v("Hi Jo,\\n\\nDear", " Wren")
    (True, False, True, True)
    >>> v("Hi Jo,\\n\\nI", " think"), v("Hi Jo,\\n\\nWren", " and I")
    (False, False)
    >>> from trainer.draft.replycheck.facts import number_prefixes
    >>> n = draft_veto("", numbers=number_prefixes(["n:27", "n:4.5"]))
    >>> n("It is £", "27"), n("It is £2", "8"), n("It is £", "4.5"), n("It is £4.", "6"), n("I have ", "3")
    (False, True, False, True, False)
    """
    b = boundary.lower()
    names = [n.lower() for n in user_first if n]
    alt = "|".join(map(re.escape, names))
    greet = re.compile(rf"^(?:{_GREET_WORDS}\s+(?:{alt})\b|(?:{alt})\s*[,:—–-])", re.I) if names else None

    def veto(text: str, piece: str) -> bool:
        if numbers is not None and any(c.isdigit() for c in piece):
            m = _TYPING_NUMBER.search(text[-40:] + piece)
            if m is not None:
                typed = m.group(0).replace(",", "").lstrip("0") or "0"
                forms = {typed, typed.rstrip("0")} if "." in typed else {typed}  # "4.50" is "4.5"
                if sum(c.isdigit() for c in typed) >= 2 and not forms & numbers:
                    return True
        if b:
            tail = re.sub(r"\s", "", text[-24:]).lower()
            s = tail + re.sub(r"\s", "", piece).lower()
            new = len(s) - len(tail)
            for n in range(min(len(s), len(b)), 3, -1):
                run = s[-n:]
                if n - new < n and run in b:
                    mixed = any(c.isdigit() for c in run) and any(c.isalpha() for c in run)
                    if n >= (4 if mixed else 6):
                        return True
                    break
        if greet is not None:
            body = (text + piece)[len(opening):] if (text + piece).startswith(opening) else text + piece
            head = body.lstrip()
            if len(head) <= 40 and greet.match(head) and not (greet.match(text[len(opening):].lstrip())
                                                               if text.startswith(opening) else False):
                return True
        return False

    return veto


def frame_ngrams(frame: str, n: int = 5) -> set[tuple[str, ...]]:
    """Five-word runs of the prompt's instruction text (quoted phrases, which can be the
    user's own habits, left out)."""
    frame = re.sub(r'"[^"\n]*"', " ", frame or "")
    ws = re.findall(r"[a-z']+", frame.lower())
    return {tuple(ws[i:i + n]) for i in range(len(ws) - n + 1)}


def prompt_leaks(draft: str, boundary: str = "", frame: set[tuple[str, ...]] | None = None) -> list[Span]:
    out = _boundary_runs(draft, boundary)
    for rx, why in ((_CHAT_TOKENS, "a chat-template token"), (_LABELS, "a fence label from the prompt"),
                    (_FRAME_LINE, "the prompt's frame ('Reply:', 'Message:')"),
                    (_META, "talks about the task instead of replying")):
        out += [Span(m.group(0), m.start(), m.end(), why) for m in rx.finditer(draft)]
    if frame:
        toks = [(m.start(), m.end(), m.group(0).lower()) for m in re.finditer(r"[A-Za-z']+", draft)]
        i = 0
        while i + 5 <= len(toks):
            if tuple(t[2] for t in toks[i:i + 5]) in frame:
                j = i + 5
                while j < len(toks) and tuple(t[2] for t in toks[j - 4:j + 1]) in frame:
                    j += 1
                s, e = toks[i][0], toks[j - 1][1]
                out.append(Span(draft[s:e], s, e, "copies the prompt's instructions"))
                i = j
            else:
                i += 1
    return _dedup(out)
