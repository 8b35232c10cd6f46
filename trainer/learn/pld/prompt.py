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

What a model sees of it (``student_prompt``), and how a user's edit is kept
(``write_prompt``), belong to the voice pack's file: ``trainer.voicepack``.

What it leaves out: no merge of a user's edit with a new proposal (the user
compares the two files); no markdown beyond headings, bullets and comments.
"""

from __future__ import annotations

from trainer.learn.pld.rules import Rule
from trainer.voicepack import student_prompt  # noqa: F401  (used by the doctest, and by importers)

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
