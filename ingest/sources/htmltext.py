"""HTML mail and documents as plain text: block elements become line breaks, scripts and
styles are dropped, whitespace is collapsed (the standard library's parser, no browser).
"""

from __future__ import annotations

import re


_BLOCK = frozenset(
    "p div br tr li h1 h2 h3 h4 h5 h6 blockquote pre table ul ol hr section article header "
    "footer address dl dt dd form fieldset center".split()
)


_DROP = frozenset("script style head title noscript template svg object iframe".split())


_SPACES = re.compile(r"[ \t\r\n\f\v\u00a0]+")


_BLANKS = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")


def html_to_text(html: str) -> str:
    """Visible text of an HTML mail or document: paragraphs kept, scripts dropped,
    blockquotes turned into "> " lines so the splitter sees them as quotes.

    >>> html_to_text("<p>Hi <b>Ann</b>,</p><script>x()</script><p>See you<br>soon</p>")
    'Hi Ann,\\n\\nSee you\\nsoon'
    """
    from selectolax.lexbor import LexborHTMLParser

    if not html or not html.strip():
        return ""
    try:
        tree = LexborHTMLParser(html)
    except Exception:  # noqa: BLE001 - fall back to tag stripping
        return _BLANKS.sub("\n\n", re.sub(r"<[^>]+>", " ", html)).strip()
    root = tree.body or tree.root
    if root is None:
        return ""
    out: list[str] = []
    depth = 0  # blockquote nesting: lines inside get "> " prefixes

    def newline(count: int = 1) -> None:
        out.append(("\n" + "> " * depth) * count)

    stack: list[tuple[object, bool]] = [(root, False)]
    while stack:
        node, leaving = stack.pop()
        tag = node.tag or ""  # type: ignore[attr-defined]  # None for a processing instruction ("<?php ?>")
        if leaving:
            if tag == "blockquote":
                depth -= 1
            newline(2 if tag in _PARA else 1)
            continue
        if tag == "-text":
            t = _SPACES.sub(" ", node.text(deep=False) or "")  # type: ignore[attr-defined]
            if t:
                out.append(t)
            continue
        if not tag or tag in _DROP or tag.startswith(("_", "!")):
            continue
        if tag == "br":
            newline()
            continue
        if tag in ("td", "th"):
            out.append(" ")
        if tag in _BLOCK:
            if tag == "blockquote":
                depth += 1
            newline()
            stack.append((node, True))
        for child in reversed(list(node.iter(include_text=True))):  # type: ignore[attr-defined]
            stack.append((child, False))
    lines = [ln.strip() for ln in "".join(out).split("\n")]
    lines = [">" if ln and not ln.strip("> ") else ln for ln in lines]
    text = "\n".join(lines)
    text = re.sub(r"\n(?:>\n)+(?=> ?\S|\n|$)", "\n>\n", text)
    return _BLANKS.sub("\n\n", text).strip()


_PARA = frozenset("p blockquote table ul ol h1 h2 h3 h4 pre".split())
