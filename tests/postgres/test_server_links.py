"""A store on a server is linked by its server (the chain's server form, explorer.store.chain):
every way of appending links each event as `check` recomputes it, timestamps kept from going
back; a store of schema 2 goes on in the server's form from its log's end when first opened
for writing, and earlier versions then refuse it."""

from __future__ import annotations

import pytest

from explorer.store import (
    NO_STREAM,
    AppendRequest,
    DuplicateEventError,
    EventStore,
    NewEvent,
    NotAStoreError,
    StoreError,
    StreamTypeMismatchError,
    chain,
    postgres_schema,
)
from explorer.store.check import check_store


def linked_rows(store):
    """Every stored row, its link last."""
    return [row for page in store.linked_pages() for row in page]


def assert_linked(rows, form):
    previous = chain.GENESIS
    for row in rows:
        assert row[-1] == form.link(previous, row[:-1]), f"position {row[0]}"
        previous = row[-1]


def test_every_append_is_linked_in_the_servers_form(store_url):
    with EventStore.open(store_url) as store:
        placed = store.append("s-1", "T", [NewEvent("E", {"n": 1}),
                                           NewEvent("E", {"n": 2}, timestamp_us=1)], NO_STREAM)
        store.append_batch([AppendRequest("s-2", "T", [NewEvent("E", {})], NO_STREAM),
                            AppendRequest("s-3", "U", [NewEvent("F", {"x": None})], NO_STREAM)])
        late = store.append("s-1", "T", [NewEvent("E", {}, timestamp_us=5)], 2)
        rows = linked_rows(store)
        read = list(store.read_all())
        report = check_store(store)
    assert report.ok, report.to_dict()
    assert_linked(rows, chain.ChainForm(1))
    assert rows[1][-1] != chain.link(rows[0][-1], rows[1][:-1])  # (not the plain form)
    times = [e.timestamp_us for e in read]
    assert times == sorted(times) and times[1] == times[0] and times[4] == times[3]
    assert [e.timestamp_us for e in (*placed.events, *late.events)] == [
        times[0], times[1], times[4]]
    assert [(e.position, e.stream_id, e.version) for e in read] == [
        (1, "s-1", 1), (2, "s-1", 2), (3, "s-2", 1), (4, "s-3", 1), (5, "s-1", 3)]


def test_a_refused_append_writes_nothing_and_says_why(store_url):
    with EventStore.open(store_url) as store:
        store.append("s", "A", [NewEvent("E", {}, event_id="e-1")], NO_STREAM)
        with pytest.raises(StreamTypeMismatchError):
            store.append("s", "B", [NewEvent("E", {})], 1)
        again = store.append("s", "A", [NewEvent("E", {}, event_id="e-1")])  # (any version)
        assert again.duplicate and [e.position for e in again.events] == [1]
        with pytest.raises(DuplicateEventError, match="e-1"):
            store.append("t", "A", [NewEvent("E", {}, event_id="e-1")], NO_STREAM)
        store.append("s", "A", [NewEvent("E", {}, event_id="e-2")], 1)
        assert [(e.position, e.event_id) for e in store.read_all()] == [(1, "e-1"), (2, "e-2")]
        assert check_store(store).ok


@pytest.mark.parametrize("batch", [False, True])
def test_a_value_the_server_cannot_hold_is_refused_with_what_to_do(store_url, batch):
    with EventStore.open(store_url) as store:
        store.append("s", "T", [NewEvent("E", {})], NO_STREAM)
        requests = [AppendRequest(name, "T", [NewEvent("E", {})], NO_STREAM)
                    for name in ["a\x00b", "t"][:1 + batch]]
        with pytest.raises(StoreError, match=r"(NUL|\\u0000).*Nothing was written: change"):
            store.append_batch(requests)
        store.append("s", "T", [NewEvent("E", {})], 1)  # (and the store goes on)
        assert [e.stream_id for e in store.read_all()] == ["s", "s"]


def test_a_store_of_schema_2_is_linked_by_its_server_from_its_logs_end(store_url, monkeypatch):
    with monkeypatch.context() as earlier:  # (as the version before schema 3 wrote it)
        earlier.setattr(postgres_schema, "server_links", lambda db, lock: chain.PLAIN)
        with EventStore.open(store_url) as old:
            for n in range(3):
                old.append("s", "T", [NewEvent("E", {"n": n})])
            assert old.meta()["schema_version"] == "2"
    with EventStore.open(store_url, read_only=True) as reader:  # (reading moves nothing)
        assert chain.SERVER_LINKS_KEY not in reader.meta()
        assert check_store(reader).ok
    with EventStore.open(store_url) as store:
        meta = store.meta()
        assert (meta[chain.SERVER_LINKS_KEY], meta["schema_version"]) == ("4", "3")
        store.append("s", "T", [NewEvent("E", {"n": 3})], 3)
        store.append_batch([AppendRequest("s", "T", [NewEvent("E", {"n": 4})], 4),
                            AppendRequest("t", "T", [NewEvent("E", {})], NO_STREAM)])
        rows = linked_rows(store)
        assert check_store(store).ok
    assert_linked(rows, chain.ChainForm(4))
    assert_linked(rows[:3], chain.PLAIN)
    with EventStore.open(store_url) as again:  # (moved once)
        assert again.meta()[chain.SERVER_LINKS_KEY] == "4"
    monkeypatch.setattr(postgres_schema, "SCHEMA_VERSION", 2)
    with pytest.raises(NotAStoreError, match="newer Event Explorer"):
        EventStore.open(store_url, read_only=True)


def test_a_writer_open_across_the_move_to_the_servers_form_keeps_the_chain(store_url,
                                                                         monkeypatch):
    # (one opened before the store moved, an earlier version's or a role's that may not
    # record the move, links the plain way until it is closed: check holds it as unchanged,
    # and still finds a change)
    with monkeypatch.context() as earlier:
        earlier.setattr(postgres_schema, "server_links", lambda db, lock: chain.PLAIN)
        old = EventStore.open(store_url)
    with old:
        old.append("s", "T", [NewEvent("E", {"n": 0})])
        with EventStore.open(store_url) as store:  # (moves it: server links from 2)
            assert store.meta()[chain.SERVER_LINKS_KEY] == "2"
            store.append("s", "T", [NewEvent("E", {"n": 1})], 1)
        old.append("s", "T", [NewEvent("E", {"n": 2})], 2)  # plain, at 3
    with EventStore.open(store_url) as store:
        store.append("s", "T", [NewEvent("E", {"n": 3})], 3)
        report = check_store(store)
        rows = linked_rows(store)
    assert report.ok, report.to_dict()
    assert rows[2][-1] == chain.link(rows[1][-1], rows[2][:-1])  # (the plain form at 3)
    form = chain.ChainForm(2)
    changed = (*rows[2][:9], '{"n": 9}', rows[2][10])  # (its data edited)
    assert form.holds(rows[1][-1], rows[2][:-1], rows[2][-1])
    assert not form.holds(rows[1][-1], changed, rows[2][-1])
