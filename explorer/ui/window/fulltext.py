"""Searching every event in the window: the list of a search, and the index built behind it.

A search's list (`search_rows`, on the window's store worker) holds the matching events the
store's full-text index has indexed so far, under the other filters, in log order like every event
list; the window selects the newest match (newest first: see EventBrowser). The newest page of
matches is shown first, with its events (`newest_matches`), and the whole list (`search_rows`)
is read by a job of its own after the jobs the newest match asked for (its cause and effects):
behind the whole list they waited 2.7 s for a word in every event of 10M. So the first look
costs the same whatever the number of matches. The index is brought up to date by
`FullTextSearch` on a worker of its own, so paging and the rest of the window never wait for
it: on first use it is built (the box says "indexing… N%", and the list grows as each batch is
indexed: the results so far, then the rest), and later it catches up with appended events
("catching up…"). Stopping a build keeps what was indexed; the next search goes on from there.
"""

from __future__ import annotations

from array import array
from typing import TYPE_CHECKING, NamedTuple

from PySide6.QtCore import QObject

from explorer.browsing.rows import PositionRows, read_rows
from explorer.projections.fulltext import (
    FullTextIndex,
    all_matching,
    fulltext_path,
    newest_page,
)
from explorer.store.query import EventQuery
from explorer.store.records import RecordedEvent
from explorer.system.workspace import open_store
from explorer.ui.tones import muted
from explorer.ui.worker import JobContext, StoreWorker

if TYPE_CHECKING:
    from explorer.ui.event_browser import EventBrowser
    from explorer.ui.session import LoadedSystem, StoreSummary
    from explorer.ui.widgets.event_search import EventSearchField

INDEX_KEY = "fulltext-index"
NEWEST_PAGE = 200
"""Matches a search shows before its whole list (a few screens' worth)."""


class NewestMatches(NamedTuple):
    """A search's newest matches, shown before its whole list: their positions (in log order)
    and their events, read with them."""

    positions: array[int]
    events: list[RecordedEvent]


def index_of(context: JobContext) -> FullTextIndex:
    """The open store's full-text index on this worker (opened once, created if missing)."""
    index = context.cache.get(INDEX_KEY)
    if index is None:
        index = FullTextIndex(fulltext_path(context.store.location, context.opened_read_only))
        context.cache[INDEX_KEY] = index
    return index


def newest_matches(context: JobContext, text: str, query: EventQuery) -> NewestMatches:
    """The newest NEWEST_PAGE indexed events matching `text` and `query`, with their events:
    what a search shows before its whole list (`search_rows`)."""
    positions = newest_page(index_of(context), context.store, text, query, NEWEST_PAGE)
    return NewestMatches(positions, read_rows(context.store, PositionRows(positions), 0,
                                              len(positions), query))


def search_rows(context: JobContext, text: str, query: EventQuery) -> PositionRows:
    """The rows of a search's list: the indexed events matching `text` and `query` (stopped
    between the index's parts if the job is cancelled)."""
    return PositionRows(all_matching(index_of(context), context.store, text, query,
                                     between_parts=context.progress))


def searched_after(context: JobContext, text: str, query: EventQuery,
                   after_position: int) -> array[int]:
    """Positions of indexed events after a position matching `text` and `query`."""
    return all_matching(index_of(context), context.store, text, query,
                        after_position=after_position, between_parts=context.progress)


class FullTextSearch(QObject):
    """Keeps the open store's full-text index up to date while the event list shows a search
    (see the module docstring), and tells the box and the list how it goes."""

    def __init__(self, browser: EventBrowser, field: EventSearchField,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.browser = browser
        self.field = field
        self.worker = StoreWorker(self)
        self.location: str | None = None
        self._job: int | None = None
        self._again = False
        self._reached = (0, 0)  # the last progress: (indexed up to, last position)
        self._generation = 0  # of the indexing job whose progress is shown
        self._building = False  # whether the running job makes the index (else catches up)
        browser.search_pending_note = self.pending_note
        field.stop_requested.connect(self.stop)
        field.search_changed.connect(self._search_changed)

    def show_store(self, summary: StoreSummary, loaded: LoadedSystem) -> None:
        """Open the store (read-only) on the indexing worker."""
        self.stop()
        self.location = summary.location
        location, system, read_only = summary.location, loaded.system, summary.read_only

        def open_it(context: JobContext) -> None:
            context.set_store(open_store(location, system=system, read_only=True),
                              opened_read_only=read_only)

        self.worker.submit(open_it, on_error=self.browser.job_failed, key="open")

    def store_changed(self, _last_position: int) -> None:
        """Events were appended: index them if a search is shown."""
        self.catch_up()

    def close(self) -> None:
        self.location = None
        self.stop()
        self.worker.shutdown()

    def _search_changed(self, text: str) -> None:
        if text:
            self.catch_up()
        else:
            self.stop()

    def catch_up(self) -> None:
        """Index what the index lacks, if the list shows a search (once more after the running
        catch-up, if one runs)."""
        if self.location is None or not self.browser.view.filters.search:
            return
        if self._job is not None:
            self._again = True
            return

        def index(context: JobContext) -> tuple[int, int]:
            fulltext = index_of(context)
            store = context.store
            start, last = fulltext.checkpoint(), store.last_position()
            building = not fulltext.built()
            if start < last:
                context.progress((start, last, building))
            fulltext.catch_up(store, progress=lambda done, last: context.progress(
                (done, last, building)))
            return fulltext.checkpoint(), store.last_position()

        self._generation += 1
        generation = self._generation
        self._reached, self._building = (0, 0), False

        def progress(value: tuple[int, int, bool]) -> None:
            if generation == self._generation:  # not a stopped job's last word
                self._progress(value)

        self._job = self.worker.submit(index, self._done, key="index",
                                       on_progress=progress, on_error=self._failed)

    def stop(self) -> None:
        """Stop indexing (what was indexed is kept)."""
        self._again = False
        self._generation += 1
        if self._job is not None:
            self.worker.cancel(self._job)
            self._job = None
            done, last = self._reached
            if done < last and self.browser.view.filters.search:
                self.field.show_stopped(done, last)
            else:
                self.field.show_ready()

    def _progress(self, value: tuple[int, int, bool]) -> None:
        done, last, building = value
        self._reached, self._building = (done, last), building
        if building:
            self.field.show_indexing(done, last)
        else:
            self.field.show_catching_up()
        self.browser.update_empty_notice()  # (how far the index is, if nothing is found yet)
        self.browser.search_index_grew()

    def pending_note(self) -> str | None:
        """What an empty search list says while the index is being made or caught up (None
        when no indexing runs: then an empty list means no event matches)."""
        if self._job is None:
            return None
        done, last = self._reached
        extent = f" ({done:,} of {last:,} events)" if last else ""
        doing = "being built" if self._building else \
            "catching up with new events" if last else "being brought up to date"
        return (f"<b>No matches yet</b><br><span style='color:{muted()}'>the search index is "
                f"{doing}{extent}; matches appear as they are found</span>")

    def _done(self, reached: tuple[int, int]) -> None:
        self._job = None
        done, last = reached
        if done < last and not self._again:
            self.field.show_stopped(done, last)
        else:
            self.field.show_ready()
        self.browser.update_empty_notice()  # (no note now: an empty list matches nothing)
        self.browser.search_index_grew()
        if self._again:
            self._again = False
            self.catch_up()

    def _failed(self, error: Exception) -> None:
        self._job = None
        self.field.show_ready()
        self.browser.job_failed(error)
