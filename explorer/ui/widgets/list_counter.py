"""Counts a read model's list (its rows with column values, matching what the user typed) on a
thread of its own, on a read-model connection of its own, so that the window's worker never
waits for it: its other jobs are the event list's pages and filters.

The first count of a list reads an index entry for each of its rows (order_summary at 10M
events: 93 ms of CPU, 190-550 ms of wall time); each count after it, at a later checkpoint of
the runner (or, for a list by a column's value, another value), reads only the rows changed
since, when the projection never deletes a row (explorer.projections.list_count). The last
counts are kept until `forget`. One count at a time; a count asked for meanwhile runs next,
the newest only.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QLabel

from explorer.projections.database import open_read_models
from explorer.projections.list_count import ListCounts
from explorer.ui.cursor_moves import CursorStatus

NOW = " — now, not as of the cursor"


@dataclass(frozen=True)
class CountAsked:
    """A list to count: the read models of the store at `location` (opened read-only if
    `opened_read_only`), the projection `projection`'s `table`, the rows with the `where`
    values that match `search`; `keeps_rows` if the projection never deletes a row."""

    location: str
    opened_read_only: bool
    table: sa.Table
    projection: str
    where: dict[str, Any] | None = None
    search: str = ""
    keeps_rows: bool = False


class ListCounter(QObject):
    """Counts lists of read models off the window's worker (see the module's docstring).

    Signals:
        counted(object, int): what was asked (its `asked`) and the total.
        failed(object, object): what was asked, and the error.
    """

    counted = Signal(object, int)
    failed = Signal(object, object)

    def __init__(self, lists: Callable[[], ListCounts] = ListCounts, name: str = "list-count",
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._new_lists = lists
        self._thread_name = name
        self._lock = threading.Lock()
        self._running = False
        self._next: tuple[Any, CountAsked, ListCounts] | None = None
        self._lists = lists()

    def count(self, asked: Any, what: CountAsked) -> None:
        """Count `what`; `asked` comes back with the total (counted) or the error (failed)."""
        with self._lock:
            request = (asked, what, self._lists)
            if self._running:
                self._next = request
                return
            self._running = True
        threading.Thread(target=self._run, args=(request,), name=self._thread_name,
                         daemon=True).start()

    def forget(self) -> None:
        """Count every list in full next time (another store was opened)."""
        with self._lock:
            self._lists = self._new_lists()

    def _run(self, request: tuple[Any, CountAsked, ListCounts] | None) -> None:
        while request is not None:
            asked, what, lists = request
            try:
                with open_read_models(what.location, what.opened_read_only,
                                      read_only=True) as readmodels:
                    counted = lists.count(readmodels, what.table, what.projection, what.where,
                                          what.search, keeps_rows=what.keeps_rows)
            except Exception as error:  # said on the panel, as the worker's errors are
                self._emit(self.failed, asked, error)
            else:
                self._emit(self.counted, asked, counted.total)
            with self._lock:
                request, self._next = self._next, None
                self._running = request is not None

    @staticmethod
    def _emit(signal, *args: Any) -> None:
        with contextlib.suppress(RuntimeError):  # the panel was closed meanwhile
            signal.emit(*args)


class CountLabel(QLabel):
    """A list's count ("200 sagas"), said to be now's while the time cursor is in the past: the
    list is its read model with every event, where the banner says later events are not
    applied and the As of Cursor tab shows the `things` as they were."""

    def __init__(self, things: str, parent: QLabel | None = None) -> None:
        super().__init__(parent)
        self.things = things
        self._said = ""
        self._past: int | None = None  # the cursor's position while it is in the past

    def setText(self, text: str) -> None:  # noqa: N802 (Qt's name)
        self._said = text
        self._show()

    def cursor_moved(self, status: CursorStatus) -> None:
        past = status.position if status.position < status.last_position else None
        if past != self._past:
            self._past = past
            self._show()

    def _show(self) -> None:
        past = self._past is not None and bool(self._said)
        super().setText(self._said + (NOW if past else ""))
        self.setToolTip(
            f"The cursor is at position {self._past:,}, in the past: this list is as of now, "
            f"with every event. The As of Cursor tab shows the {self.things} as they were "
            "then." if past else "")
