"""Documents (txt, md, html, docx, pdf) and detect_kind's refusals."""

from __future__ import annotations

import os

import pytest

from ingest.kernel.errors import UserError
from ingest.kernel.records import Document, Skip
from ingest.sources import detect_kind, iter_source

PDF_TEXT = b"BT /F1 18 Tf 40 100 Td (Hello from my essay.) Tj ET"


def minimal_pdf(stream: bytes) -> bytes:
    """A valid one-page PDF with a Helvetica text stream, written by hand."""
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 200] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for i, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


def test_each_document_type(write, tmp_path):
    import docx

    d = docx.Document()
    d.add_paragraph("First paragraph of my report.")
    d.add_paragraph("Second one, with feeling.")
    docs = tmp_path / "docs"
    docs.mkdir()
    d.save(str(docs / "report.docx"))
    write("docs/notes.txt", "Plain notes.\nSecond line.")
    write("docs/post.md", "# My Post\n\nSome *markdown* here.")
    write("docs/page.html", "<html><head><title>Page T</title><style>p{}</style></head>"
                            "<body><p>Para one.</p><p>Para two.</p></body></html>")
    write("docs/essay.pdf", minimal_pdf(PDF_TEXT))
    write("docs/scan.pdf", minimal_pdf(b""))
    write("docs/latin1.txt", "Café crème".encode("cp1252"))
    write("docs/photo.jpg", os.urandom(200))
    assert detect_kind(docs) == "documents"
    recs = {r.item: r for r in iter_source(docs)}
    assert recs["report.docx"].text == "First paragraph of my report.\n\nSecond one, with feeling."
    assert recs["report.docx"].kind == "docx"
    assert recs["notes.txt"].text == "Plain notes.\nSecond line." and recs["notes.txt"].title == "notes"
    assert recs["post.md"].title == "My Post" and recs["post.md"].kind == "md"
    assert recs["page.html"].title == "Page T" and recs["page.html"].text == "Para one.\n\nPara two."
    assert recs["essay.pdf"].text == "Hello from my essay." and recs["essay.pdf"].kind == "pdf"
    assert isinstance(recs["scan.pdf"], Skip) and "no text layer" in recs["scan.pdf"].reason
    assert recs["latin1.txt"].text == "Café crème" and recs["latin1.txt"].notes
    assert isinstance(recs["photo.jpg"], Skip)
    assert all(isinstance(r, Document) for k, r in recs.items() if k not in ("scan.pdf", "photo.jpg"))
    # one document on its own
    assert detect_kind(docs / "essay.pdf") == "document"
    (one,) = list(iter_source(docs / "essay.pdf"))
    assert one.item == "essay.pdf" and one.date is not None


def test_folder_of_photos_is_refused(write, tmp_path):
    for i in range(3):
        write(f"photos/IMG_{i}.jpg", b"\xff\xd8\xff\xe0" + os.urandom(500))
    with pytest.raises(UserError) as e:
        detect_kind(tmp_path / "photos")
    assert "No mail or documents" in str(e.value) and "IMG_0.jpg" in str(e.value)
    with pytest.raises(UserError):
        iter_source(tmp_path / "photos")


def test_text_file_that_is_not_mail_is_refused(write):
    p = write("archive.mbox", "Dear diary,\nToday I parsed mail.\n")
    with pytest.raises(UserError) as e:
        detect_kind(p)
    assert "does not look like mail" in str(e.value)
    with pytest.raises(UserError):
        detect_kind(write("table.csv", "a,b\n1,2\n"))


def test_missing_and_empty(tmp_path):
    with pytest.raises(UserError) as e:
        detect_kind(tmp_path / "nope.mbox")
    assert "does not exist" in str(e.value)
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError) as e:
        detect_kind(tmp_path / "empty")
    assert "empty" in str(e.value)


def test_documents_resume(write, tmp_path):
    for i in range(4):
        write(f"d/{i}.txt", f"text {i}")
    recs = list(iter_source(tmp_path / "d"))
    assert list(iter_source(tmp_path / "d", start_after=recs[1].item)) == recs[2:]
