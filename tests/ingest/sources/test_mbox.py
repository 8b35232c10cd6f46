"""mbox: separators, Content-Length, Gmail Takeout labels, truncation, oversized
messages, resume, escaped From lines, Sent folder names; against real files."""

from __future__ import annotations

import mailbox
import tracemalloc

import pytest

from ingest.kernel.records import Message, Skip
from ingest.sources import detect_kind, iter_source
from ingest.sources import mbox as mbox_mod
from tests.ingest.sources.conftest import SEP, mail, mbox_text


def records(path, **kw):
    return list(iter_source(path, **kw))


def test_unescaped_from_line_in_body_is_not_a_separator(corpora):
    path = corpora / "malformed" / "cpython-email" / "mailbox_01.mbox"
    assert len(mailbox.mbox(str(path))) == 2  # the trap: the stdlib splits it in two
    recs = records(path)
    assert [type(r) for r in recs] == [Message]
    assert "From time to time" in recs[0].body
    assert recs[0].item == "mailbox_01.mbox#0"


def test_separator_needs_blank_line_date_and_header(write):
    body = "Hello\n\nFrom here on we talk.\nFrom me Mon Apr 18 14:23:23 2022\nno header here\n"
    p = write("x.mbox", mbox_text(mail("one", body), mail("two", "second")))
    recs = records(p)
    assert [r.subject for r in recs] == ["one", "two"]
    assert "From here on we talk." in recs[0].body


def test_mboxcl2_content_length_keeps_unescaped_from_lines(write):
    body = "Top line\n\nFrom sender@example.com Mon Apr 18 14:23:23 2022\nX-Looks: like a header\n\nend\n"
    first = mail("cl", body, extra=f"Content-Length: {len(body.encode())}\n")
    p = write("cl2.mbox", mbox_text(first, mail("after", "next one")))
    recs = records(p)
    assert [r.subject for r in recs] == ["cl", "after"]
    assert "X-Looks: like a header" in recs[0].body
    # without Content-Length the same bytes are three messages: the length is what decides
    p2 = write("plain.mbox", mbox_text(mail("cl", body), mail("after", "next one")))
    assert len(records(p2)) == 3


def test_wrong_content_length_falls_back_to_separators(write):
    p = write("bad.mbox", mbox_text(mail("a", "x" * 10, extra="Content-Length: 99999\n"), mail("b", "y")))
    assert [r.subject for r in records(p)] == ["a", "b"]


def test_gmail_takeout_labels(write):
    p = write("All mail Including Spam and Trash.mbox", mbox_text(
        mail("mine", "I wrote this", extra="X-Gmail-Labels: Sent,Opened\nX-GM-THRID: 1\n"),
        mail("theirs", "To me", extra="X-Gmail-Labels: Inbox,Important,Category Personal\n"),
        mail("both", "reply", extra='X-Gmail-Labels: "[Gmail]/Sent Mail",Starred\n'),
    ))
    assert detect_kind(p) == "mbox"
    recs = records(p)
    assert [r.sent_folder for r in recs] == [True, False, True]
    assert recs[0].folder == "Sent,Opened"
    assert "Inbox" in recs[1].folder


@pytest.mark.parametrize("name,sent", [
    ("Sent.mbox", True), ("_sent_mail.mbox", True), ("sent_items.mbox", True), ("Sent Messages.mbox", True),
    ("Gesendet.mbox", True), ("Envoyés.mbox", True), ("Enviados.mbox", True), ("inbox.mbox", False),
    ("Sentinel.mbox", False),
])
def test_sent_folder_from_file_name(write, name, sent):
    p = write(name, mbox_text(mail("s", "b")))
    (rec,) = records(p)
    assert rec.sent_folder is sent
    assert rec.folder == name[:-5]


def test_escaped_from_lines_are_unescaped(write):
    p = write("e.mbox", mbox_text(mail("esc", "Hi\n>From the start we knew.\nBye")))
    (rec,) = records(p)
    assert "\nFrom the start we knew." in rec.body
    assert rec.quoted == ""


def _multipart(subject: str, size: int) -> str:
    blob = ("QUJD" * (size // 4 + 1))[:size]
    lines = "\n".join(blob[i:i + 76] for i in range(0, len(blob), 76))
    return (
        f"From: a@example.com\nTo: b@example.com\nSubject: {subject}\nMIME-Version: 1.0\n"
        f'Content-Type: multipart/mixed; boundary="BND"\n\n--BND\nContent-Type: text/plain\n\n'
        f"The text of {subject}.\n--BND\nContent-Type: application/octet-stream\n"
        f'Content-Disposition: attachment; filename="big.bin"\nContent-Transfer-Encoding: base64\n\n'
        f"{lines}\n--BND--\n"
    )


def test_truncated_tail_yields_the_rest_and_a_skip(write):
    whole = mbox_text(mail("one", "first"), mail("two", "second"), _multipart("three", 5000))
    p = write("t.mbox", whole[: len(whole) - 1234])  # cut mid-line inside the attachment
    recs = records(p)
    assert [type(r) for r in recs] == [Message, Message, Skip]
    assert "truncated" in recs[2].reason
    # cut inside the headers of the last message
    cut = whole.index("Subject: three") + 5
    recs = records(write("h.mbox", whole[:cut]))
    assert [type(r) for r in recs] == [Message, Message, Skip]
    assert "headers" in recs[2].reason


def test_real_mbox_truncated(corpora, tmp_path):
    data = (corpora / "enron" / "allen-p" / "inbox.mbox").read_bytes()
    n = sum(1 for r in iter_source(corpora / "enron" / "allen-p" / "inbox.mbox"))
    last = data.rfind(b"\nFrom MAILER-DAEMON")
    cut = tmp_path / "inbox.mbox"
    cut.write_bytes(data[: last + 60])  # inside the last message's headers, mid-line
    recs = records(cut)
    assert len(recs) == n
    assert sum(isinstance(r, Message) for r in recs) == n - 1
    assert isinstance(recs[-1], Skip) and "truncated" in recs[-1].reason


def test_oversized_message_is_imported_without_attachments(write, monkeypatch):
    monkeypatch.setattr(mbox_mod, "MAX_MESSAGE", 200_000)
    monkeypatch.setattr(mbox_mod, "KEEP_OVERSIZED", 20_000)
    p = write("big.mbox", mbox_text(mail("small", "before"), _multipart("huge", 600_000), mail("after", "x")))
    with open(p, "rb") as f:
        spans = list(mbox_mod.scan(f, chunk=64 * 1024))
    assert [s.oversized for s in spans] == [False, True, False]
    assert len(spans[1].data) == 20_000 and spans[1].size > 600_000
    recs = records(p)
    assert [r.subject for r in recs] == ["small", "huge", "after"]
    big = recs[1]
    assert big.attachments == () and "The text of huge." in big.text
    assert any("oversized" in n for n in big.notes)


def test_memory_stays_flat_on_a_large_mbox(write, monkeypatch):
    monkeypatch.setattr(mbox_mod, "MAX_MESSAGE", 300_000)
    monkeypatch.setattr(mbox_mod, "KEEP_OVERSIZED", 10_000)
    text = mbox_text(*[mail(f"m{i}", "word " * 400) for i in range(300)], _multipart("huge", 2_000_000))
    p = write("large.mbox", text * 3)
    assert p.stat().st_size > 6_000_000
    tracemalloc.start()
    with open(p, "rb") as f:
        n = sum(1 for _ in mbox_mod.scan(f, chunk=256 * 1024))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert n == 903
    assert peak < 2_500_000, peak  # bounded by chunk + max message, not by file size


def test_leading_junk_is_a_skip(write):
    p = write("j.mbox", "garbage line\n\n" + mbox_text(mail("a", "b")))
    recs = records(p, kind="mbox")
    assert [type(r) for r in recs] == [Skip, Message]
    assert "before the first" in recs[0].reason


def test_resume_inside_one_mbox(corpora):
    path = corpora / "enron" / "allen-p" / "sent_items.mbox"
    recs = records(path)
    for k in (0, 7, len(recs) - 2):
        rest = records(path, start_after=recs[k].item)
        assert rest == recs[k + 1:]
    assert records(path, start_after=recs[-1].item) == []


def test_folder_of_mboxes_counts_and_resume(corpora):
    folder = corpora / "enron" / "allen-p"
    assert detect_kind(folder) == "mbox"
    recs = records(folder, source_key="allen")
    assert len(recs) == 602 + 562 + 345 + 66
    assert all(isinstance(r, Message) and r.source == "allen" for r in recs)
    assert {r.folder for r in recs} == {"_sent_mail", "sent", "sent_items", "inbox"}
    assert all(r.sent_folder == (r.folder != "inbox") for r in recs)
    k = 602 + 3  # inside the second file
    assert records(folder, source_key="allen", start_after=recs[k].item) == recs[k + 1:]


def test_separator_count_matches_items_on_real_files(corpora):
    for path in sorted((corpora / "enron" / "allen-p").glob("*.mbox")):
        with open(path, "rb") as f:
            spans = list(mbox_mod.scan(f))
        naive = sum(1 for line in path.read_bytes().split(b"\n") if line.startswith(b"From "))
        assert len(spans) == naive  # Enron files have no body "From " lines at line start
        assert len(records(path)) == len(spans)


def test_sep_constant_is_valid():
    assert mbox_mod._SEP.match(SEP.encode())


def test_crlf_mbox_and_apple_mail_export(write, tmp_path):
    text = mbox_text(mail("one", "first\n\nsecond para"), mail("two", "x\n\n-- \nsig"))
    p = write("Export/Sent.mbox/mbox", text.replace("\n", "\r\n"))
    write("Export/Sent.mbox/table_of_contents", b"\x00\x01binary index")
    recs = list(iter_source(tmp_path / "Export"))
    msgs = [r for r in recs if isinstance(r, Message)]
    assert [m.subject for m in msgs] == ["one", "two"]
    assert msgs[0].text == "first\n\nsecond para" and msgs[1].signature == "-- \nsig"
    assert all(m.folder == "Sent" and m.sent_folder for m in msgs)
    assert msgs[0].item == "Sent.mbox/mbox#0"
    assert [type(r) for r in list(iter_source(p))] == [Message, Message]
