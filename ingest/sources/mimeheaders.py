"""Header and charset decoding for mail, every read guarded.

The stdlib's ``policy.default`` header registry raises on real mail (OverflowError
on ``Date``, AttributeError on ``To: unlisted-recipients:;``, LookupError on unknown
charsets) and is slow; these helpers take raw compat32 header values (8-bit bytes
kept as surrogates) and never raise. What could only be decoded best-effort is
appended to the caller's ``notes`` list.

Left out: full RFC 5322 address validation (addresses are lower-cased and kept as
written), RFC 2231 continuations in headers other than filenames.
"""

from __future__ import annotations

import binascii
import codecs
import re
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_tz

MAX_ID = 998  # RFC 5322 line limit: longer ids are cut
MAX_REFS = 100

# Charsets Python lacks or names differently. None: no usable codec, guess instead.
_CHARSET_ALIASES = {
    "iso-8859-8-i": "iso-8859-8",
    "iso-8859-8-e": "iso-8859-8",
    "iso-8859-6-i": "iso-8859-6",
    "iso-8859-6-e": "iso-8859-6",
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "x-sjis": "shift_jis",
    "x-mac-roman": "mac_roman",
    "macintosh": "mac_roman",
    "windows-874": "cp874",
    "x-gbk": "gbk",
    "gb2312": "gb18030",  # a superset: real "gb2312" mail often is GBK/GB18030
    "ansi_x3.4-1968": "ascii",
    "utf8": "utf-8",
    "unicode-1-1-utf-7": "utf-7",
    "x-unknown": None,
    "unknown": None,
    "unknown-8bit": None,
    "x-user-defined": None,
    "default": None,
    "charset": None,
}
_codec_cache: dict[str, str | None] = {}


def lookup_codec(charset: str | None) -> str | None:
    """The Python codec for a MIME charset name, or None when there is none.

    >>> lookup_codec("ISO-8859-8-I"), lookup_codec("x-unknown"), lookup_codec("UTF8")
    ('iso-8859-8', None, 'utf-8')
    """
    if not charset:
        return None
    key = charset.strip().strip("\"'").lower()
    if key in _codec_cache:
        return _codec_cache[key]
    name: str | None
    if key in _CHARSET_ALIASES:
        name = _CHARSET_ALIASES[key]
    else:
        try:
            name = codecs.lookup(key).name
        except (LookupError, ValueError, TypeError):
            name = None
    if name is not None:
        try:
            codecs.lookup(name)
        except LookupError:
            name = None
    _codec_cache[key] = name
    return name


def decode_bytes(data: bytes, charset: str | None, notes: list[str]) -> str:
    """Decode text bytes with the declared charset, falling back with a note."""
    codec = lookup_codec(charset)
    if codec and codec not in ("ascii", "us-ascii"):
        try:
            return data.decode(codec)
        except (UnicodeDecodeError, LookupError):
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if codec and codec not in ("ascii", "us-ascii"):
        notes.append(f"bytes invalid in charset {charset!r}: replaced")
        return data.decode(codec, errors="replace")
    if charset and codec is None:
        notes.append(f"unknown charset {charset!r}: read as windows-1252")
    elif charset:
        notes.append(f"8-bit bytes in {charset!r} text: read as windows-1252")
    return data.decode("cp1252", errors="replace")


# ---------------------------------------------------------------- headers

_SURROGATE = re.compile("[\udc80-\udcff]")
_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([QqBb])\?([^?]*)\?=")
_EW_GAP = re.compile(r"(\?=)[ \t\r\n]+(=\?)")
_FOLD = re.compile(r"\r?\n[ \t]*")


def _raw_header_str(value: object) -> str:
    """A compat32 header value as text: 8-bit bytes (kept as surrogates) decoded."""
    if value is None:
        return ""
    if not isinstance(value, str):  # email.header.Header for odd bytes
        try:
            value = str(value)
        except Exception:  # noqa: BLE001 - any failure: nothing usable
            return ""
    if not value.isascii() and _SURROGATE.search(value):
        raw = value.encode("ascii", "surrogateescape")
        try:
            value = raw.decode("utf-8")
        except UnicodeDecodeError:
            value = raw.decode("cp1252", errors="replace")
    return value


def _decode_word(charset: str, enc: str, payload: str, notes: list[str]) -> str:
    charset = charset.split("*", 1)[0]  # RFC 2231 language suffix
    try:
        if enc in "Bb":
            payload = payload.strip()
            data = binascii.a2b_base64(payload + "=" * (-len(payload) % 4))
        else:
            data = binascii.a2b_qp(payload.replace("_", " ").encode("ascii", "replace"), header=True)
    except (binascii.Error, ValueError):
        notes.append("bad encoded word in a header: kept as is")
        return payload
    return decode_bytes(data, charset, notes)


_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")


def decode_header(value: object, notes: list[str] | None = None) -> str:
    """A header value as one line of text: RFC 2047 words decoded, folding removed, and
    any control character (a CR or LF smuggled in an encoded word too) made a space, so a
    stored value can never break a header ownvoice writes.

    >>> decode_header("=?iso-8859-1?q?Caf=E9?= =?utf-8?b?w6k=?= ok")
    'Caféé ok'
    >>> decode_header("=?utf-8?q?Hi=0D=0ABcc:_x@evil.example?=")
    'Hi Bcc: x@evil.example'
    """
    notes = [] if notes is None else notes
    text = _FOLD.sub(" ", _raw_header_str(value))
    if "=?" in text:
        text = _EW_GAP.sub(r"\1\2", text)
        text = _ENCODED_WORD.sub(lambda m: _decode_word(m.group(1), m.group(2), m.group(3), notes), text)
    return _CONTROL.sub(" ", text).strip()


_ADDR_SPECIAL = frozenset('"()<>:;\\[]')
_BARE_ADDR = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w.-]+")


_ADDR_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"?|<[^>]*>?|\([^)]*\)?|[^,"<(]+|,')


def split_addresses(text: str) -> list[tuple[str, str]]:
    """(name, address) pairs of an *undecoded* address header, by a small tokenizer
    that never raises: quoted names may hold commas, group syntax ("list: a, b;")
    and comments are handled, display names that look like addresses stay names.

    >>> split_addresses('"Doe, J" <J@X.org>, b@y.org (Bob), undisclosed-recipients:;')
    [('"Doe, J"', 'j@x.org'), ('Bob', 'b@y.org')]
    """
    out: list[tuple[str, str]] = []
    chunk: list[str] = []
    for tok in _ADDR_TOKEN.findall(text) + [","]:
        if tok != ",":
            chunk.append(tok)
            continue
        name_parts, addr, comment = [], "", ""
        for t in chunk:
            if t.startswith("<"):
                addr = t.strip("<>").strip()
            elif t.startswith("("):
                comment = t.strip("()").strip()
            else:
                name_parts.append(t)
        chunk = []
        name = "".join(name_parts).strip()
        if ":" in name and not name.startswith('"'):  # group syntax: "team: a@x, b@y;"
            name = name.split(":", 1)[1].strip()
        name = name.rstrip(";").strip()
        if not addr:
            if "@" in name and " " not in name.strip('"'):
                addr, name = name.strip('"'), ""
            elif not name:
                continue
        out.append((name or comment, addr.lower().rstrip(";")))
    return [(n, a) for n, a in out if a or n]


def parse_addresses(values: list[object] | None, notes: list[str]) -> list[tuple[str, str]]:
    """(decoded name, lower-case address) pairs; group syntax and junk never raise."""
    if not values:
        return []
    texts = [_FOLD.sub(" ", _raw_header_str(v)) for v in values]
    if not any(c in t for t in texts for c in _ADDR_SPECIAL) and "=?" not in "".join(texts):
        parts = [a.strip().lower() for t in texts for a in t.split(",")]
        if all(_BARE_ADDR.fullmatch(a) for a in parts if a):  # fast path: bare addresses
            return [("", a) for a in parts if a]
    out = []
    for text in texts:
        for name, addr in split_addresses(text):
            out.append((_clean_name(decode_header(name, notes)), addr))
    return out


def _clean_name(name: str) -> str:
    name = name.strip()
    if len(name) >= 2 and name[0] == name[-1] == '"':
        name = name[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    return name.strip()


def parse_sender(value: object, notes: list[str]) -> tuple[str, str]:
    """(display name, lower-case address) of a From header."""
    pairs = parse_addresses([value] if value else None, notes)
    for name, addr in pairs:
        if addr:
            return name, addr
    return (pairs[0][0], "") if pairs else ("", "")


def parse_date(value: object, notes: list[str]) -> datetime | None:
    """An aware UTC datetime, or None (with a note) for dates that can't be read."""
    text = decode_header(value)
    if not text:
        return None
    try:
        t = parsedate_tz(text)
        if t is None:
            raise ValueError(text)
        offset = t[9] or 0
        if abs(offset) > 86400:
            offset = 0
        dt = datetime(*t[:6], tzinfo=timezone(timedelta(seconds=offset)))  # type: ignore[misc]
        if not 1900 <= dt.year <= 2200:
            raise ValueError("year out of range")
        return dt.astimezone(timezone.utc)
    except (ValueError, TypeError, OverflowError, IndexError, OSError):
        notes.append(f"unreadable date {text[:60]!r}")
        return None


_MSGID = re.compile(r"<([^<>\s]+)>")


def parse_msgid(value: object) -> str:
    text = decode_header(value)
    m = _MSGID.search(text)
    mid = m.group(1) if m else text.strip().strip("<>").split(" ")[0] if text else ""
    return mid[:MAX_ID]


def parse_references(value: object) -> tuple[str, ...]:
    text = decode_header(value)
    refs = [r[:MAX_ID] for r in _MSGID.findall(text)]
    if not refs and text.strip():
        refs = [t[:MAX_ID] for t in text.split() if "@" in t]
    return tuple(refs[-MAX_REFS:])
