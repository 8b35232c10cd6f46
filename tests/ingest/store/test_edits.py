"""The user's edits (ingest.store.edits) through the real store: SQLite, chromadb and MiniLM.

An edited draft becomes one of the user's replies in the source ``edits`` and pairs
with the message it answers (also one that was never imported, through the quoted
copy); a later import of the reply really sent replaces the edit's pair and is linked
to it; saving again keeps the newest; ``forget edits`` removes every trace; and a store
that does not know the user's address refuses to keep an edit as theirs.
"""

from __future__ import annotations

import pytest

from ingest.kernel.errors import UserError
from ingest.kernel.records import Message
from ingest.store.edits import EDITS, edits, record, summary
from ingest.store.importer import run_import
from ingest.store.store import Store
from tests.ingest.store.test_import_standin import parser
from tests.ingest.store.test_store import ME, _msg

pytestmark = pytest.mark.slow  # loads MiniLM

INBOX = "".join([
    _msg("q1@x", "jo@fair.example", "stall at the fair",
         "Could you bring two cases of the perry to the fair on Saturday, and can you confirm the stall number?", 1),
    _msg("q2@x", "sam@shop.example", "invoice", "The invoice for March is attached. Please check the totals.", 2),
    _msg("q3@x", ME, "Re: invoice", "Thanks Sam, the totals look right to me. Paid today.", 3, "q2@x"),
])
DRAFT = "Hi Jo,\n\nI hope you are well! I will bring two cases of perry. Our stall is number 12.\n\nBest wishes,\nWren"
FINAL = "Two cases of perry it is. Stall 12.\n\nW"
SENT = "Two cases of the perry, yes. We are at stall 12 by the gate.\n\nW"


@pytest.fixture()
def store(tmp_path):
    (tmp_path / "inbox.mbox").write_text(INBOX)
    s = Store.open(tmp_path / "data", chroma_url="")
    run_import([tmp_path / "inbox.mbox"], s, [ME], parser=parser())
    yield s
    s.close()


def test_an_edit_pairs_then_the_sent_reply_replaces_it_and_forget_removes_it(store, tmp_path):
    jo = store.by_message_id("q1@x")
    kept = record(store, jo, draft=DRAFT, final=FINAL, variant="full", how="eml")
    assert kept is not None
    assert record(store, jo, draft=DRAFT, final=FINAL, variant="full") is None  # the same text again: nothing new
    pairs = {p.source: p for p in store.reply_pairs()}
    assert pairs[EDITS].message_id == jo.id and pairs[EDITS].reply_text == FINAL and pairs[EDITS].how == "headers"
    assert EDITS in {s.path for s in store.sources()}
    assert store.report(EDITS).own == 1 and store.report(EDITS).pairs == 1
    assert store.vector_ids("pairs") >= {pairs[EDITS].id}  # embedded for retrieval like any pair
    (e,) = edits(store)
    assert (e.draft, e.final, e.variant, e.sent, e.final_text) == (DRAFT, FINAL, "full", "", FINAL)
    assert summary(store) == {"saved": 1, "sent_found": 0, "pairs_from_edits": 1}

    # the user sent a reworded reply; their Sent folder is imported later
    (tmp_path / "sent.mbox").write_text(_msg("s9@x", ME, "Re: stall at the fair", SENT, 9, "q1@x"))
    run_import([tmp_path / "sent.mbox"], store, [ME], parser=parser())
    answers = [p for p in store.reply_pairs() if p.message_id == jo.id]
    assert [(p.source, p.reply_text) for p in answers] == [(str(tmp_path / "sent.mbox"), SENT)]
    (e,) = edits(store)
    assert e.sent == SENT and e.final_text == SENT and e.final == FINAL
    assert summary(store) == {"saved": 1, "sent_found": 1, "pairs_from_edits": 0}

    removed = store.forget(EDITS)
    assert removed >= 1 and EDITS not in {s.path for s in store.sources()}
    assert edits(store) == [] and not any(p.source == EDITS for p in store.reply_pairs())
    data = b"".join(p.read_bytes() for p in (tmp_path / "data").rglob("*") if p.is_file())
    assert FINAL.split("\n")[0].encode() not in data  # forget leaves no trace in the data dir's bytes


def test_saving_again_keeps_the_newest_and_an_unimported_message_pairs_by_its_quote(store):
    jo = store.by_message_id("q1@x")
    record(store, jo, draft=DRAFT, final=FINAL, variant="rag")
    record(store, jo, draft=DRAFT, final="Yes, two cases. Stall 12.", variant="rag")
    mine = [p for p in store.reply_pairs() if p.source == EDITS]
    assert [p.reply_text for p in mine] == ["Yes, two cases. Stall 12."]
    assert summary(store)["saved"] == 2
    # a message from an .eml file that was never imported
    loose = Message(source="/tmp/loose.eml", item="loose.eml", message_id="loose-1@x", subject="cider order",
                    sender="kit@pub.example", sender_name="Kit Marlowe",
                    body="Can we order ten boxes of the medium cider for the autumn festival?",
                    text="Can we order ten boxes of the medium cider for the autumn festival?")
    record(store, loose, draft="Sure!", final="Ten boxes of medium, yes. Delivery the week before.")
    quoted = [p for p in store.reply_pairs() if p.source == EDITS and p.message_id is None]
    assert [(p.how, p.message_sender) for p in quoted] == [("quoted", "kit@pub.example")]
    assert "ten boxes of the medium cider" in quoted[0].message_text


def test_an_edit_needs_the_users_address(tmp_path):
    (tmp_path / "inbox.mbox").write_text(INBOX.replace(ME, "someone@else.example"))
    with Store.open(tmp_path / "data", chroma_url="") as s:
        run_import([tmp_path / "inbox.mbox"], s, [], parser=parser())
        jo = s.by_message_id("q1@x")
        if s.me()[0]:  # inferred from a Sent folder: this mbox has none, so nothing is inferred
            pytest.fail(f"an address was inferred: {s.me()}")
        with pytest.raises(UserError, match="address is not known"):
            record(s, jo, draft=DRAFT, final=FINAL)
        assert record(s, jo, draft=DRAFT, final="   ") is None  # nothing to keep


def test_the_cli_keeps_and_lists_edits(store, tmp_path, capsys):
    """``ownvoice edit`` is the same library call as the Draft page; --list shows it."""
    import json

    from app.cli import main

    data = str(store.data_dir)
    store.close()  # the CLI opens the data dir itself
    final = tmp_path / "final.txt"
    final.write_text(FINAL)
    draft = tmp_path / "draft.txt"
    draft.write_text(DRAFT)
    rc = main(["--data-dir", data, "edit", "--message-id", "q1@x", "--final", str(final), "--draft", str(draft),
               "--variant", "rag", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0 and out["kept"] and out["saved"] == 1 and out["pairs_from_edits"] == 1
    rc = main(["--data-dir", data, "edit", "--list", "--json"])
    listed = json.loads(capsys.readouterr().out)
    assert rc == 0 and [(e["variant"], e["draft"], e["final"], e["sent"]) for e in listed["edits"]] == [
        ("rag", DRAFT, FINAL, None)]
    rc = main(["--data-dir", data, "edit", "--message-id", "nope@x", "--final", str(final)])
    assert rc == 2 and "No stored message" in capsys.readouterr().err


def test_the_sent_version_is_the_reply_itself_and_a_quote_pair_keeps_only_the_newest(store, tmp_path):
    """A later reply in the same thread (which carries the message's id in References) is
    not the sent version; a sent copy identical to the saved edit (deduplicated onto it)
    is; and edits of a never-imported message, paired by its quote, keep only the newest."""
    jo = store.by_message_id("q1@x")
    plain = "Two cases of perry it is, and we take stall 12 by the gate."
    record(store, jo, draft=DRAFT, final=plain)
    later = (f"From {ME} Mon Jan  1 10:00:00 2001\nMessage-ID: <t2@x>\nDate: Mon, 20 Jan 2001 10:00:00 +0000\n"
             f"From: {ME}\nTo: jo@fair.example\nSubject: Re: stall at the fair\nIn-Reply-To: <other@x>\n"
             "References: <q1@x> <other@x>\n\nAnd the van arrives at eight.\n\n")
    (tmp_path / "later.mbox").write_text(later)
    run_import([tmp_path / "later.mbox"], store, [ME], parser=parser())
    assert edits(store)[0].sent == ""  # a later message in the thread, not the reply
    # the client sent it as saved, and its copy lacks the headers: content dedup puts it on the edit
    (tmp_path / "same.mbox").write_text(_msg("s7@x", ME, "Re: stall at the fair", plain, 9))
    run_import([tmp_path / "same.mbox"], store, [ME], parser=parser())
    assert edits(store)[0].sent == plain and summary(store)["sent_found"] == 1
    loose = Message(source="/tmp/loose.eml", item="loose.eml", message_id="loose-2@x", subject="cider order",
                    sender="kit@pub.example", sender_name="Kit Marlowe",
                    body="Can we order ten boxes of the medium cider for the autumn festival?",
                    text="Can we order ten boxes of the medium cider for the autumn festival?")
    record(store, loose, draft="Sure!", final="Ten boxes, yes.")
    record(store, loose, draft="Sure!", final="Ten boxes of medium, yes. Delivery the week before.")
    quoted = [p.reply_text for p in store.reply_pairs() if p.source == EDITS and p.message_id is None]
    assert quoted == ["Ten boxes of medium, yes. Delivery the week before."]
