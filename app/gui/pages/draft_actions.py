"""What the user does with a finished draft on the Draft page: rescore an edit, keep an
edited draft as their writing, copy it, save it as an .eml reply, open it in the mail
client. A mixin of ``DraftPage`` (it uses the page's columns, drafts, message, jobs and
banner).

What it leaves out: sending mail. ownvoice never sends anything; the mail client does.
"""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import quote

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import QFileDialog

from app.workflows import drafting
from app.workflows.drafting import one_line, reply_subject


class DraftActions:
    def _current(self, variant: str):
        col = self.columns[variant]
        key = (variant, col.sample)
        return key, col.view.toPlainText()

    def rescore(self, variant: str) -> None:
        key, text = self._current(variant)
        self.edited[key] = text
        thread = (self.message.thread or None) if self.message else None
        job = self.jobs.start(drafting.score_texts, self.ws, {key: text}, thread, name="score")

        def done(res) -> None:
            scores, _rc, note = res
            if note:
                self.banner.warn(f"Not scored: {note}")
            self.scored.update(scores)
            self.show_draft(variant)

        job.signals.done.connect(done)
        job.signals.failed.connect(self.banner.error)

    def keep_edit(self, variant: str, how: str) -> None:
        """An edited draft that leaves the page (saved, copied, opened in the mail client)
        is kept as the user's writing (``app.workflows.drafting.record_edit``) for the next Learn. A draft sent
        unedited teaches nothing new, and a message typed in by hand has nobody to pair
        with, so neither is kept."""
        key, text = self._current(variant)
        d = self.drafts.get(key)
        m = self.message
        if d is None or m is None or text.strip() == d.text.strip() or not (m.message_id or m.sender):
            return
        job = self.jobs.start(drafting.record_edit, self.ws, m, d.text, text, variant, how, name="keep edit")
        job.signals.done.connect(lambda kept: kept and self.edit_note.setText(
            "Your edit is kept as your writing: the next Learn learns from it (or from the reply you "
            "really sent, once an import finds it)."))
        job.signals.failed.connect(lambda title, text: self.edit_note.setText(f"Your edit was not kept: {text}"))

    def copy_text(self, variant: str) -> None:
        _, text = self._current(variant)
        QGuiApplication.clipboard().setText(text)
        self.banner.info("Copied the draft.")
        self.keep_edit(variant, "copy")

    def choose_eml_target(self, variant: str) -> None:
        subject = (self.message.subject if self.message else "") or "reply"
        safe = "".join(c if c.isalnum() or c in " -_" else "_" for c in subject)[:60].strip() or "reply"
        path, _ = QFileDialog.getSaveFileName(self, "Save the reply", f"Re {safe}.eml", "Mail (*.eml)")
        if path:
            self.save_eml(variant, path)

    def save_eml(self, variant: str, path: str) -> None:
        key, text = self._current(variant)
        d = self.drafts.get(key)
        if d is None or self.message is None:
            return
        if text != d.text:
            d = replace(d, text=text)
        try:
            drafting.export_eml(self.ws, d, self.message, path)
        except Exception as e:  # noqa: BLE001
            from app.gui.errors import describe

            self.banner.error(*describe(e))
            return
        self.last_saved = path
        self.banner.info(f"Saved {path}. Open it in your mail client to send it.")
        self.keep_edit(variant, "eml")

    def mailto_url(self, variant: str) -> QUrl:
        _, text = self._current(variant)
        m = self.message
        subject = reply_subject(m.subject if m else "")
        to = one_line(m.sender if m else "")
        return QUrl(f"mailto:{quote(to)}?subject={quote(subject)}&body={quote(text)}")

    def open_in_mail(self, variant: str) -> None:
        if not QDesktopServices.openUrl(self.mailto_url(variant)):
            self.banner.error("No mail client answered", "Save as .eml instead and open that file.")
            return
        self.keep_edit(variant, "mail client")
