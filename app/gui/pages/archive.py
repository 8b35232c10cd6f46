"""Archive page: import sources (dialog or drag and drop), see what each gave, forget one, search.

What it leaves out: it never reads or parses a file itself; every path goes to
``app.workflows.archive.import_paths`` through the worker, and the importer decides what
is mail. Several drops queue up and import one after another (one writer per store).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QFileDialog, QHBoxLayout, QHeaderView,
                               QLabel, QLineEdit, QMessageBox, QPushButton, QSplitter, QTableView, QVBoxLayout,
                               QWidget)

from app.gui.models import (HIT_COLUMNS, SKIP_COLUMNS, SKIPPED_COLUMN, SOURCE_COLUMNS, RecordTable)
from app.gui.widgets import Banner, JobBar, confirm, header, page_layout, section
from app.workflows import archive
from ingest.kernel.netpolicy import remote_store_warning


def _table(model: RecordTable) -> QTableView:
    view = QTableView()
    view.setModel(model)
    view.setAlternatingRowColors(True)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.verticalHeader().setVisible(False)
    view.horizontalHeader().setStretchLastSection(True)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    view.setWordWrap(False)
    return view


class ArchivePage(QWidget):
    title = "Archive"

    def __init__(self, ws, jobs, parent=None) -> None:
        super().__init__(parent)
        self.ws, self.jobs = ws, jobs
        self.queue: list[list[str]] = []
        self.import_job = None
        self.setAcceptDrops(True)
        lay = page_layout(self)
        lay.addWidget(header("Archive", "Your mail and documents, imported into a private store "
                             "on this machine. Drop mbox files, Maildir folders, .eml, .msg, .pst "
                             "or documents here, or add an IMAP account. Files and mail servers are "
                             "only read."))

        self._import_row(lay)

        self.job_bar = JobBar("&Cancel import")
        lay.addWidget(self.job_bar)
        self.banner = Banner()
        lay.addWidget(self.banner)
        self.remote_banner = Banner()  # stays while the store is remote (the other banner is per job)
        lay.addWidget(self.remote_banner)
        warning = remote_store_warning(ws.config.chroma_url, ws.config.allow_remote_store)
        if warning:
            self.remote_banner.warn(warning)

        split = QSplitter(Qt.Orientation.Vertical)
        self._sources_pane(split)

        self._search_pane(split)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        lay.addWidget(split, 1)

        self.add_files.clicked.connect(self.choose_files)
        self.add_folder.clicked.connect(self.choose_folder)
        self.add_imap.clicked.connect(self.choose_imap)
        self.forget_button.clicked.connect(self.forget_selected)
        self.search_button.clicked.connect(self.run_search)
        self.query.returnPressed.connect(self.run_search)
        self.sources_view.clicked.connect(self.on_source_clicked)
        self.sources_view.selectionModel().selectionChanged.connect(self._selection_changed)
        QShortcut(QKeySequence.StandardKey.Open, self, self.choose_files)
        QShortcut(QKeySequence(Qt.Key.Key_Delete), self.sources_view, self.forget_selected)
        QShortcut(QKeySequence.StandardKey.Find, self, self.query.setFocus)
        for a, b in ((self.me_edit, self.add_files), (self.add_files, self.add_folder),
                     (self.add_folder, self.sources_view), (self.sources_view, self.forget_button),
                     (self.forget_button, self.query), (self.query, self.mine_only),
                     (self.mine_only, self.search_button), (self.search_button, self.hits_view)):
            QWidget.setTabOrder(a, b)

    def _import_row(self, lay) -> None:
        """The user's addresses and the import buttons."""
        row = QHBoxLayout()
        me_label = QLabel("Your &addresses:")
        self.me_edit = QLineEdit()
        self._me_shown = ""
        self._show_me()
        self.me_edit.setPlaceholderText("you@example.org, you@work.example")
        me_label.setBuddy(self.me_edit)
        self.add_files = QPushButton("Add &files…")
        self.add_files.setObjectName("primary")
        self.add_folder = QPushButton("Add f&older…")
        self.add_imap = QPushButton("Add &IMAP account…")
        row.addWidget(me_label)
        row.addWidget(self.me_edit, 1)
        row.addWidget(self.add_files)
        row.addWidget(self.add_folder)
        row.addWidget(self.add_imap)
        lay.addLayout(row)

    def _sources_pane(self, split) -> None:
        """The imported sources, with Forget and each source's skipped items."""
        top = QWidget()
        tl = QVBoxLayout(top)
        tl.setContentsMargins(0, 0, 0, 0)
        srow = QHBoxLayout()
        srow.addWidget(section("Sources"))
        srow.addStretch(1)
        self.drop_hint = QLabel("Drag files here to import them")
        self.drop_hint.setObjectName("hint")
        srow.addWidget(self.drop_hint)
        self.forget_button = QPushButton("&Forget source…")
        self.forget_button.setObjectName("danger")
        self.forget_button.setEnabled(False)
        srow.addWidget(self.forget_button)
        tl.addLayout(srow)
        self.sources = RecordTable(SOURCE_COLUMNS)
        self.sources_view = _table(self.sources)
        tl.addWidget(self.sources_view)
        self.skips_label = QLabel("")
        self.skips_label.setObjectName("hint")
        self.skips = RecordTable(SKIP_COLUMNS)
        self.skips_view = _table(self.skips)
        self.skips_view.setVisible(False)
        tl.addWidget(self.skips_label)
        tl.addWidget(self.skips_view)
        split.addWidget(top)

    def _search_pane(self, split) -> None:
        """Search the store, and how much of it search covers yet."""
        bottom = QWidget()
        bl = QVBoxLayout(bottom)
        bl.setContentsMargins(0, 0, 0, 0)
        bl.addWidget(section("Search the store"))
        qrow = QHBoxLayout()
        self.query = QLineEdit()
        self.query.setPlaceholderText("Words or a sentence; finds the closest passages")
        self.mine_only = QCheckBox("Only &mine")
        self.search_button = QPushButton("&Search")
        qrow.addWidget(self.query, 1)
        qrow.addWidget(self.mine_only)
        qrow.addWidget(self.search_button)
        bl.addLayout(qrow)
        self.coverage_label = QLabel("")  # how much search covers while the background pass runs
        self.coverage_label.setObjectName("hint")
        self.coverage_label.setWordWrap(True)
        bl.addWidget(self.coverage_label)
        self.hits = RecordTable(HIT_COLUMNS)
        self.hits_view = _table(self.hits)
        bl.addWidget(self.hits_view)
        split.addWidget(bottom)

    # -- loading -----------------------------------------------------------------------------
    def refresh(self) -> None:
        if not self.me_edit.hasFocus() and self.me_edit.text() == self._me_shown:
            self._show_me()  # the data dir may have changed in Settings: show its store's addresses
        job = self.jobs.start(archive.list_sources, self.ws, name="list sources")
        job.signals.done.connect(self.sources.set_rows)
        job.signals.failed.connect(self.banner.error)

    # -- the search-embedding pass (app.gui.background) --------------------------------------
    def on_background(self, p) -> None:  # noqa: ANN001 - ingest.kernel.jobs.Progress
        if p.total:
            self.coverage_label.setText(f"Embedding your older replies and your mail for search in the background: "
                                        f"{p.done:,} of {p.total:,}. Search and drafts use what is done; your "
                                        "voice can be learned now.")

    def background_failed(self, title: str, text: str) -> None:
        self.coverage_label.setText(f"Embedding for search stopped: {text} It goes on after the next import, "
                                    "or run `ownvoice embed`.")

    def show_coverage(self, cov) -> None:  # noqa: ANN001 - Store.coverage()
        if not cov:
            return
        self.coverage_label.setText(archive.describe_coverage(cov))

    # -- import ------------------------------------------------------------------------------
    def _show_me(self) -> None:
        """Show the addresses saved in this data dir's store (they belong to the store)."""
        self._me_shown = ", ".join(self.ws.saved_me())
        self.me_edit.setText(self._me_shown)

    def addresses(self) -> tuple[str, ...]:
        parts = self.me_edit.text().replace(";", ",").replace(" ", ",").split(",")
        return tuple(p.strip().lower() for p in parts if p.strip())

    def choose_files(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Import mail or documents")
        if paths:
            self.import_paths(paths)

    def choose_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Import a Maildir or a folder of documents")
        if path:
            self.import_paths([path])

    def choose_imap(self) -> None:
        from app.gui.imapdialog import ImapDialog

        dlg = ImapDialog(self)
        if dlg.exec() == ImapDialog.DialogCode.Accepted:
            self.import_paths(dlg.account())

    def import_paths(self, paths) -> None:  # noqa: ANN001 - a list of paths, or a archive.ImapAccount
        me = self.addresses()
        if not me:
            self.banner.error("Your addresses are missing",
                              "Enter the addresses you write from, so ownvoice can tell your mail "
                              "from other people's, then add the files again.")
            self.me_edit.setFocus()
            return
        self.queue.append(paths if isinstance(paths, archive.ImapAccount) else list(paths))
        if self.import_job is None:
            self._next_import()

    def _next_import(self) -> None:
        if not self.queue:
            return
        paths = self.queue.pop(0)
        self.banner.clear_message()
        if isinstance(paths, archive.ImapAccount):
            job = self.jobs.start(archive.import_imap, self.ws, paths, self.addresses(), name="import")
            job.signals.done.connect(lambda r, a=paths: self._imap_answer(r, a))
        else:
            job = self.jobs.start(archive.import_paths, self.ws, paths, self.addresses(), name="import")
            job.signals.done.connect(self._imported)
        self.import_job = job
        self.job_bar.attach(job)
        job.signals.failed.connect(self.banner.error)
        job.signals.cancelled.connect(lambda: self.banner.warn(
            "Import cancelled. What was imported so far is kept; add the same files again to "
            "resume."))
        job.signals.finished.connect(self._import_finished)

    def _imported(self, result: archive.Imported) -> None:
        reports, sources = result.reports, result.sources
        self._show_me()
        self.sources.set_rows(sources)
        bits = []
        for r in reports:
            name = r.path.rstrip("/").split("/")[-1]
            b = f"{name}: {r.own} yours, {r.others} from others, {r.pairs} reply pairs"
            if r.documents:
                b += f", {r.documents} documents"
            if r.skipped:
                b += f", {len(r.skipped)} skipped"
            bits.append(b)
        self.banner.info("Imported " + "; ".join(bits) + "." if bits else "Nothing new to import.")
        skipped = [s for r in reports for s in r.skipped]
        if skipped:
            self.show_skips(skipped, "Skipped in this import")

    def _imap_answer(self, result, account) -> None:  # noqa: ANN001
        """An IMAP import's result, or the question its server's certificate raises."""
        if isinstance(result, archive.Untrusted):
            fp, changed = result.fingerprint, result.changed
            if changed:  # another certificate than the one trusted before: warn, default to no
                text = (f"{account.host}:{account.port} now shows a DIFFERENT certificate from the one you "
                        f"trusted before. Someone may be between you and your mail server.\n\nSHA-256 "
                        f"fingerprint:\n{fp}\n\nReplace the trusted certificate only if your mail provider "
                        "says it changed. Replace it and import?")
                yes = QMessageBox.warning(self, "The server's certificate changed", text,
                                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                          QMessageBox.StandardButton.No)
            else:
                yes = QMessageBox.question(
                    self, "Trust this server's certificate?",
                    f"{account.host}:{account.port} shows a certificate this system does not vouch for "
                    f"(a self-signed one, perhaps).\n\nSHA-256 fingerprint:\n{fp}\n\nCompare it with the "
                    "one your mail server shows. Trust it and import?")
            if yes == QMessageBox.StandardButton.Yes:
                from dataclasses import replace

                self.queue.insert(0, replace(account, trust=fp))
                if self.import_job is None:  # the dialog's own event loop may have ended the job already
                    self._next_import()
            else:
                self.banner.warn("Not imported: the server's certificate was not trusted.")
            return
        self._imported(result)

    def _import_finished(self) -> None:
        self.import_job = None
        self._next_import()

    def cancel_import(self) -> None:
        self.queue.clear()
        if self.import_job is not None:
            self.import_job.cancel()

    # -- drag and drop -----------------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.import_paths(paths)

    # -- sources table -----------------------------------------------------------------------
    def selected_source(self):
        rows = self.sources_view.selectionModel().selectedRows()
        return self.sources.record(rows[0].row()) if rows else None

    def _selection_changed(self, *_) -> None:
        self.forget_button.setEnabled(self.selected_source() is not None)

    def on_source_clicked(self, index) -> None:
        src = self.sources.record(index.row())
        report = getattr(src, "report", src)
        if index.column() == SKIPPED_COLUMN:
            self.show_skips(list(report.skipped), f"Skipped in {src.path}")

    def show_skips(self, skips: list, title: str) -> None:
        self.skips.set_rows(skips)
        self.skips_label.setText(f"{title}: {len(skips)} item(s), each with its reason"
                                 if skips else f"{title}: nothing was skipped")
        self.skips_view.setVisible(bool(skips))

    def forget_selected(self) -> None:
        src = self.selected_source()
        if src is None:
            return
        if not confirm(self, "Forget source",
                       f"Remove everything imported from\n{src.path}\nfrom the store? "
                       "The file itself is not touched. Learn again afterwards."):
            return
        job = self.jobs.start(archive.forget_source, self.ws, src.path, name="forget")
        job.signals.done.connect(lambda done: self.sources.set_rows(done.sources))
        job.signals.done.connect(lambda *_: self.banner.info(f"Forgot {src.path}."))
        job.signals.failed.connect(self.banner.error)

    # -- search ------------------------------------------------------------------------------
    def run_search(self) -> None:
        text = self.query.text().strip()
        if not text:
            return
        mine = self.mine_only.isChecked()
        job = self.jobs.start(archive.search, self.ws, text, self.ws.config.retrieval_k * 4,
                              mine, name="search")
        job.signals.done.connect(self.hits.set_rows)
        job.signals.failed.connect(self.banner.error)
