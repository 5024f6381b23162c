"""The full-text index's whole parts built in worker processes (fulltext_parts): the same matches
as a build in one process and as a scan of every event, FTS5's own check passes, and a cancel,
a worker killed or the catch-up's process killed leaves an index whole up to its checkpoint and
no worker's file behind. On a store file and on a store on a PostgreSQL server."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest

from explorer.common.cancel import Cancelled
from explorer.projections import FullTextIndex, fulltext, fulltext_parts
from explorer.store import EventStore
from tests.projections.seeded_shop import shop_store_fixtures
from tests.projections.test_fulltext import brute_force, drawn_terms

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.backends
PART = 61
"""Positions a part in these tests: the seeded store's ~550 events make 9 whole parts."""
DEADLINE_S = 60

seeded, shop_store = shop_store_fixtures("fulltext_parts", orders=40, days=20)


@pytest.fixture
def small_parts(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Parts of PART positions, built in workers from two whole parts on, on any machine; the
    workers started (fulltext_parts._Worker), listed."""
    monkeypatch.setattr(fulltext, "PART", PART)
    monkeypatch.setattr(fulltext_parts, "PARALLEL_FROM", 2)
    monkeypatch.setattr(fulltext_parts.os, "cpu_count", lambda: 2)
    started: list[object] = []
    start = fulltext_parts._Worker.start

    def recorded(*args: object) -> object:
        started.append(start(*args))
        return started[-1]

    monkeypatch.setattr(fulltext_parts._Worker, "start", recorded)
    return started


def check_integrity(index: FullTextIndex) -> None:
    """FTS5's own check of every part's table (raises if one is not whole)."""
    for part in index._parts():
        table = f"event_text_{part}"
        index.db.execute(f"INSERT INTO {table} ({table}) VALUES ('integrity-check')")


def worker_files(index: FullTextIndex) -> list[str]:
    return [p.name for p in index.path.parent.iterdir() if ".part-" in p.name]


def assert_found_as_a_scan(index: FullTextIndex, store: EventStore, terms: list[str],
                           up_to: int | None = None) -> None:
    for term in terms:
        assert list(index.matches(term)) == brute_force(store, term, up_to), term


def test_parts_built_in_workers_find_what_one_process_and_a_scan_find(shop_store, small_parts,
                                                                       tmp_path, monkeypatch):
    last = shop_store.last_position()
    with FullTextIndex(tmp_path / "parallel.fulltext") as parallel:
        assert parallel.catch_up(shop_store, batch=40) == last
        assert len(small_parts) == 2 and parallel.built() and parallel.checkpoint() == last
        assert len(parallel._parts()) == (last - 1) // PART + 1 >= 9
        check_integrity(parallel)
        assert all(worker.process.poll() == 0 for worker in small_parts)  # ended, not killed
        assert worker_files(parallel) == []
        monkeypatch.setattr(fulltext_parts, "PARALLEL_FROM", 10**9)  # in one process
        with FullTextIndex(tmp_path / "serial.fulltext") as serial:
            serial.catch_up(shop_store, batch=40)
            assert len(small_parts) == 2
            for term in [*drawn_terms(shop_store, 40), "order_01*", "ORDER_01* Royal"]:
                everything = brute_force(shop_store, term)
                assert list(parallel.matches(term)) == list(serial.matches(term)) == everything
                assert list(parallel.newest_matches(term, limit=70)) == everything[::-1][:70]


def test_an_index_not_ending_at_a_part_is_indexed_to_the_part_first(shop_store, small_parts,
                                                                    tmp_path, monkeypatch):
    with FullTextIndex(tmp_path / "index.fulltext") as index:
        monkeypatch.setattr(fulltext_parts, "PARALLEL_FROM", 10**9)
        index.catch_up(shop_store, batch=25, should_stop=lambda: index.checkpoint() >= 25)
        assert index.checkpoint() == 25 and small_parts == []
        monkeypatch.setattr(fulltext_parts, "PARALLEL_FROM", 2)
        index.catch_up(shop_store, batch=25)
        assert len(small_parts) == 2 and index.checkpoint() == shop_store.last_position()
        check_integrity(index)
        assert_found_as_a_scan(index, shop_store, ["order_01*", "OrderPlaced", '"Royal Mail"'])


def test_a_cancelled_build_keeps_the_parts_moved_in(shop_store, small_parts, tmp_path):
    def progress(done: int, _last: int) -> None:
        if done > 0:
            raise Cancelled()

    with FullTextIndex(tmp_path / "index.fulltext") as index:
        with pytest.raises(Cancelled):
            index.catch_up(shop_store, progress=progress)
        checkpoint = index.checkpoint()
        assert 0 < checkpoint < shop_store.last_position() and checkpoint % PART == 0
        assert all(worker.process.poll() is not None for worker in small_parts)
        assert worker_files(index) == []
        check_integrity(index)
        assert_found_as_a_scan(index, shop_store, ["order_01*", "OrderShipped"], checkpoint)
        index.catch_up(shop_store, should_stop=lambda: index.checkpoint() >= 3 * PART)
        assert worker_files(index) == [] and index.checkpoint() < shop_store.last_position()
        index.catch_up(shop_store)
        check_integrity(index)
        assert_found_as_a_scan(index, shop_store, ["order_01*", "OrderShipped", "cust_0*"])


def test_a_part_another_process_indexed_meanwhile_is_not_moved_in(shop_store, small_parts,
                                                                  tmp_path, monkeypatch):
    path = tmp_path / "index.fulltext"
    by_the_other: list[int] = []

    def progress(done: int, _last: int) -> None:
        if done > 0 and not by_the_other:  # another catch-up, in one process
            monkeypatch.setattr(fulltext_parts, "PARALLEL_FROM", 10**9)
            with FullTextIndex(path) as other:
                by_the_other.append(other.catch_up(
                    shop_store, batch=50,
                    should_stop=lambda: other.checkpoint() >= done + 2 * PART))

    with FullTextIndex(path) as index:
        indexed = index.catch_up(shop_store, progress=progress)
        assert by_the_other[0] >= 2 * PART  # each event indexed once, by one or the other:
        assert indexed + by_the_other[0] == shop_store.last_position()
        assert index.checkpoint() == shop_store.last_position() and worker_files(index) == []
        check_integrity(index)
        assert_found_as_a_scan(index, shop_store, ["order_01*", "OrderPlaced", "cust_0*"])


@pytest.mark.parametrize("when", ["at its start", "midway"])
def test_a_worker_killed_leaves_the_build_to_the_catch_up(shop_store, small_parts, tmp_path,
                                                          when, caplog, monkeypatch):
    def progress(done: int, _last: int) -> None:
        if when == "midway" and done > 0 and small_parts[0].process.poll() is None:
            small_parts[0].process.send_signal(signal.SIGKILL)

    if when == "at its start":
        start = fulltext_parts._Worker.start

        def killed(*args: object) -> object:
            worker = start(*args)  # (recorded by small_parts)
            if len(small_parts) == 1:
                worker.process.send_signal(signal.SIGKILL)
            return worker

        monkeypatch.setattr(fulltext_parts._Worker, "start", killed)
    with FullTextIndex(tmp_path / "index.fulltext") as index:
        assert index.catch_up(shop_store, progress=progress) == shop_store.last_position()
        assert all(worker.process.poll() is not None for worker in small_parts)
        assert worker_files(index) == []
        check_integrity(index)
        assert_found_as_a_scan(index, shop_store, ["order_01*", "OrderPlaced", "Royal"])
    if when == "at its start":
        assert "goes on in one" in caplog.text


def test_an_abandoned_workers_file_is_removed_by_the_next_build(shop_store, small_parts,
                                                                tmp_path):
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)
    with FullTextIndex(tmp_path / "index.fulltext") as index:
        dead = fulltext_parts.part_file(index.path, 3, int(ended.stdout))
        alive = fulltext_parts.part_file(index.path, 4, os.getpid())
        other_machine = index.path.with_name(f".{index.path.name}.part-5-elsewhere-{ended.stdout}")
        for file in (dead, alive, other_machine):
            file.write_bytes(b"left behind")
        index.catch_up(shop_store)
        assert not dead.exists() and alive.exists() and other_machine.exists()


BUILD_SCRIPT = """
import sys
from explorer.projections import FullTextIndex, fulltext, fulltext_parts
from explorer.store import EventStore
fulltext.PART = int(sys.argv[2])
fulltext_parts.os.cpu_count = lambda: 2
store = EventStore.open(sys.argv[1])
index = FullTextIndex(sys.argv[3])
index.catch_up(store, progress=lambda done, last: print(done, flush=True))
"""


def test_a_catch_up_killed_leaves_its_index_whole_and_its_workers_end(shop_store, small_parts,
                                                                        tmp_path):
    """The catch-up here goes on with the killed one's parts of PART positions (`small_parts`:
    with the default part size, the events after the checkpoint went into the first part, and
    the matches, listed part by part, were out of order whenever more than one part had been
    moved in before the kill)."""
    path = tmp_path / "index.fulltext"
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen([sys.executable, "-c", BUILD_SCRIPT, shop_store.location, str(PART),
                              str(path)], cwd=ROOT, stdout=subprocess.PIPE, text=True,
                             env=environment)
    while int(child.stdout.readline()) == 0:  # a part moved in: kill it without warning
        pass
    child.send_signal(signal.SIGKILL)
    child.wait()
    deadline = time.monotonic() + DEADLINE_S  # its workers see their input end, and tidy up
    while any(".part-" in p.name for p in tmp_path.iterdir()):
        assert time.monotonic() < deadline, sorted(p.name for p in tmp_path.iterdir())
        time.sleep(0.05)
    with FullTextIndex(path) as index:
        checkpoint = index.checkpoint()
        assert 0 < checkpoint < shop_store.last_position()
        check_integrity(index)
        assert_found_as_a_scan(index, shop_store, ["order_01*", "OrderPlaced"], checkpoint)
        index.catch_up(shop_store)
        check_integrity(index)
        assert_found_as_a_scan(index, shop_store, ["order_01*", "OrderPlaced", "cust_0*"])


def test_the_workers_are_the_command_line_of_this_python_or_the_bundle(monkeypatch):
    monkeypatch.delattr(sys, "frozen", raising=False)
    assert fulltext_parts.command_line([fulltext_parts.FULLTEXT_WORKER]) == (
        sys.executable, ["-m", "explorer", "--fulltext-worker"])
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", "/opt/event-explorer/event-explorer")
    assert fulltext_parts.command_line([fulltext_parts.FULLTEXT_WORKER]) == (
        "/opt/event-explorer/event-explorer-cli", ["--fulltext-worker"])


def test_a_gap_of_whole_parts_before_the_end_of_the_log_is_passed_over(seeded, small_parts,
                                                                       tmp_path, monkeypatch):
    # The whole parts were reckoned from the checkpoint: with nothing in any of them (a gap of
    # two parts or more before the log's last, begun part), the workers built them empty, the
    # checkpoint stayed, and the catch-up started them again for ever (found by review).
    path = tmp_path / "gap.evstore"
    path.write_bytes(seeded.read_bytes())
    with closing(sqlite3.connect(path)) as db:
        for (trigger,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'"
                                     ).fetchall():
            db.execute(f"DROP TRIGGER {trigger}")
        last = db.execute("SELECT max(position) FROM events").fetchone()[0]
        db.execute("DELETE FROM events WHERE position > ? AND position <= ?",
                   (PART, (last // PART) * PART))
        db.commit()
    calls = []
    build = fulltext.build_parts

    def counted(*args: object, **kwargs: object) -> tuple[int, bool]:
        calls.append(args[2])
        return build(*args, **kwargs)

    monkeypatch.setattr(fulltext, "build_parts", counted)
    deadline = time.monotonic() + DEADLINE_S
    with EventStore.open(str(path), read_only=True, verify=False) as store, \
            FullTextIndex(tmp_path / "gap.fulltext") as index:
        expected = PART + (last - (last // PART) * PART)
        assert index.catch_up(store, batch=40, should_stop=lambda: time.monotonic() > deadline
                              or len(calls) > 2) == expected
        assert index.checkpoint() == last and index.built() and len(calls) <= 1
        assert_found_as_a_scan(index, store, ["OrderPlaced", "order_*"])
