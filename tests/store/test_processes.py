"""Several processes on one store file: optimistic concurrency decides, nothing is lost."""

from __future__ import annotations

import multiprocessing

from explorer.store import ConcurrencyError, EventStore, NewEvent
from explorer.store.check import check_store

CONTEXT = multiprocessing.get_context("spawn")


def _append_after_barrier(path, barrier, results, name):
    store = EventStore.open(path)
    version = store.stream_info("order_1").version
    barrier.wait(timeout=30)  # both have read the same version before either appends
    try:
        store.append("order_1", "Order", [NewEvent("Changed", {"by": name})], version)
        results.put((name, "appended"))
    except ConcurrencyError as error:
        results.put((name, f"conflict {error.expected} {error.actual}"))
    finally:
        store.close()


def _append_many(path, name, count):
    store = EventStore.open(path)
    for i in range(count):
        store.append(f"{name}-{i % 5}", "Order", [NewEvent("Tick", {"by": name, "i": i})])
    store.close()


def test_two_processes_appending_to_one_stream_one_wins_one_gets_the_conflict(tmp_path):
    path = tmp_path / "race.evstore"
    with EventStore.open(path, create=True) as store:
        store.append("order_1", "Order", [NewEvent("Placed", {})], 0)
    barrier = CONTEXT.Barrier(2)
    results = CONTEXT.Queue()
    workers = [CONTEXT.Process(target=_append_after_barrier, args=(path, barrier, results, n))
               for n in ("a", "b")]
    for worker in workers:
        worker.start()
    outcomes = dict(results.get(timeout=60) for _ in workers)
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    assert sorted(outcomes.values()) == ["appended", "conflict 1 2"]
    with EventStore.open(path) as store:
        stream = store.read_stream("order_1")
        assert [e.version for e in stream] == [1, 2]
        winner = next(name for name, outcome in outcomes.items() if outcome == "appended")
        assert stream[1].data == {"by": winner}


def test_processes_appending_at_once_lose_nothing_and_leave_no_gaps(tmp_path):
    path = tmp_path / "busy.evstore"
    EventStore.open(path, create=True).close()
    workers = [CONTEXT.Process(target=_append_many, args=(path, name, 150)) for name in "abc"]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
        assert worker.exitcode == 0
    with EventStore.open(path) as store:
        found = list(store.read_all())
        assert [e.position for e in found] == list(range(1, 451))
        for name in "abc":
            assert sorted(e.data["i"] for e in found if e.data["by"] == name) == list(range(150))
        assert check_store(store).ok


def test_opening_a_store_again_in_this_process_keeps_the_first_connection_seeing_appends(
        tmp_path):
    """Reading a file's bytes directly would drop SQLite's locks held by this process on it;
    opening a store must never do that to connections already open."""
    path = tmp_path / "shared.evstore"
    EventStore.open(path, create=True).close()
    watching = EventStore.open(path, read_only=True)
    watcher_version = watching.data_version()
    second = EventStore.open(path)  # inspects the file again
    for round_number in range(3):
        worker = CONTEXT.Process(target=_append_many, args=(path, f"p{round_number}", 1))
        worker.start()
        worker.join(timeout=60)
        assert watching.last_position() == round_number + 1
        assert watching.data_version() != watcher_version
        watcher_version = watching.data_version()
    second.close()
    watching.close()
