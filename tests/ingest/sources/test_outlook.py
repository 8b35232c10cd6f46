"""Outlook .msg, .pst (including a password-protected store) and TNEF winmail.dat."""

from __future__ import annotations

import base64

import pytest

from ingest.errors import UserError
from ingest.mime import message_from_bytes
from ingest.records import Message, Skip
from ingest.sources import detect_kind, iter_source
from ingest.sources.outlook import rtf_to_text, tnef_text


def test_msg_unicode(corpora):
    p = corpora / "malformed" / "msg" / "unicode.msg"
    assert detect_kind(p) == "msg"
    (rec,) = list(iter_source(p))
    assert isinstance(rec, Message)
    assert rec.subject == "Test for TIF files"
    assert rec.sender == "brizhou@gmail.com" and rec.to == ("brianzhou@me.com",)
    assert rec.date is not None and rec.date.year == 2013
    assert rec.message_id.startswith("CADtJ4eN")
    assert "test email to experiment" in rec.text
    assert "Kind regards" in rec.signature  # after the "-- " delimiter
    assert set(rec.attachments) == {"import OleFileIO.tif", "raised value error.tif"}


def test_msg_strange_date(corpora):
    (rec,) = list(iter_source(corpora / "malformed" / "msg" / "strangeDate.msg"))
    assert isinstance(rec, Message) and rec.subject == "MSG Test File" and rec.date is None


def test_password_protected_pst(corpora):
    p = corpora / "malformed" / "pst" / "passworded.pst"
    assert detect_kind(p) == "pst"
    with pytest.raises(UserError) as e:
        iter_source(p)  # refused at the call, before any item
    msg = str(e.value)
    assert "password-protected" in msg and "remove the password" in msg.lower()
    assert "\n" not in msg


def test_pst_non_mail_items_are_skipped_with_reason(corpora):
    recs = list(iter_source(corpora / "malformed" / "pst" / "dist-list.pst"))
    assert len(recs) == 4 and all(isinstance(r, Skip) for r in recs)
    assert any("ipm.appointment" in r.reason for r in recs)
    assert any("ipm.distlist" in r.reason for r in recs)
    assert [r.item for r in recs] == [f"dist-list.pst#{i}" for i in range(4)]


def test_tnef_bodies(corpora):
    t = corpora / "malformed" / "tnef"
    body, names, _ = tnef_text((t / "body.tnef").read_bytes())
    assert body and "<" not in body[:50]  # the HTML body, converted
    body, names, notes = tnef_text((t / "rtf.tnef").read_bytes())
    assert body and "\\rtf" not in body and "body from TNEF RTF" in notes
    _, names, _ = tnef_text((t / "umlaut.tnef").read_bytes())
    assert "UmlautAnhang-äüö.txt" in names
    assert tnef_text(b"\x78\x9f\x3e\x22garbage")[:2] == ("", [])  # corrupt: nothing, no exception
    assert "unreadable TNEF" in tnef_text(b"not tnef at all")[2][0]


def test_tnef_standalone_file(corpora):
    p = corpora / "malformed" / "tnef" / "unicode-mapi-attr.tnef"
    assert detect_kind(p) == "msg"
    (rec,) = list(iter_source(p))
    assert isinstance(rec, Message) and "hello world" in rec.text and rec.attachments == ("example.dat",)


def test_winmail_dat_inside_mime(corpora):
    blob = (corpora / "malformed" / "tnef" / "unicode-mapi-attr.tnef").read_bytes()
    b64 = base64.encodebytes(blob).decode()
    raw = (
        "From: a@example.com\nTo: b@example.com\nSubject: winmail\nMIME-Version: 1.0\n"
        'Content-Type: multipart/mixed; boundary="B"\n\n--B\nContent-Type: application/ms-tnef; name="winmail.dat"\n'
        f"Content-Transfer-Encoding: base64\n\n{b64}\n--B--\n"
    ).encode()
    rec = message_from_bytes(raw, source="s", item="i")
    assert isinstance(rec, Message) and "hello world" in rec.text and "example.dat" in rec.attachments


def test_rtf_to_text():
    rtf = r"{\rtf1\ansi{\fonttbl{\f0 Arial;}}{\*\generator x;}Dear Ann,\par Caf\'e9 at {\b noon}.\par}"
    assert rtf_to_text(rtf) == "Dear Ann,\nCafé at noon."
