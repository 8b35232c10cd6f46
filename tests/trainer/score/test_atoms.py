"""The atom splitter: greeting and sign-off lines are atoms; quoted text is not the draft."""

from __future__ import annotations

from trainer.score.atoms import quoted_sentences, split_atoms, strip_quoted

DRAFT = """Hiya Becky,

Thursday 19th, done. I'll bring a spare tap as well
(long story - ask the Drovers).

cheers, W.

On Tue, 17 Mar 2026 at 09:12, Becky Marsh <becky@ploughshare.example>
wrote:
> Perfect. A box of the Old Orchard for Thursday please!
> Becky
"""


def test_greeting_sentences_signoff_and_offsets():
    atoms = split_atoms(DRAFT)
    assert [a.kind for a in atoms] == ["greeting", "sentence", "sentence", "signoff"]
    assert atoms[0].text == "Hiya Becky,"
    assert atoms[-1].text == "cheers, W."
    assert atoms[2].text.startswith("I'll bring a spare tap") and atoms[2].text.endswith("Drovers).")
    for a in atoms:
        assert DRAFT[a.start:a.end] == a.text


def test_quoted_text_is_not_part_of_the_draft():
    texts = " ".join(a.text for a in split_atoms(DRAFT))
    assert "Old Orchard" not in texts and "Becky\n" not in texts
    lotus = "Sounds good.\n\n-----Original Message-----\nFrom: Sam\nCan you send the file?"
    assert [a.text for a in split_atoms(lotus)] == ["Sounds good."]
    fwd = "FYI\n---------------------- Forwarded by Phillip K Allen/HOU/ECT on 05/01/2001\nold text."
    assert [a.text for a in split_atoms(fwd)] == ["FYI"]
    inline = "> is it ready?\nYes, it is.\n> and the price?\nSame as before."
    assert [a.text for a in split_atoms(inline)] == ["Yes, it is.", "Same as before."]
    assert strip_quoted(DRAFT).endswith("cheers, W.")


def test_name_and_dash_forms():
    atoms = split_atoms("Mark —\n\nRight then, let's beat the deadline. Same as last spring.\n\n— W")
    assert [(a.kind, a.text) for a in atoms] == [
        ("greeting", "Mark —"), ("sentence", "Right then, let's beat the deadline."),
        ("sentence", "Same as last spring."), ("signoff", "— W")]
    atoms = split_atoms("Please send the numbers today.\n\nThanks,\nPhillip")
    assert [a.kind for a in atoms] == ["sentence", "signoff"] and atoms[1].text == "Thanks,\nPhillip"


def test_a_question_is_not_a_greeting_and_empty_drafts():
    assert [a.kind for a in split_atoms("Hi, can you call me?")] == ["sentence"]
    assert split_atoms("") == [] and split_atoms("> only a quote") == []
    assert [a.kind for a in split_atoms("Thanks,")] == ["signoff"]


def test_quoted_sentences_drop_headers_and_markers():
    q = "-----Original Message-----\nFrom: Sam\nSent: Monday\n> Is it ready? It was due.\n"
    assert quoted_sentences(q) == ["Is it ready?", "It was due."]
