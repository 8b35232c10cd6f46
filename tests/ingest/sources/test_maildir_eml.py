"""Maildir / Maildir++ and folders of .eml files: folders, flags, markers, resume."""

from __future__ import annotations

from ingest.kernel.records import Message, Skip
from ingest.sources import detect_kind, iter_source
from tests.ingest.sources.conftest import mail


def test_maildirpp_folders_flags_and_noindex(write, tmp_path):
    root = tmp_path / "Mail"
    write("Mail/cur/1.host!2,S", mail("inbox one", "hi"))
    write("Mail/new/2.host", mail("inbox new", "hi"))
    write("Mail/.Sent/cur/3.host:2,RS", mail("sent one", "my words", sender="me@example.com"))
    write("Mail/.Sent.2019/cur/4.host!2,S", mail("sent 2019", "older words"))
    write("Mail/.Archive/cur/5.host!2,", mail("archived", "x"))  # no new/ or tmp/: fine
    write("Mail/.Spam/cur/6.host", mail("spam", "buy"))
    write("Mail/.Spam/.noindex", "")
    write("Mail/tmp/7.host", mail("half delivered", "x"))
    write("Mail/dovecot-uidlist", "3 V1 N1\n")
    assert detect_kind(root) == "maildir"
    recs = list(iter_source(root))
    msgs = {r.subject: r for r in recs if isinstance(r, Message)}
    assert set(msgs) == {"inbox one", "inbox new", "sent one", "sent 2019", "archived"}
    assert msgs["inbox one"].folder == "INBOX" and not msgs["inbox one"].sent_folder
    assert msgs["sent one"].folder == "Sent" and msgs["sent one"].sent_folder
    assert msgs["sent 2019"].folder == "Sent/2019" and msgs["sent 2019"].sent_folder
    assert msgs["inbox one"].item == "cur/1.host!2,S"
    skips = {r.item: r.reason for r in recs if isinstance(r, Skip)}
    assert set(skips) == {".Spam/cur/6.host", "tmp/7.host"}
    assert ".noindex" in skips[".Spam/cur/6.host"] and "tmp" in skips["tmp/7.host"]


def test_maildir_resume(write, tmp_path):
    for i in range(6):
        write(f"M/cur/{i}.x!2,S", mail(f"m{i}", f"body {i}"))
    recs = list(iter_source(tmp_path / "M"))
    assert len(recs) == 6
    assert list(iter_source(tmp_path / "M", start_after=recs[2].item)) == recs[3:]


def test_mu_testdirs(corpora):
    mu = corpora / "malformed" / "mu"
    recs = list(iter_source(mu / "testdir"))
    msgs = [r for r in recs if isinstance(r, Message)]
    assert len(msgs) == 19 and all("!2," in r.item or r.item.startswith("new/") for r in msgs)
    assert [r.item for r in recs if isinstance(r, Skip)] == ["tmp/1220863087.12663.ignore"]
    folders = {r.folder for r in iter_source(mu / "testdir2")}
    assert folders == {"Foo", "bar", "wom_bat"}
    # a folder git could not keep cur/new for: a plain folder of mail files
    assert detect_kind(mu / "testdir4") == "emldir"
    assert sum(isinstance(r, Message) for r in iter_source(mu / "testdir4")) == 14


def test_emldir_recursive_and_resume(write, tmp_path):
    write("eml/a.eml", mail("a", "one"))
    write("eml/sub/b.eml", mail("b", "two"))
    write("eml/sub/deeper/c", mail("c", "three"))
    write("eml/Sent/d.eml", mail("d", "mine"))
    write("eml/notes.pdf", b"%PDF-1.4 not mail")
    assert detect_kind(tmp_path / "eml") == "emldir"
    recs = list(iter_source(tmp_path / "eml"))
    assert [r.item for r in recs] == ["Sent/d.eml", "a.eml", "notes.pdf", "sub/b.eml", "sub/deeper/c"]
    assert isinstance(recs[2], Skip) and "document" in recs[2].reason
    assert recs[0].sent_folder and recs[0].folder == "Sent"
    assert list(iter_source(tmp_path / "eml", start_after="a.eml")) == recs[2:]


def test_single_eml(write):
    p = write("one.eml", mail("solo", "Just me.\n\nOn Mon, Bob <b@x.org> wrote:\n> hi"))
    assert detect_kind(p) == "eml"
    (rec,) = list(iter_source(p, source_key="k"))
    assert rec.source == "k" and rec.item == "one.eml"
    assert rec.text == "Just me." and rec.quoted.startswith("On Mon")
    assert rec.sender == "ann@example.com" and rec.sender_name == "Ann Lee"
    assert rec.date is not None and rec.date.utcoffset().total_seconds() == 0 and rec.date.hour == 8
    assert list(iter_source(p, start_after=rec.item)) == []


def test_unreadable_file_in_a_folder_is_a_skip(write, tmp_path, monkeypatch):
    from ingest.sources import mbox as mbox_mod

    write("u/a.eml", mail("a", "one"))
    write("u/b.mbox", "From x@y Mon Apr 18 14:23:23 2022\nSubject: b\n\nbody\n")

    def denied(path):  # what a file without read permission does (tests may run as root)
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(mbox_mod, "open_ro", denied)
    recs = list(iter_source(tmp_path / "u"))
    assert isinstance(recs[0], Message) and isinstance(recs[1], Skip)
    assert recs[1].reason == "cannot read file: Permission denied"
    # a single-file source that cannot be read is one clear UserError
    import pytest

    from ingest.kernel.errors import UserError

    with pytest.raises(UserError) as e:
        list(iter_source(tmp_path / "u" / "b.mbox", kind="mbox"))
    assert "Cannot read" in str(e.value)


def test_bad_resume_point_is_a_user_error(write):
    import pytest

    from ingest.kernel.errors import UserError

    p = write("r.mbox", "From x@y Mon Apr 18 14:23:23 2022\nSubject: b\n\nbody\n")
    with pytest.raises(UserError):
        iter_source(p, start_after="r.mbox#notanumber")


def test_read_message_gives_the_one_message_or_a_clear_error(write, tmp_path):
    import pytest

    from ingest.kernel.errors import UserError
    from ingest.sources import read_message

    write("q.eml", mail("stall at the fair", "Can we have stall 12?", sender="jo@fair.example"))
    write("pic.png", "\x89PNG\r\n\x1a\nnot mail")
    m = read_message(tmp_path / "q.eml")
    assert m.subject == "stall at the fair" and m.sender == "jo@fair.example" and "stall 12" in m.text
    with pytest.raises(UserError) as e:
        read_message(tmp_path / "pic.png", hint="Pick another file.")
    assert "could not be read as a mail message" in str(e.value) and e.value.hint == "Pick another file."
    with pytest.raises(UserError, match="is not a file"):
        read_message(tmp_path)
