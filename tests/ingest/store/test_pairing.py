"""Thread keys and pairing a reply with what it answers (headers, or the quoted original)."""

from __future__ import annotations

from datetime import datetime, timezone

from ingest.store.pairing import Row, find_pairs, first_quoted, normalize_subject, thread_keys

ME = ["wren@cider.example"]

LOTUS = """---------------------- Forwarded by Phillip K Allen/HOU/ECT on 04/24/2001
09:26 AM ---------------------------
From: Frank Hayden/ENRON@enronXgate on 04/24/2001 09:25 AM CDT
To: Phillip K Allen/HOU/ECT@ECT, John Arnold/HOU/ECT@ECT
cc:
Subject: VAR

FYI,
o Selling 500/d of SoCal, XH lowers overall desk VAR by $8 million

Frank
"""

OUTLOOK = """ -----Original Message-----
From: \t"Robert W. Huntley, CFP" <wise.counsel@lpl.com>@ENRON
Sent:\tTuesday, October 30, 2001 3:19 PM
To:\tAllen, Phillip K.
Subject:\tRe: Huntley/question

Phillip,

It is looking like we will have to apply for a variance.

Bob
----- Original Message -----
From: <Phillip.K.Allen@enron.com>
To: <wise.counsel@lpl.com>
Subject: RE: Huntley/question

> Bob, I found the warranty deed.
"""

NESTED = """---------------------- Forwarded by Phillip K Allen/HOU/ECT on 05/19/2000
10:46 AM ---------------------------
\tFrom:  Jeffrey A Shankman                           05/18/2000 06:27 PM
\t

To: Phillip K Allen/HOU/ECT@ECT
cc:
Subject: Large Deal Alert


---------------------- Forwarded by Jeffrey A Shankman/HOU/ECT on 05/18/2000
08:23 PM ---------------------------
John Lavorato
05/18/2000 05:00 PM
To: Jeffrey A Shankman/HOU/ECT@ECT
cc:
Subject: Large Deal Alert

We closed the Midwest storage deal at the top of the range today.
"""


def test_normalize_subject():
    assert normalize_subject("RE: Fw: AW: SV:  Barn  ") == "barn"
    assert normalize_subject("Re[2]: barn") == "barn" == normalize_subject("FWD: Barn")
    assert normalize_subject("Rebate plan") == "rebate plan"


def test_first_quoted_lotus_forward():
    q = first_quoted(LOTUS)
    assert q.text.startswith("FYI,") and q.text.endswith("Frank") and q.subject == "VAR"
    assert q.sender.startswith("Frank Hayden")


def test_first_quoted_outlook_takes_only_the_first_block():
    q = first_quoted(OUTLOOK)
    assert q.sender == "wise.counsel@lpl.com" and q.subject == "Re: Huntley/question"
    assert q.text == "Phillip,\n\nIt is looking like we will have to apply for a variance.\n\nBob"


def test_first_quoted_forward_of_a_forward_gives_the_inner_text():
    q = first_quoted(NESTED)
    assert q.text == "We closed the Midwest storage deal at the top of the range today."
    assert q.sender == "John Lavorato"


def test_first_quoted_wrote_line_and_markers():
    q = first_quoted("On Mon, Bob <bob@x.com> wrote:\n> Can you send\n> > the report?\n")
    assert q.text == "Can you send\nthe report?"
    assert first_quoted("") is None and first_quoted("-----Original Message-----\n") is None


def _row(i, sender, subject="s", text="some words here to answer", quoted="", mid="",
         irt="", refs=(), to=("x@y.z",), day=1):
    return Row(id=f"id{i}", message_id=mid, in_reply_to=irt, references=tuple(refs),
               subject=subject, sender=sender, sender_name="",
               participants=tuple(sorted({sender, *to})), text=text, quoted=quoted,
               date=datetime(2001, 1, day, tzinfo=timezone.utc), source="src",
               own=sender in ME)


def test_thread_keys():
    rows = [_row(1, "bob@x.com", mid="a"), _row(2, ME[0], mid="b", irt="a"),
            _row(3, "bob@x.com", mid="c", irt="b"),  # chain followed to the root
            _row(4, "carol@x.com", subject="Barn", to=(ME[0],)),
            _row(5, ME[0], subject="RE: barn", to=("carol@x.com",)),
            _row(6, ME[0], subject="RE: barn", to=("dave@x.com",)),
            _row(7, "eve@x.com", subject=""), _row(8, "eve@x.com", subject="")]
    t = thread_keys(rows)
    assert t["id1"] == t["id2"] == t["id3"]
    assert t["id4"] == t["id5"] != t["id6"]
    assert t["id7"] != t["id8"] and len({t["id1"], t["id4"], t["id7"]}) == 3
    assert all(v.startswith("t:") and "barn" not in v for v in t.values())


def test_find_pairs_headers_then_quoted():
    rows = [_row(1, "bob@x.com", mid="a", text="Could you send the report before Friday?"),
            _row(2, ME[0], mid="b", irt="a", text="Yes, on Thursday morning."),
            _row(3, ME[0], mid="c", irt="b", text="Also the appendix, as promised.",
                 quoted="-----Original Message-----\nFrom: carol@x.com\n\nDo not forget the "
                        "appendix please."),
            _row(4, ME[0], text="ok", quoted="> Are you coming to the tasting?"),
            _row(5, ME[0], text="I wrote this to myself long ago",
                 quoted="-----Original Message-----\nFrom: wren@cider.example\n\nmy own old note here"),
            _row(6, "bob@x.com", mid="d", irt="a", text="Thanks a lot for that")]
    pairs = find_pairs(rows, thread_keys(rows), ME)
    by = {p.reply_id: p for p in pairs}
    assert set(by) == {"id2", "id3"}
    assert by["id2"].how == "headers" and by["id2"].message_id == "id1"
    assert by["id2"].message_text.startswith("Could you")
    # its original is the user's own mail: fall back to the quoted text
    assert by["id3"].how == "quoted" and by["id3"].message_id is None
    assert by["id3"].message_text == "Do not forget the appendix please."
    assert by["id3"].message_sender == "carol@x.com"
