"""The Archive page's "Add IMAP account" dialog: server, port, user, password, folders.

It only collects what ``app.workflows.archive.import_imap`` needs (an ``ImapAccount``); the import
itself runs in the worker like any other. The password is kept in the system keyring
only when the user ticks "Remember", and the box is disabled where no keyring exists.
"""

from __future__ import annotations

from PySide6.QtWidgets import (QCheckBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QSpinBox,
                               QVBoxLayout)

from app.workflows.archive import ImapAccount, keyring_available


class ImapDialog(QDialog):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Add IMAP account")
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel("ownvoice reads the folders without changing anything on the server: no "
                             "message is marked read, moved or deleted. The connection uses TLS."))
        form = QFormLayout()
        self.host = QLineEdit()
        self.host.setPlaceholderText("imap.example.com")
        self.port = QSpinBox()
        self.port.setRange(1, 65535)
        self.port.setValue(993)
        self.port.setToolTip("993: IMAP over TLS. Another port must offer STARTTLS.")
        self.user = QLineEdit()
        self.user.setPlaceholderText("you@example.com")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.folders = QLineEdit()
        self.folders.setPlaceholderText("INBOX and the Sent folder")
        self.folders.setToolTip("Comma-separated folder names, as the server lists them.")
        self.remember = QCheckBox("Remember the password in the system keyring")
        if not keyring_available():
            self.remember.setEnabled(False)
            self.remember.setToolTip("No system keyring was found: you will be asked each time.")
        for label, w in (("&Server:", self.host), ("&Port:", self.port), ("&User:", self.user),
                         ("Pass&word:", self.password), ("&Folders:", self.folders)):
            form.addRow(label, w)
        lay.addLayout(form)
        lay.addWidget(self.remember)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("&Import")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        lay.addWidget(self.buttons)
        for w in (self.host, self.user, self.password):
            w.textChanged.connect(self._update)
        self._update()

    def _update(self) -> None:
        ok = all(w.text().strip() for w in (self.host, self.user)) and bool(self.password.text())
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(ok)

    def account(self) -> ImapAccount:
        return ImapAccount(host=self.host.text().strip(), user=self.user.text().strip(),
                           password=self.password.text(), port=self.port.value(),
                           folders=tuple(f.strip() for f in self.folders.text().split(",") if f.strip()),
                           remember=self.remember.isChecked())
