"""Asking for the password of a store on a PostgreSQL server.

When a server wants a password that neither the URL, PGPASSWORD nor ~/.pgpass gave (or refused
the one given), opening the store fails with a PasswordRefusedError; the window then asks with
this dialog (the typed text hidden), keeps the answer in the process's memory only
(explorer.store.postgres_url.remember_password: never in settings, recent lists, logs, titles
or messages) and opens the store again. A wrong password is forgotten and asked for again,
saying what the server said.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from explorer.store.postgres_url import remember_password


class PasswordDialog(QDialog):
    """Asks for the password of the server store at `location` (its URL without a password).

    `refused`: what the server said about the password given before (None on the first ask).

    Signals:
        password_given(str): the store's location, once a password for it is remembered.
    """

    password_given = Signal(str)

    def __init__(self, location: str, refused: str | None, parent: QWidget | None = None
                 ) -> None:
        super().__init__(parent)
        self.location = location
        self.setWindowTitle("Password")
        self.setWindowModality(Qt.WindowModality.WindowModal)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("The server of this store asks for a password:"))
        store = QLabel(location)  # (the URL on a line of its own: it has no spaces to wrap at)
        store.setTextFormat(Qt.TextFormat.PlainText)
        store.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        store.setStyleSheet("font-weight: bold;")
        layout.addWidget(store)
        said = refused.rsplit("FATAL:", 1)[-1].strip() if refused else ""  # libpq's own words
        self.refused_label = QLabel(f"It refused the one given: {said}." if said else "")
        self.refused_label.setWordWrap(True)
        self.refused_label.setStyleSheet("color: palette(highlight);")
        self.refused_label.setVisible(bool(refused))
        layout.addWidget(self.refused_label)
        self.password_edit = QLineEdit()
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.password_edit.setPlaceholderText("Password")
        layout.addWidget(self.password_edit)
        kept = QLabel("Kept in memory while the window is open; never written down.")
        kept.setEnabled(False)
        layout.addWidget(kept)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Connect")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.password_edit.textChanged.connect(self._enable_connect)
        self._enable_connect("")
        self.resize(max(460, self.sizeHint().width()), self.sizeHint().height())

    def _enable_connect(self, text: str) -> None:
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(bool(text))

    def accept(self) -> None:
        password = self.password_edit.text()
        self.password_edit.clear()  # the widget keeps no copy
        if not password:
            return
        remember_password(self.location, password)
        super().accept()
        self.password_given.emit(self.location)
