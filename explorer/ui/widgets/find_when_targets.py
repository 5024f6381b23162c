"""Completing the Find when bar's target: the read models, `sagas`, and the store's stream ids.

A store may hold a million streams, so stream ids are never all loaded: as the user types, a
pause in typing asks the store (on the history worker, a job superseding the one before) for
the first COMPLETIONS ids that start with what is typed, from its stream index, and the
completer offers those after the read models and `sagas` that start with it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QStringListModel, Qt
from PySide6.QtWidgets import QComboBox, QCompleter, QLineEdit

from explorer.store import StoreError
from explorer.ui.timers import single_shot

if TYPE_CHECKING:
    from explorer.timetravel.machine import TimeMachine
    from explorer.ui.history_worker import HistoryWorker
    from explorer.ui.worker import JobContext

COMPLETIONS = 20
"""Stream ids offered at most (the first, in id order, that start with what is typed)."""
TYPING_PAUSE_MS = 150


def stream_ids_starting(machine: TimeMachine, prefix: str, limit: int = COMPLETIONS,
                        ) -> list[str]:
    """The first `limit` stream ids starting with `prefix` (any case), from the stream index;
    none for a prefix holding a NUL character (pasted: no stream id holds one)."""
    if "\x00" in prefix:
        return []
    wildcards = prefix.replace("*", "").replace("?", "")  # typed literally: not patterns
    streams = machine.store.list_streams(pattern=f"{wildcards}*", limit=limit)
    return [stream.stream_id for stream in streams]


class TargetCompleter(QCompleter):
    """Completes a combo box's text with its fixed names and the stream ids found as the user
    types (see the module's docstring)."""

    def __init__(self, box: QComboBox, field: QLineEdit, history: HistoryWorker) -> None:
        self.names = QStringListModel()
        super().__init__(self.names, box)
        self.box = box
        self.field = field  # the box's line edit
        self.history = history
        self.fixed: list[str] = []  # the read models and sagas
        self.streams: list[str] = []  # the stream ids found for the text typed
        self.asked: str | None = None  # the text the stream ids were found for
        self.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setFilterMode(Qt.MatchFlag.MatchStartsWith)
        self.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.setMaxVisibleItems(12)
        box.setCompleter(self)
        self._typing = single_shot(self, TYPING_PAUSE_MS, self._ask)
        field.textEdited.connect(lambda _text: self._typing.start())

    def set_fixed(self, names: list[str]) -> None:
        """The names always offered (the read models, `sagas`); the stream ids start over."""
        self.fixed = list(names)
        self.streams, self.asked = [], None
        self._show()

    def _ask(self) -> None:
        prefix = self.box.currentText().strip()
        if not prefix or prefix == self.asked:
            return

        def find(machine: TimeMachine, _context: JobContext) -> list[str]:
            return stream_ids_starting(machine, prefix)

        self.history.submit(find, lambda ids: self._found(prefix, ids),
                            on_error=self._failed, key="find-when-targets")

    def _found(self, prefix: str, ids: list[str]) -> None:
        self.streams, self.asked = ids, prefix
        self._show()
        text = self.box.currentText().strip()
        if self.field.hasFocus() and text.lower().startswith(prefix.lower()):
            self.setCompletionPrefix(text)
            self.complete()

    def _failed(self, error: Exception) -> None:
        if not isinstance(error, StoreError):
            raise error
        self.streams = []  # no suggestions: the search itself will say what is wrong
        self._show()

    def _show(self) -> None:
        self.names.setStringList(self.fixed + [s for s in self.streams if s not in self.fixed])
