"""The Archive page over a real store: import the demo archive, cancel an import, a bad drop."""

from __future__ import annotations

import statistics
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

from app.gui.models import SKIPPED_COLUMN
from tests.app.gui.conftest import wait_idle
from tests.conftest import DEMO, DEMO_ME
from tests.ingest.store.imap_server import dovecot  # noqa: F401 - the Dovecot fixture

# The UI thread must never stall on import work. 250 ms is the point where a user sees
# a frozen window (a button press that does not respond); the import runs Python code
# (parsing, pairing) in a worker thread that shares the GIL, which hands the UI thread
# a turn every 5 ms (sys.getswitchinterval), so a gap near 250 ms means real blocking.
MAX_GAP_S = 0.25
IDLE_FACTOR = 2.5


def test_import_demo_archive_through_the_page(gui_import):
    assert gui_import.outcomes == ["done"], gui_import.outcomes
    page = gui_import.window.pages["archive"]
    rows = {Path(s.path).name: s.report for s in page.sources.rows}
    assert set(rows) == {"Sent.mbox", "Inbox.mbox"}
    assert rows["Sent.mbox"].own > 80 and rows["Inbox.mbox"].others > 80
    assert rows["Sent.mbox"].pairs > 0
    # the table shows the store's figures
    model = page.sources
    sent_row = [i for i, s in enumerate(model.rows) if s.path.endswith("Sent.mbox")][0]
    assert model.data(model.index(sent_row, 3)) == str(rows["Sent.mbox"].own)
    assert "Imported" in page.banner.text() and page.banner.kind == "info"
    # progress reached the page as it ran, not just at the end
    assert len(gui_import.progress) >= 2
    assert not page.job_bar.isVisible()
    # the addresses were saved in the store, not in config.toml: they belong to this data dir
    from ingest.kernel.config import load_config
    from ingest.store.store import saved_identity

    assert set(saved_identity(gui_import.data_dir)) == set(DEMO_ME)
    assert load_config(overrides=False).me == ()
    assert set(page.me_edit.text().split(", ")) == set(DEMO_ME)


def test_event_loop_stays_responsive_during_import(gui_import):
    gaps = gui_import.gaps_s
    assert len(gaps) > 50, "the timer hardly ran: the UI thread was blocked"
    # ticks must keep coming across the whole import (10 ms timer; allow for a busy machine)
    assert sum(gaps) > 0.8 * gui_import.seconds
    # On a machine so busy that even an idle loop stalls, allow that stall's size too
    # (measured in the same run), so the test checks our threading, not the neighbours.
    bound = max(MAX_GAP_S, IDLE_FACTOR * max(gui_import.idle_gaps_s))
    ranked = sorted(gaps)
    worst, second = ranked[-1], ranked[-2]
    detail = (f"largest gaps between 10 ms ticks: {worst * 1000:.0f} and {second * 1000:.0f} ms "
              f"(median {statistics.median(gaps) * 1000:.1f} ms, "
              f"idle loop's largest {max(gui_import.idle_gaps_s) * 1000:.0f} ms)")
    # every gap but one under the bound; the one a scheduler hiccup on a shared CI
    # machine can give (it flaked there once) still under a second. Import work on the
    # UI thread shows as repeated stalls or one of seconds, and fails either way.
    assert second < bound, detail
    assert worst < max(1.0, bound), detail


def test_skipped_items_and_search(gui_import, qtbot):
    w = gui_import.window
    page = w.pages["archive"]
    w.show_page("archive")
    # a click on the Skipped cell lists each skipped item with its reason
    idx = page.sources.index(0, SKIPPED_COLUMN)
    page.sources_view.clicked.emit(idx)
    skipped = page.sources.rows[0].report.skipped
    assert page.skips.rowCount() == len(skipped)
    assert ("nothing was skipped" in page.skips_label.text()) == (not skipped)
    # search the store (reopens the store closed after the import)
    page.query.setText("trade price list delivery")
    page.run_search()
    wait_idle(qtbot, w)
    assert page.hits.rowCount() > 0
    assert all(isinstance(h.score, float) for h in page.hits.rows)


def _drop(page, path: Path) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    ev = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                    Qt.KeyboardModifier.NoModifier)
    page.dropEvent(ev)


def test_bad_file_dropped_shows_the_error(make_window, tmp_path, qtbot):
    w = make_window(tmp_path / "data")
    page = w.pages["archive"]
    page.me_edit.setText(", ".join(DEMO_ME))
    bad = tmp_path / "holiday-photo.xyz"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    _drop(page, bad)
    assert page.import_job is not None
    wait_idle(qtbot, w)
    assert page.banner.kind == "error"
    assert "holiday-photo.xyz" in page.banner.text()
    assert "Unexpected" not in page.banner.text()  # a UserError, shown as-is
    assert page.sources.rowCount() == 0
    # the window still works: a good drop imports afterwards
    _drop(page, DEMO / "documents")
    wait_idle(qtbot, w)
    assert page.banner.kind == "info", page.banner.text()
    assert page.sources.rowCount() == 1


def test_missing_addresses_are_asked_for(make_window, tmp_path):
    w = make_window(tmp_path / "data")
    page = w.pages["archive"]
    page.me_edit.setText("")
    page.import_paths([str(DEMO / "Sent.mbox")])
    assert page.import_job is None
    assert page.banner.kind == "error" and "addresses" in page.banner.text()


def test_cancel_an_import(make_window, tmp_path, qtbot):
    w = make_window(tmp_path / "data")
    page = w.pages["archive"]
    page.me_edit.setText(", ".join(DEMO_ME))
    # big enough (3,520 messages) that the cancel lands mid-import even on a fast machine
    big = tmp_path / "big.mbox"
    big.write_bytes((DEMO / "Inbox.mbox").read_bytes() * 40)
    page.import_paths([str(big)])
    job = page.import_job
    assert page.job_bar.isVisible() and page.job_bar.cancel_button.isEnabled()
    qtbot.waitUntil(lambda: job.running, timeout=30_000)
    qtbot.mouseClick(page.job_bar.cancel_button, Qt.MouseButton.LeftButton)
    assert job.cancelled
    wait_idle(qtbot, w)
    assert page.banner.kind == "warning" and "cancelled" in page.banner.text().lower()
    assert not page.job_bar.isVisible()
    # nothing was recorded as a finished import of the source
    from app.workflows import archive

    sources = archive.list_sources(w.ws)
    assert all(s.report.seen < 40 * 88 for s in sources)


def test_addresses_follow_the_data_dir_not_the_config(make_window, gui_import, tmp_path):
    """A second data dir shows no addresses (the first store's are not the second
    person's); the first store's addresses show when its data dir is open."""
    import shutil

    from ingest.kernel.config import Config

    w = make_window(tmp_path / "other", config=Config(data_dir=str(tmp_path / "other")))
    assert w.pages["archive"].me_edit.text() == ""
    first = tmp_path / "first"
    shutil.copytree(gui_import.data_dir, first)
    w2 = make_window(first, config=Config(data_dir=str(first)))
    assert set(w2.pages["archive"].me_edit.text().split(", ")) == set(DEMO_ME)


def test_a_remote_store_shows_a_warning_that_stays(make_window, tmp_path, monkeypatch):
    """A Chroma server on another machine (allowed in config.toml) is named on the
    Archive page in a banner that import messages do not replace; loopback is silent."""
    from ingest.kernel.config import Config

    w = make_window(tmp_path / "data", config=Config(data_dir=str(tmp_path / "data"),
                                                     chroma_url="http://db.example:8000", allow_remote_store=True))
    page = w.pages["archive"]
    assert page.remote_banner.kind == "warning" and page.remote_banner.isVisibleTo(page)
    assert "db.example" in page.remote_banner.text() and "plain http" in page.remote_banner.text()
    page.banner.clear_message()
    assert page.remote_banner.isVisibleTo(page)
    local = make_window(tmp_path / "d2", config=Config(data_dir=str(tmp_path / "d2"),
                                                       chroma_url="http://127.0.0.1:8000", allow_remote_store=True))
    assert not local.pages["archive"].remote_banner.isVisibleTo(local.pages["archive"])


@pytest.mark.corpora
def test_add_an_imap_account_and_trust_its_certificate(make_window, dovecot, tmp_path, qtbot, monkeypatch):
    """The dialog's account goes through the worker to a real Dovecot; the self-signed
    certificate is shown by fingerprint and imported only once the user says yes."""
    from PySide6.QtWidgets import QDialogButtonBox, QMessageBox

    from app.gui.imapdialog import ImapDialog
    from tests.ingest.store.imap_server import PASSWORD, USER

    w = make_window(tmp_path / "data")
    page = w.pages["archive"]
    page.me_edit.setText("phillip.allen@enron.com")
    dlg = ImapDialog(page)
    qtbot.addWidget(dlg)
    ok = dlg.buttons.button(QDialogButtonBox.StandardButton.Ok)
    dlg.host.setText("127.0.0.1")
    dlg.port.setValue(dovecot.imaps_port)
    dlg.user.setText(USER)
    assert not ok.isEnabled()  # no password yet
    dlg.password.setText(PASSWORD)
    assert ok.isEnabled()
    asked = []

    def question(*a, **k):  # noqa: ANN002, ANN003 - a modal dialog runs its own event loop: so does this
        asked.append(a[2])
        qtbot.wait(300)  # the job's "finished" arrives while the user reads the fingerprint
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", question)
    page.import_paths(dlg.account())
    wait_idle(qtbot, w, 180_000)
    assert len(asked) == 1 and dovecot.fingerprint in asked[0]
    rows = {s.path: s.report for s in page.sources.rows}
    inbox = f"imap://{USER}@127.0.0.1:{dovecot.imaps_port}/INBOX"
    assert inbox in rows and rows[inbox].kind == "imap" and rows[inbox].others > 0
    assert page.banner.kind == "info" and "Imported" in page.banner.text()


def test_the_search_pass_ran_in_the_background_after_the_import(gui_import):
    """The import returned once learning could start; the window's background pass
    (app.gui.background) then embedded the rest for search."""
    from ingest.store.store import Store

    with Store.open(gui_import.data_dir, chroma_url="") as s:  # the fixture closed the window's store
        cov = s.coverage()
        assert cov["pending"] == 0 and cov["share"] == 1.0 and cov["messages"]["total"] > 50
        assert s.vector_ids("messages") == {m.id for m in s.messages()}
