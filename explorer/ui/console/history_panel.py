"""The console's history: every command sent, newest first, kept between runs (secrets masked),
with favourites (the star), the store's own or every store's, Re-send and Edit.

Signals:
    resend_asked(int): send the command of this row again, as it was.
    edit_asked(int): put the command of this row in the form.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QHeaderView,
    QLabel,
    QTableView,
    QToolButton,
    QWidget,
)

from explorer.commanding.history import History, HistoryEntry
from explorer.commanding.sending import CommandRequest, Outcome
from explorer.system import NO_SYSTEM
from explorer.ui import settings
from explorer.ui.console.state import ConsoleState, store_key
from explorer.ui.layouts import STRETCH, column, wrapping
from explorer.ui.models.history import COMMAND, RESULT, STAR, TIME, HistoryModel
from explorer.ui.widgets.tables import row_view


class HistoryPanel(QWidget):
    """The history's table, its filters and its buttons."""

    resend_asked = Signal(int)
    edit_asked = Signal(int)

    def __init__(self, state: ConsoleState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        saved = settings.console_history()
        self.model = HistoryModel(History.from_list(saved, NO_SYSTEM.domain), self)
        if self.model.history.to_list() != saved:  # e.g. secrets an older version kept
            self._save()
        self._build()
        state.system_changed.connect(self._system_changed)
        state.store_changed.connect(self._store_changed)
        state.sending_changed.connect(self._sending_changed)

    def _build(self) -> None:
        self.favourites_only = QCheckBox("Favourites only")
        self.favourites_only.toggled.connect(self.model.set_favourites_only)
        self.this_store_only = QCheckBox("This store")
        self.this_store_only.setChecked(True)
        self.this_store_only.setToolTip("Only the commands sent to the store that is open "
                                        "(favourites show for every store)")
        self.this_store_only.toggled.connect(lambda _: self._filter())
        self.resend_button = QToolButton()
        self.resend_button.setText("Re-send")
        self.resend_button.setToolTip("Send the chosen command again, as it was")
        self.resend_button.clicked.connect(lambda: self.resend_asked.emit(self.current_row()))
        self.edit_button = QToolButton()
        self.edit_button.setText("Edit")
        self.edit_button.setToolTip("Put the chosen command in the form, to change and send")
        self.edit_button.clicked.connect(lambda: self.edit_asked.emit(self.current_row()))
        self.view = self._table()
        column(wrapping(QLabel("<b>History</b>"), STRETCH, self.this_store_only,
                        self.favourites_only, self.resend_button, self.edit_button),
               (self.view, 1), into=self)

    def _table(self) -> QTableView:
        view = row_view(self.model)
        header = view.horizontalHeader()
        header.setSectionResizeMode(STAR, QHeaderView.ResizeMode.Fixed)
        header.resizeSection(STAR, 26)
        header.setSectionResizeMode(TIME, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COMMAND, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(RESULT, QHeaderView.ResizeMode.ResizeToContents)
        view.clicked.connect(self.star_clicked)
        view.doubleClicked.connect(lambda index: self.edit_asked.emit(index.row()))
        return view

    def _save(self) -> None:
        settings.save_console_history(self.model.history.to_list())

    def _system_changed(self) -> None:
        self.model.history.domain = self.state.system.domain

    def _store_changed(self) -> None:
        self._filter()
        self.resend_button.setEnabled(self.state.can_send)

    def _sending_changed(self) -> None:
        self.resend_button.setEnabled(self.state.can_send and not self.state.sending)

    def _filter(self) -> None:
        self.model.set_store(store_key(self.state.location)
                             if self.this_store_only.isChecked() else None)

    def add(self, request: CommandRequest, outcome: Outcome,
            location: str | None) -> HistoryEntry:
        """Keep a command sent to the store at `location` (its secrets masked) and save it."""
        entry = self.model.add(request, outcome, store_key(location))
        self._save()
        return entry

    def entry(self, row: int) -> HistoryEntry | None:
        return self.model.entry(row)

    def current_row(self) -> int:
        index = self.view.currentIndex()
        return index.row() if index.isValid() else -1

    def star_clicked(self, index: QModelIndex) -> None:
        """A click on a row's star makes it a favourite, or no longer one."""
        if index.column() == STAR:
            self.model.toggle_favourite(index.row())
            self._save()
