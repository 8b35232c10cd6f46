"""What the user changed in their edited drafts, as rules for the style prompt."""

from __future__ import annotations

from trainer.learn.pld.edits import changes, describe_summary, merge_rules, observations, rules_from_edits
from trainer.learn.pld.rules import Rule

EDITS = [
    ("Hi Jo,\n\nI hope you are well! Two cases of perry are fine. Our stall is 12.\n\nBest wishes,\nWren",
     "Two cases of perry are fine. Stall 12.\n\nW"),
    ("Hello Sam,\n\nThanks for your email! The totals look right and I have paid today.\n\nKind regards,\nWren",
     "The totals look right. Paid today.\n\nW"),
    ("Hi Kit,\n\nYes, ten boxes of medium for the festival. Delivery the week before.\n\nBest,\nWren",
     "Yes, ten boxes of medium. Delivery the week before.\n\nW"),
]


def test_changes_name_what_a_person_would_notice():
    c = changes(*EDITS[0])
    assert c.greeting_removed and c.pleasantry_removed and c.exclamations_removed and c.shorter
    assert c.sign_off_changed and not c.sign_off_removed and not c.longer
    same = changes("Hi Jo,\n\nFine.\n\nWren", "Hi Jo,\n\nFine.\n\nWren")
    assert not any(v for k, v in same.__dict__.items() if k != "words")


def test_consistent_changes_become_rules_and_replace_the_profiles_of_the_same_kind():
    obs = {o["change"]: o for o in observations(EDITS)}
    assert obs["greeting_removed"]["text"] == "you removed the greeting in 3 of 3 edits"
    assert obs["exclamations_removed"]["count"] == 2
    rules = rules_from_edits(EDITS)
    kinds = {r.kind: r for r in rules}
    assert kinds["greeting"].text == "Skip the greeting and start with the point."
    assert kinds["greeting"].source == "edits" and "3 of 3" in kinds["greeting"].evidence
    assert {"pleasantry", "length", "exclamations"} <= set(kinds)
    assert "sign_off" not in kinds  # changed, not removed: no rule says which form
    profile = [Rule("Open with \"Hi {name},\" on its own line.", source="profile", kind="greeting", weight=9.5),
               Rule("Sign off with \"Best, Wren\".", source="profile", kind="sign_off", weight=10)]
    merged = merge_rules(profile, rules)
    assert [r.kind for r in merged if r.source == "profile"] == ["sign_off"]
    assert merged[0].source == "edits"
    assert rules_from_edits(EDITS[:1]) == []  # one edit is not a habit


def test_the_summary_line():
    line = describe_summary({"saved": 3, "sent_found": 1, "changes": observations(EDITS)})
    assert line.startswith("Learned from 3 edited drafts (1 replaced by the reply you sent): you removed the greeting")
    assert describe_summary({"saved": 1}) == "Learned from 1 edited draft."


def test_pld_reads_the_edits_from_the_real_store_with_the_sent_text_as_final(tmp_path):
    """trainer.learn.pld takes (draft, final) from ingest.store.edits; a sent reply found later is the
    final it learns from."""
    import pytest

    pytest.importorskip("chromadb")
    from ingest.store.edits import record
    from ingest.store.importer import run_import
    from ingest.store.store import Store
    from tests.ingest.store.test_edits import DRAFT, FINAL, INBOX, SENT
    from tests.ingest.store.test_import_standin import parser
    from tests.ingest.store.test_store import ME, _msg
    from trainer.learn.pld import _edit_pairs

    (tmp_path / "inbox.mbox").write_text(INBOX)
    with Store.open(tmp_path / "data", chroma_url="") as store:
        run_import([tmp_path / "inbox.mbox"], store, [ME], parser=parser())
        record(store, store.by_message_id("q1@x"), draft=DRAFT, final=FINAL)
        record(store, store.by_message_id("q2@x"), draft=EDITS[1][0], final=EDITS[1][1])
        # Sam's message was answered in the archive already: that reply is the final
        assert _edit_pairs(store) == [(DRAFT, FINAL), (EDITS[1][0], "Thanks Sam, the totals look right to me. Paid today.")]
        (tmp_path / "sent.mbox").write_text(_msg("s9@x", ME, "Re: stall at the fair", SENT, 9, "q1@x"))
        run_import([tmp_path / "sent.mbox"], store, [ME], parser=parser())
        assert _edit_pairs(store)[0] == (DRAFT, SENT)
        assert {r.kind for r in rules_from_edits(_edit_pairs(store))} >= {"greeting", "exclamations"}
