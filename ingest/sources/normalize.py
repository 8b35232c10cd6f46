"""Splitting a mail body into the author's new text, the quoted/forwarded text, and the
signature (HTML to text is ``htmltext``, Sent-folder names are ``folders``).

Splitting is rule based and line based (fast, explainable). It recognises:
- quote headers: "On ... wrote:" (several languages, wrapped over two lines),
  Outlook "-----Original Message-----" and "From:/Sent:/To:/Subject:" blocks,
  Lotus Notes "---- Forwarded by ... ----" and "Name@ORG on 01/02/2001 ... /To:/cc:/
  Subject:" blocks (Enron), "Begin forwarded message:", Gmail/Apple variants;
  everything from the first such header on is ``quoted``; ``>`` lines before it are
  quoted too (inline replies keep the user's interleaved lines as text);
- signatures: a "-- " delimited block, mobile footers ("Sent from my iPhone"), and a
  trailing contact block (phone / fax / address / URL lines, legal disclaimers).
A sign-off such as "Thanks,\\nPhillip" or "cheers, W." is the user's voice and stays in
``text``.

Left out: language detection, and signatures that are plain prose with no contact
detail (indistinguishable from a sign-off by rules).
"""

from __future__ import annotations

import re


# ---------------------------------------------------------------- quotes & signatures
_WROTE = re.compile(
    r"^(?:On|Le|Am|El|Il|Op|Den|Em|W dniu|Dne|En)\b.{0,300}?"
    r"(?:wrote|writes|a écrit|schrieb\s+[^:\n]{1,120}:|schrieb|escribió|ha scritto|schreef|skrev|escreveu|"
    r"napisał|napsal)\s*:?\s*$",
    re.I,
)
_WROTE_LOOSE = re.compile(r"^.{1,200}(?:wrote|writes|a écrit|schrieb(?:\s+[^:\n]{1,120})?|escribió)\s*:\s*$", re.I)
_SEPARATOR = re.compile(
    r"^\s*(?:-{2,}\s*(?:Original Message|Forwarded message|Forwarded Message|Ursprüngliche Nachricht|"
    r"Message d'origine|Mensaje original|Messaggio originale|Weitergeleitete Nachricht)\s*-{2,}"
    r"|-{3,}\s*(?:Forwarded|Inline attachment|Original appointment)\b.*"
    r"|Begin forwarded message\s*:"
    r"|Anfang der weitergeleiteten Nachricht\s*:"
    r")",
    re.I,
)
_HEADER_LINE = re.compile(
    r"^\s*(?:From|Sent|Date|To|Cc|Bcc|Subject|Von|Gesendet|An|Betreff|De|Envoyé|À|Objet|Para|Asunto|"
    r"Enviado|Reply-To|Sent by)\s*:",
    re.I,
)
_NOTES_ORIGIN = re.compile(
    r"^\s*(?:\"?[^\"\n]{1,80}\"?\s*(?:<[^>\n]*>)?\s+on\s+\d{1,2}/\d{1,2}/\d{2,4}\b.*"
    r"|[^\s@]{1,40}(?:\s[^\s@]{1,40}){0,4}@\S+\s+on\s+\d{1,2}/\d{1,2}/\d{2,4}\b.*)$",
    re.I,
)
_NOTES_DATE = re.compile(r"^\d{1,2}/\d{1,2}/\d{2,4}\s+\d{1,2}:\d{2}(?::\d{2})?\s*(?:[AP]M)?\s*$", re.I)
_QUOTE_PREFIX = re.compile(r"^\s*>")
_SIG_DELIM = re.compile(r"^--\s?$")
_MOBILE = re.compile(
    r"^\s*(?:--\s*)?(?:Sent from my \w[\w ]{0,40}|Sent from (?:Mail|Outlook) for \w+|Sent from Yahoo Mail.*|"
    r"Sent via .{1,60}|Get Outlook for \w+|Sent from my BlackBerry.*|Sent from Samsung .*|"
    r"Von meinem \w+ gesendet|Envoyé de mon \w+|Enviado desde mi \w+|Inviato da \w+.*|"
    r"Sent from ProtonMail.*|Sent with Proton Mail.*)\s*\.?$",
    re.I,
)
_PHONE = re.compile(r"(?:\+\d{1,3}[\s.-]?)?\(?\b\d{3}\)?[\s.-]\d{3}[\s.-]\d{4}\b|\+\d{1,3}(?:[\s.-]?\d{2,4}){3,5}\b")
_NAME_LINE = re.compile(r"^[A-Z][\w'.-]+(?:\s+[A-Z][\w'.-]*){0,3}\s*,?$")
_CONTACT = re.compile(
    r"(?:\b[\w.+-]+@[\w-]+\.[\w.-]+\b|https?://|\bwww\.|\b(?:tel|phone|fax|mobile|cell|direct)\b\s*[:.]"
    r"|\b(?:suite|street|st\.|avenue|ave\.|road|blvd|floor|p\.?o\.? box)\b|\b\d{5}(?:-\d{4})?\b)",
    re.I,
)
_REACH = re.compile(r"\b[\w.+-]+@[\w-]+\.[\w.-]+\b|https?://|\bwww\.", re.I)
_LEGAL = re.compile(
    r"\b(?:confidential|privileged|intended (?:solely |only )?for|disclaimer|"
    r"if you (?:are not|have received)|unauthori[sz]ed)\b",
    re.I,
)


_CANDIDATE = re.compile(
    r"[ \t]*(?:--|__|Begin |Anfang |(?:On|Le|Am|El|Il|Op|Den|Em|W dniu|Dne|En)\b|"
    r"(?:From|Von|De|To)[ \t]*:|\d{1,2}/\d{1,2}/\d{2,4}[ \t])",
    re.I,
)
_WROTE_WORDS = ("wrote", "writes", "a écrit", "schrieb", "escribió")


def _quote_start_fast(body: str, lines: list[str]) -> int:
    """``_quote_start`` that runs the full rules only on lines a cheap test flags."""
    low = body.lower()
    wrote = any(w in low for w in _WROTE_WORDS)
    notes = " on " in body
    match = _CANDIDATE.match
    for i, line in enumerate(lines):
        if match(line) or (wrote and line.rstrip().endswith(":")) or (notes and " on " in line):
            q = _quote_rule(lines, i)
            if q != -1:
                return q
    return len(lines)


def _quote_start(lines: list[str]) -> int:
    """Index of the first line of a quote/forward header, or len(lines)."""
    for i in range(len(lines)):
        q = _quote_rule(lines, i)
        if q != -1:
            return q
    return len(lines)


def _quote_rule(lines: list[str], i: int) -> int:
    """-1, or the index where the quote starts when line ``i`` opens one."""
    n = len(lines)
    line = lines[i]
    s = line.strip()
    if not s:
        return -1
    if _SEPARATOR.match(s):
        return i
    if s.startswith("__") and not s.strip("_") and len(s) >= 10:  # Outlook's rule above a header block
        return i if _header_block_follows(lines, i + 1, need=2) else -1
    if len(s) < 400 and _WROTE.match(s):
        return i
    if i + 1 < n and s and len(s) < 200 and not _QUOTE_PREFIX.match(s):
        joined = s + " " + lines[i + 1].strip()
        if _WROTE.match(joined) and not _WROTE.match(lines[i + 1].strip()):
            return i
    if _WROTE_LOOSE.match(s) and i + 1 < n and _next_is_quote(lines, i + 1):
        return i
    if _NOTES_ORIGIN.match(s) and _header_block_follows(lines, i + 1, need=2):
        return i
    if _NOTES_DATE.match(s) and _header_block_follows(lines, i + 1, need=1):
        j = i - 1  # the sender's name sits on the line above the date
        return j if j >= 0 and lines[j].strip() and not _HEADER_LINE.match(lines[j]) else i
    if _HEADER_LINE.match(s) and s.lower().startswith(("from", "von", "de")):
        if _header_block_follows(lines, i + 1, need=2):
            return i
    if s.lower().startswith("to:") and _header_block_follows(lines, i, need=3):
        return i
    return -1


def _next_is_quote(lines: list[str], j: int) -> bool:
    while j < len(lines) and not lines[j].strip():
        j += 1
    return j < len(lines) and bool(_QUOTE_PREFIX.match(lines[j]))


def _header_block_follows(lines: list[str], j: int, need: int) -> bool:
    """At least ``need`` header-like lines (To:, cc:, Subject:, Sent: ...) within the
    next few lines, allowing wrapped address lines in between."""
    found, k = 0, j
    while k < len(lines) and k < j + (30 if found else 6):
        s = lines[k].strip()
        if _HEADER_LINE.match(s):
            found += 1
            if found >= need:
                return True
        elif not s and found == 0 and k > j + 2:
            return False
        k += 1
    return False


def _split_signature(lines: list[str]) -> tuple[list[str], list[str]]:
    """(text lines, signature lines) for the author's part of a body."""
    if any(line.startswith("--") for line in lines):
        for i, line in enumerate(lines):
            if i > 0 and line.startswith("--") and _SIG_DELIM.match(line):
                return lines[:i], lines[i:]
    sig: list[str] = []
    # mobile footers anywhere in the last few lines
    for i in range(len(lines) - 1, max(-1, len(lines) - 6), -1):
        if _MOBILE.match(lines[i]):
            sig = lines[i:]
            lines = lines[:i]
            break
    # trailing contact / disclaimer paragraphs (at most two)
    rounds = 0
    while True:
        while lines and not lines[-1].strip():
            sig.insert(0, lines.pop())
        if not lines:
            break
        start = len(lines)
        while start > 0 and lines[start - 1].strip():
            start -= 1
        para = lines[start:]
        if not _is_contact_block(para) or _introduces(lines[:start]):
            break
        keep = _signoff_prefix(para)
        if start == 0 and keep == 0:
            break  # the whole message would be signature: keep it as text
        sig[:0] = para[keep:]
        lines = lines[:start] + para[:keep]
        if keep or rounds >= 1:
            break
        rounds += 1
    return lines, sig


def _is_contact_block(para: list[str]) -> bool:
    """A trailing paragraph of contact details (name, title, phone, mail, address)
    or a legal disclaimer; prose and tables of numbers are not."""
    text = " ".join(para)
    if len(_LEGAL.findall(text)) >= 2:
        return True
    if len(para) < 2 or len(para) > 10 or any(len(ln.strip()) > 60 for ln in para):
        return False
    if any(re.search(r"[a-z]{2,}[.!?]\s*$", ln.strip()) for ln in para):
        return False
    if not any(_PHONE.search(ln) or _REACH.search(ln) for ln in para):
        return False  # no phone, mail address or web address: not a contact block
    contact = sum(1 for ln in para if _CONTACT.search(ln) or _PHONE.search(ln))
    is_name = bool(_NAME_LINE.match(para[0].strip()))
    return contact * 2 >= len(para) or is_name


def _introduces(before: list[str]) -> bool:
    """The text above ends by announcing the block ("The address is", "Call me at:")."""
    for ln in reversed(before):
        if ln.strip():
            return bool(re.search(r"(?::|\b(?:is|are|at|to|below|here)\b)\s*$", ln.strip(), re.I))
    return False


def _signoff_prefix(para: list[str]) -> int:
    """How many leading lines of a contact paragraph are a sign-off + name to keep."""
    first = para[0].strip()
    if re.match(
        r"^(?:thanks?|thank you|thx|cheers|regards|best|kind regards|best regards|sincerely|yours)\b.{0,25}$",
        first,
        re.I,
    ):
        if len(para) > 1 and len(para[1].split()) <= 3 and not _CONTACT.search(para[1]) and not _PHONE.search(para[1]):
            return 2
        return 1
    return 0


_SUBJECT = re.compile(r"^\s*(?:Subject|Betreff|Objet|Asunto)\s*:", re.I)
_AUTHOR_HEADER = re.compile(r"^\s*(?:From|Von|De)\s*:\s*(.*)$", re.I)


def quoted_blocks(quoted: str) -> list[tuple[str, str]]:
    """The quoted/forwarded text of a body split at each quote header, as
    (author, text) pairs. ``author`` is what the header says about who wrote the
    block (a From: value, a Lotus Notes origin line, an "On ... wrote:" line) or "".
    A "Forwarded by X" separator names the forwarder, not an author, so it gives "".
    ``text`` keeps the block's lines after its header, ">" markers included.

    >>> quoted_blocks("-----Original Message-----\\nFrom: Lee, Ann\\nSent: Monday\\nTo: Bob\\n"
    ...               "Subject: x\\n\\nHi Bob.\\n\\nOn Sun, Bob <b@x.org> wrote:\\n> Ready?")
    [('Lee, Ann', 'Hi Bob.'), ('On Sun, Bob <b@x.org> wrote:', '> Ready?')]
    """
    lines = (quoted or "").split("\n")
    starts = sorted({q for i in range(len(lines)) if (q := _quote_rule(lines, i)) != -1} | {0})
    out: list[tuple[str, str]] = []
    k = 0
    while k < len(starts):
        start = starts[k]
        author, j = _block_header(lines[start:start + 400])
        body_at = start + j
        while k < len(starts) and starts[k] < max(body_at, start + 1):
            k += 1  # a header line that also opens a quote is part of this header
        end = starts[k] if k < len(starts) else len(lines)
        out.append((author, "\n".join(lines[body_at:end]).strip()))
    return [(a, t) for a, t in out if t]


def _block_header(block: list[str]) -> tuple[str, int]:
    """(author, index of the first body line) of a quoted block's header."""
    first = block[0].strip() if block else ""
    if not first:
        return "", 0
    if _SEPARATOR.match(first):
        wrapped = len(block) > 1 and re.match(r"^\s*[AP]M\s*-{3,}\s*$", block[1]) is not None
        return "", 2 if wrapped else 1  # "Forwarded by X" names the forwarder
    author, j = "", 0
    if _WROTE.match(first) or _WROTE_LOOSE.match(first):
        return first, 1
    if _NOTES_ORIGIN.match(first):
        author, j = first, 1
    elif len(block) > 1 and _NOTES_DATE.match(block[1].strip()):
        author, j = first, 2
    elif not _HEADER_LINE.match(first):
        return "", 0  # text before the first header
    end, seen = j, j > 0
    while end < len(block):
        line = block[end]
        if _SUBJECT.match(line):
            end += 1
            break
        nxt = next((k for k in range(end + 1, min(end + 4, len(block))) if block[k].strip()), None)
        follows = nxt is not None and bool(_HEADER_LINE.match(block[nxt]))
        if _HEADER_LINE.match(line) or line.strip().lower().startswith("please respond to"):
            seen = True
        elif not line.strip():
            if not (seen and follows):
                break  # a blank line ends the header unless more header lines follow it
        elif not (seen and ("@" in line or follows)):
            break  # wrapped address lines sit between header lines
        end += 1
    for line in block[j:end]:
        m = _AUTHOR_HEADER.match(line)
        if m and not author:
            author = m.group(1).strip()
    return author, end


def split_body(body: str) -> tuple[str, str, str]:
    """(text, quoted, signature) of a plain-text mail body.

    >>> split_body("Sounds good.\\n\\nThanks,\\nPhillip\\n\\n-----Original Message-----\\nFrom: a")[0]
    'Sounds good.\\n\\nThanks,\\nPhillip'
    >>> split_body("Yes.\\n-- \\nAnn Lee\\n555-1234\\n\\nOn Mon, Bob wrote:\\n> hi")[1]
    'On Mon, Bob wrote:\\n> hi'
    """
    if not body:
        return "", "", ""
    lines = body.split("\n")
    q = _quote_start_fast(body, lines)
    head, quoted_tail = lines[:q], lines[q:]
    own: list[str] = []
    inline_quotes: list[str] = []
    for line in head:
        (inline_quotes if _QUOTE_PREFIX.match(line) else own).append(line)
    # a trailing "wrote:" line just above inline quotes belongs to the quote
    while own and own[-1].strip() and _WROTE_LOOSE.match(own[-1].strip()) and inline_quotes:
        inline_quotes.insert(0, own.pop())
    own, sig = _split_signature(own)
    quoted = "\n".join(inline_quotes + ([""] if inline_quotes and quoted_tail else []) + quoted_tail).strip("\n")
    return "\n".join(own).strip(), quoted.strip(), "\n".join(sig).strip()
