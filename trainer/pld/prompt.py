"""The style prompt: rendered as readable markdown, read back for the student.

``style_prompt.md`` in the voice pack is the user's to read and edit. Layout::

    <!-- how to edit -->
    # How I write
    Write the reply as me, following these habits.
    ## Measured from my mail
    - one instruction per bullet
    ## Learned from my replies
    - ...
    <!-- Evidence: the numbers behind each habit, for the reader only -->

``student_prompt(md)`` is what a model sees: the file without HTML comments,
headings and blank lines (so a line the user adds anywhere is read). ``write_prompt`` keeps a user's edit: the
SHA-256 of what ownvoice last wrote is stored in the manifest's ``pld`` entry; when
the file on disk differs (or exists without a recorded hash) it is left alone and
the new proposal goes to ``style_prompt.proposed.md``, unless ``fresh`` is asked.

What it leaves out: no merge of a user's edit with a new proposal (the user
compares the two files); no markdown beyond headings, bullets and comments.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trainer.pld.rules import Rule

PROMPT_FILE = "style_prompt.md"
PROPOSED_FILE = "style_prompt.proposed.md"
EVIDENCE_OPEN = "<!-- Evidence (for you; the model never sees comments):"
HEADER = ("<!-- ownvoice style prompt (prompt-level distillation). Edit it freely: your edits are "
          "kept on the next `ownvoice learn` unless you pass --fresh. The model reads every line "
          "except headings and comments like this one. -->")
INTRO = "Write the reply as me, following these habits."


def render(profile_rules: list[Rule], learned_rules: list[Rule], *, title: str = "How I write") -> str:
    """The markdown for a style prompt.

    >>> md = render([Rule("Sign off with \\"W.\\".", "profile", "9 of 10")], [Rule("Be warm.")])
    >>> student_prompt(md)
    'Write the reply as me, following these habits.\\n- Sign off with "W.".\\n- Be warm.'
    """
    out = [HEADER, f"# {title}", "", INTRO, ""]
    if profile_rules:
        out += ["## Measured from my mail"] + [f"- {r.text}" for r in profile_rules] + [""]
    if learned_rules:
        out += ["## Learned from my replies"] + [f"- {r.text}" for r in learned_rules] + [""]
    ev = [r for r in profile_rules + learned_rules if r.evidence]
    if ev:
        out += [EVIDENCE_OPEN] + [f"  {r.text} ({r.evidence.replace('--', '-')})" for r in ev] + ["-->", ""]
    return "\n".join(out)


def student_prompt(markdown: str) -> str:
    """What the model reads: the markdown without comments, headings and blank lines."""
    md = re.sub(r"<!--.*?-->", "", markdown or "", flags=re.S)
    keep = []
    for line in md.splitlines():
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        keep.append(s)
    return "\n".join(keep)


def prompt_rules(markdown: str) -> list[str]:
    """The bullet instructions in a style prompt."""
    return [ln[2:].strip() for ln in student_prompt(markdown).splitlines() if ln.startswith(("- ", "* "))]


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Written:
    path: Path  # the file the student reads (style_prompt.md)
    sha256: str  # hash of what ownvoice wrote to style_prompt.md (kept across user edits)
    kept_user_edit: bool
    proposed: Path | None = None  # where the new proposal went when the user's edit was kept


def user_edited(pack: Any) -> bool:
    """True when style_prompt.md differs from what ownvoice last wrote (or has no record)."""
    path = pack.file(PROMPT_FILE)
    if not path.exists():
        return False
    entry = pack.route("pld") or {}
    recorded = entry.get("prompt_sha256")
    return not recorded or sha256_text(path.read_text(encoding="utf-8")) != recorded


def write_prompt(pack: Any, markdown: str, *, fresh: bool = False) -> Written:
    """Write the style prompt, keeping a user's edit unless ``fresh``."""
    if not fresh and user_edited(pack):
        proposed = pack.write_text(PROPOSED_FILE, markdown)
        entry = pack.route("pld") or {}
        return Written(path=pack.file(PROMPT_FILE), sha256=entry.get("prompt_sha256", ""),
                       kept_user_edit=True, proposed=proposed)
    path = pack.write_text(PROMPT_FILE, markdown)
    stale = pack.file(PROPOSED_FILE)
    if stale.exists():
        stale.unlink()
    return Written(path=path, sha256=sha256_text(markdown), kept_user_edit=False)


def read_prompt(pack: Any) -> str | None:
    """The student-facing style prompt from ``pack`` (the user's edit if any), or None."""
    path = pack.file(PROMPT_FILE)
    if not path.exists():
        return None
    return student_prompt(path.read_text(encoding="utf-8")) or None
