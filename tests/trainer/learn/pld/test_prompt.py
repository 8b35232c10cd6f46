"""The style prompt: markdown round trip, what the student reads, kept user edits."""

from __future__ import annotations

from trainer.voicepack import render_prompt as render
from trainer.learn.pld.rules import Rule
from trainer.voicepack import (PROMPT_FILE, PROPOSED_FILE, VoicePack, prompt_rules, read_prompt, sha256_text,
                               student_prompt, user_edited, write_prompt)

PROFILE = [Rule('Sign off with "cheers, W.".', "profile", "63 of 91 messages (69%)", 10),
           Rule("Join thoughts with dashes.", "profile", "3.69 per 100 words (others 0.73)", 4.5)]
LEARNED = [Rule("Answer in two short sentences.", "medoid", "4 similar rules", 4)]


def test_render_keeps_evidence_for_the_reader_out_of_the_students_prompt():
    md = render(PROFILE, LEARNED)
    assert "63 of 91 messages" in md  # readable evidence
    sp = student_prompt(md)
    assert "63 of 91" not in sp and "<!--" not in sp and "#" not in sp
    assert prompt_rules(md) == [r.text for r in PROFILE + LEARNED]


def _record(pack, written):
    pack.set_route("pld", {"prompt_sha256": written.sha256})


def test_a_user_edit_is_kept_unless_fresh(tmp_path):
    pack = VoicePack.open(tmp_path)
    first = write_prompt(pack, render(PROFILE, LEARNED))
    _record(pack, first)
    assert not first.kept_user_edit and not user_edited(pack)
    assert first.sha256 == sha256_text(pack.file(PROMPT_FILE).read_text(encoding="utf-8"))

    # ownvoice rewrites its own file freely
    second = write_prompt(pack, render(PROFILE, []))
    _record(pack, second)
    assert not second.kept_user_edit
    assert "Answer in two" not in pack.file(PROMPT_FILE).read_text(encoding="utf-8")

    # the user edits it: the next learn keeps the edit and proposes beside it
    edited = pack.file(PROMPT_FILE).read_text(encoding="utf-8") + "- Never promise a delivery date.\n"
    pack.file(PROMPT_FILE).write_text(edited, encoding="utf-8")
    assert user_edited(pack)
    third = write_prompt(pack, render(PROFILE, LEARNED))
    assert third.kept_user_edit and third.sha256 == second.sha256
    assert pack.file(PROMPT_FILE).read_text(encoding="utf-8") == edited
    assert pack.file(PROPOSED_FILE).read_text(encoding="utf-8") == render(PROFILE, LEARNED)
    assert "Never promise a delivery date." in read_prompt(pack)

    # --fresh discards the edit and the stale proposal
    fourth = write_prompt(pack, render(PROFILE, LEARNED), fresh=True)
    _record(pack, fourth)
    assert not fourth.kept_user_edit and not pack.file(PROPOSED_FILE).exists()
    assert "Never promise" not in pack.file(PROMPT_FILE).read_text(encoding="utf-8")


def test_a_prompt_file_without_a_record_is_treated_as_the_users(tmp_path):
    pack = VoicePack.open(tmp_path)
    pack.write_text(PROMPT_FILE, "- Write like a pirate.\n")
    w = write_prompt(pack, render(PROFILE, LEARNED))
    assert w.kept_user_edit
    assert read_prompt(pack) == "- Write like a pirate."


def test_a_style_prompt_that_cannot_be_read_is_a_clear_error(tmp_path):
    """Drafting reads the prompt through read_prompt: a file that is not UTF-8 is a
    UserError naming the file and what to do, not a crash; no pack or no file is None."""
    import pytest

    from ingest.kernel.errors import UserError

    pack = VoicePack.open(tmp_path / "data")
    assert read_prompt(None) is None and read_prompt(pack) is None
    pack.file(PROMPT_FILE).write_bytes(b"\xff\xfe- Write \x80 like this\n")
    with pytest.raises(UserError, match="Cannot read the style prompt") as e:
        read_prompt(pack)
    assert "delete the file" in (e.value.hint or "")
