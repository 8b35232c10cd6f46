"""A new mail format is one module and one line in ``ingest.sources.registry``.

The toy format below (a made-up "TOYMAIL" file: a magic line, then messages split by
"%%" lines, each "From:", "Subject:" and a body) is written as a module of its own and
added to the registry's table, nothing else; it is then detected on its own and inside
a folder, read with resume points, and imported into a real Store.
"""

from __future__ import annotations

import sys
import textwrap

import pytest

from ingest.kernel.records import Message
from ingest.sources import detect_kind, iter_source, registry

TOY_MODULE = textwrap.dedent('''
    from ingest.kernel.records import Message, Skip

    def sniff(head, ext):
        return head.startswith(b"TOYMAIL\\n")

    def read(path, *, source, rel, folder, start_loc=""):
        parts = path.read_bytes()[len(b"TOYMAIL\\n"):].decode("utf-8").split("\\n%%\\n")
        for n, part in enumerate(parts):
            if start_loc and n <= int(start_loc):
                continue
            head, _, body = part.partition("\\n\\n")
            fields = dict(line.split(": ", 1) for line in head.splitlines() if ": " in line)
            if "From" not in fields:
                yield Skip(source, f"{rel}#{n}", "a toy message without a From line")
                continue
            yield Message(source=source, item=f"{rel}#{n}", sender=fields["From"], subject=fields.get("Subject", ""),
                          body=body.strip(), text=body.strip(), folder=folder or "")
''')
TOY_FILE = ("TOYMAIL\nFrom: jo@fair.example\nSubject: Pitch\n\nWhich pitch would you like?\n%%\n"
            "From: wren@halloway-cider.example\nSubject: Re: Pitch\n\nThe one by the hedge, please.\n%%\n"
            "Subject: no sender\n\nlost\n")


@pytest.fixture
def toy(tmp_path, monkeypatch):
    mod = tmp_path / "mods" / "toymail.py"
    mod.parent.mkdir()
    mod.write_text(TOY_MODULE)
    monkeypatch.syspath_prepend(str(mod.parent))
    # the one line a new format adds to the table
    monkeypatch.setattr(registry, "MAIL_FORMATS", {"toy": registry.MailFormat("toy", "toymail"),
                                                   **registry.MAIL_FORMATS})
    yield
    sys.modules.pop("toymail", None)


def test_a_toy_format_is_detected_read_and_resumed(toy, tmp_path):
    p = tmp_path / "box.toy"
    p.write_text(TOY_FILE)
    assert detect_kind(p) == "toy" and registry.sniff(p) == "toy"
    recs = list(iter_source(p))
    assert [r.item for r in recs] == ["box.toy#0", "box.toy#1", "box.toy#2"]
    assert isinstance(recs[0], Message) and recs[0].sender == "jo@fair.example"
    assert type(recs[2]).__name__ == "Skip" and "without a From" in recs[2].reason
    assert [r.item for r in iter_source(p, start_after="box.toy#0")] == ["box.toy#1", "box.toy#2"]
    # in a folder with an .eml beside it: a folder of mail files, each read by its format
    folder = tmp_path / "mail"
    folder.mkdir()
    (folder / "box.toy").write_text(TOY_FILE)
    (folder / "one.eml").write_text("From: sam@fair.example\nTo: wren@halloway-cider.example\n"
                                    "Subject: Cider\nMessage-ID: <c1@fair.example>\n\nTwo cases?\n")
    assert detect_kind(folder) == "emldir"
    items = [r.item for r in iter_source(folder)]
    assert items == ["box.toy#0", "box.toy#1", "box.toy#2", "one.eml"]


def test_without_its_line_the_toy_file_is_not_mail(tmp_path):
    p = tmp_path / "box.toy"
    p.write_text(TOY_FILE)
    assert registry.sniff(p) == ""
    with pytest.raises(Exception, match="neither mail nor a supported document"):
        detect_kind(p)


def test_a_toy_format_imports_into_the_real_store(toy, tmp_path, data_dir):
    from ingest.store.importer import import_sources
    from ingest.store.store import Store

    p = tmp_path / "box.toy"
    p.write_text(TOY_FILE)
    with Store.open(data_dir) as store:
        (report,) = import_sources([p], store, ["wren@halloway-cider.example"])
        assert report.kind == "toy" and report.seen >= 2 and report.own == 1 and report.others == 1
        assert [s.reason for s in report.skipped] == ["a toy message without a From line"]
        own = [m for m in store.messages(own=True)]
        assert [m.subject for m in own] == ["Re: Pitch"]
