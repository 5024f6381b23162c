"""Writers and followers of one store on a server at once: gap-free positions in commit order.

A follower reading the log as it grows must never skip an event whose transaction commits after
a later position became visible. These tests hold commits open to make that moment happen.
"""

from __future__ import annotations

import multiprocessing
import random
import threading
import time

import psycopg

from explorer.store import ANY_VERSION, ConcurrencyError, EventStore, NewEvent

DEADLINE_S = 30


def wait_until(condition, what: str) -> None:
    """Poll `condition` until it holds (a deadline, no fixed sleep)."""
    deadline = time.monotonic() + DEADLINE_S
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.005)


def waiting_for_a_table_lock(admin) -> bool:
    return admin.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'relation' "
                         "AND NOT granted").fetchone()[0] > 0


SLOW_COMMITS = """
CREATE FUNCTION {schema}.slow_commit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF random() < 0.3 THEN PERFORM pg_sleep(0.001 + random() * 0.02); END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER slow_commit AFTER INSERT OR UPDATE ON {schema}.streams
    FOR EACH STATEMENT EXECUTE FUNCTION {schema}.slow_commit()
"""
"""Some appends' commits held open a moment, their events written (the stream index is the
append's last write), by the server itself: whichever way the store sends an append."""


def waiting_for_advisory_lock(admin) -> bool:
    return admin.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                         "AND NOT granted").fetchone()[0] > 0


def test_a_follower_never_skips_an_append_whose_commit_is_held_open(store_url, schema_name,
                                                                 admin):
    with EventStore.open(store_url) as setup:
        setup.append("a", "T", [NewEvent("First", {}), NewEvent("Second", {})])
    late, later = EventStore.open(store_url), EventStore.open(store_url)
    follower = EventStore.open(store_url, read_only=True)
    results = {}
    first = threading.Thread(target=lambda: results.setdefault(
        "late", late.append("b", "T", [NewEvent("Late", {})])))
    second = threading.Thread(target=lambda: results.setdefault(
        "later", later.append("c", "T", [NewEvent("Later", {})])))
    # The late append's last write (the stream index) waits on this table lock: its event is
    # written at position 3, the store's lock held, its commit held open.
    admin.execute("BEGIN")
    admin.execute(f"LOCK TABLE {schema_name}.streams IN SHARE MODE")
    try:
        first.start()
        wait_until(lambda: waiting_for_a_table_lock(admin), "the late append to be held")
        second.start()
        wait_until(lambda: waiting_for_advisory_lock(admin), "the second append to wait")
        # Nothing after position 2 is visible yet: the later append has not even allocated.
        assert follower.last_position() == 2
        assert [e.position for e in follower.read_page(2)] == []
        admin.execute("ROLLBACK")
        first.join(DEADLINE_S)
        second.join(DEADLINE_S)
    finally:
        if admin.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            admin.execute("ROLLBACK")
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
    conflict); some commits are held open a moment (SLOW_COMMITS)."""
    chance = random.Random(writer)
    store = EventStore.open(url)
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


def test_writer_processes_with_commits_held_open_lose_and_duplicate_nothing(store_url,
                                                                          schema_name, admin):
    EventStore.open(store_url).close()
    admin.execute(SLOW_COMMITS.format(schema=schema_name))
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
