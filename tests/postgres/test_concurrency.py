"""Writers and followers of one store on a server at once: gap-free positions in commit order.

A follower reading the log as it grows must never skip an event whose transaction commits after
a later position became visible. These tests hold commits open to make that moment happen.
"""

from __future__ import annotations

import multiprocessing
import random
import threading
import time

from explorer.store import ANY_VERSION, ConcurrencyError, EventStore, NewEvent

DEADLINE_S = 30


def wait_until(condition, what: str) -> None:
    """Poll `condition` until it holds (a deadline, no fixed sleep)."""
    deadline = time.monotonic() + DEADLINE_S
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.005)


def hold_commits(store: EventStore, gate: threading.Event, at_commit: threading.Event) -> None:
    """Make the store's next COMMIT wait until `gate` is set (saying so by `at_commit`)."""
    connection = store._db
    execute = connection.execute

    def held(sql, parameters=None):
        if sql == "COMMIT" and not gate.is_set():
            at_commit.set()
            gate.wait(DEADLINE_S)
        return execute(sql, parameters)
    connection.execute = held


def waiting_for_advisory_lock(admin) -> bool:
    return admin.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                         "AND NOT granted").fetchone()[0] > 0


def test_a_follower_never_skips_an_append_whose_commit_is_held_open(store_url, admin):
    with EventStore.open(store_url) as setup:
        setup.append("a", "T", [NewEvent("First", {}), NewEvent("Second", {})])
    late, later = EventStore.open(store_url), EventStore.open(store_url)
    follower = EventStore.open(store_url, read_only=True)
    gate, at_commit = threading.Event(), threading.Event()
    hold_commits(late, gate, at_commit)
    results = {}
    first = threading.Thread(target=lambda: results.setdefault(
        "late", late.append("b", "T", [NewEvent("Late", {})])))
    second = threading.Thread(target=lambda: results.setdefault(
        "later", later.append("c", "T", [NewEvent("Later", {})])))
    try:
        first.start()
        assert at_commit.wait(DEADLINE_S)  # position 3 written, its commit held open
        second.start()
        wait_until(lambda: waiting_for_advisory_lock(admin), "the second append to wait")
        # Nothing after position 2 is visible yet: the later append has not even allocated.
        assert follower.last_position() == 2
        assert [e.position for e in follower.read_page(2)] == []
        gate.set()
        first.join(DEADLINE_S)
        second.join(DEADLINE_S)
    finally:
        gate.set()
        for store in (late, later, follower):
            store.close()
    assert results["late"].events[0].position == 3
    assert results["later"].events[0].position == 4  # allocated after the late commit
    with EventStore.open(store_url, read_only=True) as reader:
        assert [(e.position, e.event_type) for e in reader.read_all()] == [
            (1, "First"), (2, "Second"), (3, "Late"), (4, "Later")]


WRITERS, APPENDS = 4, 30
STREAMS = [f"shared-{i}" for i in range(3)]


def write_concurrently(url: str, writer: int, start: multiprocessing.Event) -> None:
    """One writer process: appends to shared streams, half expecting a version (retried on a
    conflict), some commits held open a moment."""
    chance = random.Random(writer)
    store = EventStore.open(url)
    execute = store._db.execute

    def slow_commit(sql, parameters=None):
        if sql == "COMMIT" and chance.random() < 0.3:
            time.sleep(chance.uniform(0.001, 0.02))  # a commit held open: what is tested
        return execute(sql, parameters)
    store._db.execute = slow_commit
    start.wait(DEADLINE_S)
    try:
        for n in range(APPENDS):
            stream = chance.choice(STREAMS)
            event = NewEvent("Wrote", {"writer": writer, "n": n}, event_id=f"w{writer}-{n}")
            while True:
                head = store.stream_head(stream)
                expected = (head[1] if head else 0) if n % 2 else ANY_VERSION
                try:
                    store.append(stream, "Shared", [event], expected_version=expected)
                    break
                except ConcurrencyError:
                    continue
    finally:
        store.close()


def test_writer_processes_with_commits_held_open_lose_and_duplicate_nothing(store_url):
    EventStore.open(store_url).close()
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    writers = [context.Process(target=write_concurrently, args=(store_url, w, start))
               for w in range(WRITERS)]
    for process in writers:
        process.start()
    seen: list[int] = []
    with EventStore.open(store_url, read_only=True) as follower:
        start.set()
        deadline = time.monotonic() + 120
        while len(seen) < WRITERS * APPENDS and time.monotonic() < deadline:
            page = follower.read_page(seen[-1] if seen else 0, limit=50)
            seen.extend(e.position for e in page)  # a follower reads on from its last position
            if not page:
                time.sleep(0.002)  # a follower's poll interval
        for process in writers:
            process.join(60)
        assert [process.exitcode for process in writers] == [0] * WRITERS
        stored = list(follower.read_all())
    total = WRITERS * APPENDS
    assert seen == list(range(1, total + 1))  # the follower skipped nothing
    assert [e.position for e in stored] == list(range(1, total + 1))
    assert sorted(e.event_id for e in stored) == sorted(
        f"w{w}-{n}" for w in range(WRITERS) for n in range(APPENDS))
    for stream in STREAMS:
        versions = [e.version for e in stored if e.stream_id == stream]
        assert versions == list(range(1, len(versions) + 1))
