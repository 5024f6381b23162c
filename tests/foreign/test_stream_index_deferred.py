"""The eventsourcing library's log has no index of its streams: a store derives one, but only
when first asked (a listing, a stream's events or state), so its first page is read by
notification id alone, and the index is built once a process however many stores ask."""

from __future__ import annotations

import threading
from decimal import Decimal
from pathlib import Path

import pytest

from explorer.store.event_store import EventStore
from explorer.store.foreign.library_store import LibraryStore
from explorer.store.query import EventQuery
from tests.foreign.bank import bank, write_bank


@pytest.fixture
def whole_scans(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The files whose whole log a store scanned to build its stream index."""
    scans: list[str] = []
    index_rows = LibraryStore._index_rows

    def counted(store: LibraryStore, *, whole: bool, last: int) -> None:
        if whole:
            scans.append(store.location)
        index_rows(store, whole=whole, last=last)

    monkeypatch.setattr(LibraryStore, "_index_rows", counted)
    return scans


def test_the_first_page_is_read_without_the_stream_index_and_shows_the_same_events(
        tmp_path: Path, whole_scans: list[str]) -> None:
    path = tmp_path / "bank.db"
    write_bank(path, accounts=3, credits=2)
    with EventStore.open(path) as store:
        assert isinstance(store, LibraryStore)
        assert not store.streams_indexed()
        assert (store.last_position(), store.first_position(), store.event_count()) == (9, 1, 9)
        before = list(store.read_all())
        newest = store.read_page(6, 3)
        assert store.event_at(9) == before[-1] and newest == before[-3:]
        assert store.event_types() == ["Credited", "Opened"]
        stream_id = before[3].stream_id  # a stream's head and events, through the log's key
        head = store.stream_head(stream_id)
        stream = store.read_stream(stream_id)
        middle = store.read_stream(stream_id, from_version=2, to_version=2)
        info, replayed = store.stream_info(stream_id), store.replay_rows(stream_id)
        positions = store.positions(EventQuery(stream_id=stream_id))
        assert store.stream_head("no-such-stream") is None
        assert list(store.read_all()) == before  # every stream shown again after each
        assert not store.streams_indexed() and whole_scans == []  # nothing read the whole log
        streams = store.list_streams()  # a listing needs the index: built now
        assert store.streams_indexed() and whole_scans == [str(path)]
        assert sorted(s.stream_id for s in streams) == sorted({e.stream_id for e in before})
        assert list(store.read_all()) == before  # stream ids and types as the index has them
        assert (store.stream_head(stream_id), store.read_stream(stream_id)) == (head, stream)
        assert head == ("Account", 3) and [e.version for e in stream] == [1, 2, 3]
        assert middle == stream[1:2]
        assert (store.stream_info(stream_id), store.replay_rows(stream_id)) == (info, replayed)
        assert list(positions) == [e.position for e in stream]
        assert {e.stream_type for e in before} == {"Account"}
        assert store.event_count() == 9


def test_events_appended_before_the_index_is_built_are_indexed_with_it(tmp_path: Path) -> None:
    path = tmp_path / "live.db"
    with bank(path) as app:
        ann = app.open_account("ann")
        with EventStore.open(path) as store:
            app.credit(ann, Decimal("2.50"))
            bob = app.open_account("bob")
            assert store.last_position() == 3 and not store.streams_indexed()
            assert [e.stream_id for e in store.read_page(0)] == [str(ann), str(ann), str(bob)]
            assert store.stream_info(str(bob)).version == 1  # builds the index
            app.credit(bob, Decimal("1.00"))
            assert store.last_position() == 4
            assert [e.version for e in store.read_stream(str(bob))] == [1, 2]
            assert store.event_count() == 4


def test_a_store_takes_the_index_another_built_and_catches_up_from_there(
        tmp_path: Path, whole_scans: list[str]) -> None:
    path = tmp_path / "shared.db"
    with bank(path) as app:
        ann = app.open_account("ann")
        with EventStore.open(path) as first:
            assert [s.version for s in first.list_streams()] == [1]
            app.credit(ann, Decimal("1.00"))
            bob = app.open_account("bob")
            with EventStore.open(path) as second:
                assert sorted(s.stream_id for s in second.list_streams()) == sorted(
                    [str(ann), str(bob)])
                assert second.stream_info(str(ann)).version == 2
                assert [e.stream_id for e in second.read_all()][-1] == str(bob)
    assert whole_scans == [str(path)]  # the second store scanned only what came after


def test_stores_asking_at_once_scan_the_log_once(tmp_path: Path,
                                                 whole_scans: list[str]) -> None:
    path = tmp_path / "bank.db"
    write_bank(path, accounts=4, credits=1)
    stores = [EventStore.open(path) for _ in range(3)]
    start = threading.Barrier(len(stores))
    counts: list[int] = []

    def ask(store: EventStore) -> None:
        start.wait(timeout=10)
        counts.append(len(store.list_streams()))

    threads = [threading.Thread(target=ask, args=(store,)) for store in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    for store in stores:
        store.close()
    assert counts == [4, 4, 4]
    assert whole_scans == [str(path)]
