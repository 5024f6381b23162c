"""The content filter's state beside its field, and indexes on paths made from the window.

While a content filter reads every event, the state says how far it got with a link that stops
it (the matches found so far stay listed). Once the list is shown, it offers to index the first
path the filter uses that has no index ("Index data.total"), or says the filter reads the index
("data.total is indexed · Remove index"). Making or removing an index writes to the store's
file (explorer.store.path_indexes): on a connection of its own, on a worker of its own, only for
a store opened for writing; a read-only store says why it cannot. Then the list is read again,
through the index.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

from explorer.store.content_filter import comparisons
from explorer.store.event_store import EventStore
from explorer.store.path_indexes import (
    create_path_index,
    drop_path_index,
    indexable,
    path_indexes,
)
from explorer.ui.worker import JobContext, StoreWorker

if TYPE_CHECKING:
    from explorer.ui.event_browser import EventBrowser
    from explorer.ui.session import LoadedSystem, StoreSummary
    from explorer.ui.widgets.content_filter_state import ContentFilterState


class PathIndexing(QObject):
    """Tells the content filter's state what the filter does, and makes and removes indexes
    on paths when asked (see the module docstring)."""

    def __init__(self, browser: EventBrowser, state: ContentFilterState,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.browser = browser
        self.state = state
        self.worker = StoreWorker(self)
        self.location: str | None = None
        self.read_only = True
        self.read_only_reason: str | None = None
        self.indexed: set[str] = set()
        self._scanned = (0, 0)
        self._stopped = False
        browser.scan_progress.connect(self._scanning)
        browser.rows_ready.connect(self._list_shown)
        state.stop_requested.connect(self.stop_scan)
        state.index_requested.connect(self.create)
        state.remove_requested.connect(self.remove)

    def show_store(self, summary: StoreSummary, _loaded: LoadedSystem) -> None:
        self.location = summary.location
        self.read_only = summary.read_only
        self.read_only_reason = summary.read_only_reason
        self.indexed = set()
        self.state.clear_state()
        location = summary.location

        def listed(_context: JobContext) -> set[str]:
            with EventStore.open(location, read_only=True) as store:
                return {made.field for made in path_indexes(store)}

        self.worker.submit(listed, self._indexes_listed, key="list",
                           on_error=self.browser.job_failed)

    def close(self) -> None:
        self.location = None
        self.worker.shutdown()

    def stop_scan(self) -> None:
        """Stop the content filter's scan; what it found stays listed."""
        if self.browser.stop_scan():
            self._stopped = True
            scanned, last = self._scanned
            self.state.show_stopped(scanned, last, len(self.browser.events.rows))

    def create(self, field: str) -> None:
        """Make an index on `field` (asked from the state's link), then list again."""
        if self.location is None:
            return
        if self.read_only:
            why = f" ({self.read_only_reason})" if self.read_only_reason else ""
            self.state.show_refusal(f"Cannot index {field}: this store is open read-only{why}. "
                                    "Open it for writing to index a path.")
            return
        self._change(field, create_path_index, f"indexing {field}… (every event is read once)")

    def remove(self, field: str) -> None:
        """Remove the index on `field`, then list again (by a scan)."""
        if self.location is None or self.read_only:
            return
        self._change(field, drop_path_index, f"removing the index on {field}…")

    def _change(self, field: str, change: Callable[[EventStore, str], object],
                working: str) -> None:
        """Run `change(store, field)` on the worker, saying `working` meanwhile; then list the
        indexes again and read the list again."""
        location = self.location
        assert location is not None

        def job(_context: JobContext) -> set[str]:
            with EventStore.open(location) as store:
                change(store, field)
                return {made.field for made in path_indexes(store)}

        self.state.show_working(working)
        self.worker.submit(job, self._changed, key="change", on_error=self._failed)

    def _indexes_listed(self, fields: set[str]) -> None:
        self.indexed = fields
        self._list_shown(len(self.browser.events.rows))

    def _changed(self, fields: set[str]) -> None:
        self.indexed = fields
        self.browser.refresh()

    def _failed(self, error: Exception) -> None:
        self.state.show_refusal(str(error))

    def _scanning(self, scanned: int, last: int) -> None:
        self._scanned = (scanned, last)
        self._stopped = False
        self.state.show_scanning(scanned, last)

    def _list_shown(self, _rows: int) -> None:
        if self._stopped:  # the stop says what was listed
            self._stopped = False
            return
        content = self.browser.view.filters.content
        if content is None:
            self.state.clear_state()
            return
        fields = [found.field for found in comparisons(content.tree)]
        indexed = [field for field in fields if field in self.indexed]
        offered = [field for field in fields if indexable(field) and field not in self.indexed]
        if indexed:
            self.state.show_indexed(indexed[0])
        elif offered:
            self.state.offer_index(offered[0])
        else:
            self.state.clear_state()
