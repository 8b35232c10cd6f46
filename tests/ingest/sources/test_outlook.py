"""Outlook .msg, .pst (including a password-protected store) and TNEF winmail.dat."""

from __future__ import annotations

import base64

import pytest

from ingest.kernel.errors import UserError
from ingest.kernel.records import Message, Skip
from ingest.sources import detect_kind, iter_source
from ingest.sources.mime import message_from_bytes
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


class _Entry:
    def __init__(self, entry_type, value):
        self.entry_type, self._v = entry_type, value

    def get_data_as_string(self):
        return self._v


class _RecordSet:
    def __init__(self, entries):
        self.entries = entries


class _PstMessage:
    """The slice of pypff.message that _pst_record reads (no mail-bearing .pst sample
    exists in the corpora; the real store is covered by the tests above)."""

    def __init__(self, headers, body, cls="IPM.Note", html=None):
        self.record_sets = [_RecordSet([_Entry(0x001A, cls)])]
        self.transport_headers = headers
        self.plain_text_body = body
        self.html_body = html
        self.subject = "Subject from MAPI"
        self.sender_name = "Ann Lee"
        from datetime import datetime

        self.client_submit_time = datetime(2020, 1, 2, 3, 4, 5)


def test_pst_mail_item_with_transport_headers():
    from ingest.sources.pst import _pst_record

    headers = ("From: Ann Lee <ANN@x.org>\r\nTo: bob@x.org\r\nSubject: Re: plan\r\n"
               "Date: Thu, 2 Jan 2020 10:00:00 +0100\r\nMessage-ID: <m1@x.org>\r\nIn-Reply-To: <m0@x.org>\r\n")
    body = b"Sounds good.\r\n\r\nAnn\r\n\r\n-----Original Message-----\r\nFrom: Bob\r\nSent: Monday\r\nTo: Ann\r\nSubject: plan\r\n\r\nOld"
    rec = _pst_record(_PstMessage(headers, body), source="s", item="a.pst#0", folder="Top of Personal Folders/Sent Items")
    assert rec.sender == "ann@x.org" and rec.to == ("bob@x.org",) and rec.message_id == "m1@x.org"
    assert rec.in_reply_to == "m0@x.org" and rec.date.hour == 9
    assert rec.text == "Sounds good.\n\nAnn" and rec.quoted.startswith("-----Original Message-----")
    assert rec.sent_folder and rec.folder.endswith("Sent Items")


def test_pst_mail_item_without_headers_and_html_only():
    from ingest.sources.pst import _pst_record

    rec = _pst_record(_PstMessage("", None, html=b"<p>Hello <b>there</b></p>"), source="s", item="a.pst#1",
                      folder="Inbox")
    assert rec.text == "Hello there" and rec.sender_name == "Ann Lee" and rec.date.year == 2020
    assert not rec.sent_folder and any("no transport headers" in n for n in rec.notes)
    skip = _pst_record(_PstMessage("", b"x", cls="IPM.Contact"), source="s", item="a.pst#2", folder="Contacts")
    assert isinstance(skip, Skip) and "ipm.contact" in skip.reason


def test_a_pst_with_a_damaged_folder_table_is_one_clear_error(corpora, tmp_path):
    """libpff reports a damaged folder table as MemoryError; import says the store is
    damaged and what to do, instead of crashing (found by tests/fuzz/fuzz_files.py).
    The damage is made here from the corpus file, which is only read."""
    data = bytearray((corpora / "malformed" / "pst" / "dist-list.pst").read_bytes())
    data[49664:49664 + 4096] = bytes(4096)  # zeroes over the folder table's blocks
    bad = tmp_path / "damaged.pst"
    bad.write_bytes(bytes(data))
    with pytest.raises(UserError, match="damaged Outlook store") as e:
        list(iter_source(bad))
    assert "scanpst" in e.value.hint


def test_a_tnef_block_claiming_billions_of_properties_does_not_hang():
    """A winmail.dat whose MAPI block claims 4,294,967,295 properties made tnefparse loop
    for hours (found by tests/fuzz/fuzz_files.py); now it is an unreadable TNEF with a
    note. Run in a thread so a regression fails here instead of hanging the suite."""
    import struct
    import threading

    # the count, then one 32-bit property that fills the block: every later one finds no data
    payload = struct.pack("<I", 0xFFFFFFFF) + struct.pack("<HHI", 0x0003, 0x0037, 7)
    attr = struct.pack("<BII", 1, 0x00069003, len(payload)) + payload  # attMAPIProps, message level
    attr += struct.pack("<H", sum(payload) & 0xFFFF)
    tnef = b"\x78\x9f\x3e\x22" + b"\x01\x00" + attr
    out: list = []
    worker = threading.Thread(target=lambda: out.append(tnef_text(tnef)), daemon=True)
    worker.start()
    worker.join(60)
    assert not worker.is_alive(), "tnef_text is still looping over the claimed properties"
    body, names, notes = out[0]
    assert body == "" and names == [] and notes and "unreadable TNEF" in notes[0]


def test_a_tnef_property_claiming_billions_of_values_does_not_fill_memory():
    """One 16-bit property claiming 4,294,967,295 values made tnefparse append empty
    values until memory ran out (found by tests/fuzz/fuzz_files.py). Run in a child
    process capped at 1 GB, so a regression fails here instead of taking the machine."""
    import struct
    import subprocess
    import sys

    payload = struct.pack("<I", 1) + struct.pack("<HHI", 0x1002, 0x0037, 0xFFFFFFFF)  # multi-value shorts
    attr = struct.pack("<BII", 1, 0x00069003, len(payload)) + payload
    attr += struct.pack("<H", sum(payload) & 0xFFFF)
    tnef = b"\x78\x9f\x3e\x22" + b"\x01\x00" + attr
    code = ("import resource, sys; resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30)); "
            "from ingest.sources.outlook import tnef_text; "
            "body, names, notes = tnef_text(sys.stdin.buffer.read()); print(repr((body, names)))")
    res = subprocess.run([sys.executable, "-c", code], input=tnef, capture_output=True, timeout=120)
    assert res.returncode == 0, res.stderr.decode(errors="replace")[-2000:]
    assert res.stdout.decode().strip() == "('', [])"
