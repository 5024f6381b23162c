"""How the import loads a new store: what it builds at the end (secondary indexes, the stream
index, the hash chain) is what appends would have made, and line numbers stay right however
the checks are spread over a batch (blank lines, a fault found by the store's unique index
before a fault found on reading)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys

import orjson
import pytest

from explorer.exchange import importing
from explorer.exchange.export import export_file
from explorer.exchange.formats import LineError
from explorer.exchange.importing import import_file
from explorer.store import EventStore
from explorer.store.check import check_store
from tests.exchange.test_export_import import fill, good_lines, mangled


def test_the_imported_store_has_the_indexes_stream_index_and_chain_appends_make(store,
                                                                                tmp_path):
    fill(store)
    out = tmp_path / "events.jsonl"
    export_file(store.location, out)
    target = tmp_path / "copy.evstore"
    import_file(out, target, batch_events=2)
    with EventStore.open(target, read_only=True) as copy:
        assert copy.list_streams() == store.list_streams()
        assert check_store(copy).ok
    with sqlite3.connect(target) as db:
        indexes = {name for (name,) in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index'")}
        firsts = dict(db.execute("SELECT stream_id, first_position FROM streams"))
    assert {"ix_events_event_type", "ix_events_correlation_id"} <= indexes
    assert firsts == {"acc-1": 1, "acc-2": 3, "order-1": 5}


def test_blank_lines_take_no_position_but_keep_the_line_numbers(store, tmp_path):
    lines = good_lines(store, tmp_path)
    source = tmp_path / "gaps.jsonl"
    source.write_bytes(b"\n".join([lines[0], b"", b"  \r", lines[1], lines[2]]) + b"\r\n\n"
                       + b"\n".join([lines[3], mangled(lines[4], version=7)]))
    with pytest.raises(LineError, match="stream order-1 starts here at version 7") as raised:
        import_file(source, tmp_path / "new.evstore")
    assert raised.value.line == 8
    source.write_bytes(b"\r\n".join([lines[0], b"", *lines[1:]]))
    assert import_file(source, tmp_path / "new.evstore").events == 5


def test_a_duplicate_id_before_a_malformed_line_is_the_fault_said(store, tmp_path):
    lines = good_lines(store, tmp_path)
    lines[2] = mangled(lines[2], event_id=orjson.loads(lines[0])["event_id"])
    lines[4] = lines[4][:-5]
    source = tmp_path / "two faults.jsonl"
    source.write_bytes(b"\n".join(lines))
    with pytest.raises(LineError, match="is used already, on line 1") as raised:
        import_file(source, tmp_path / "new.evstore")
    assert raised.value.line == 3
    assert not (tmp_path / "new.evstore").exists()


def test_a_time_in_another_form_than_exported_is_read_too(store, tmp_path):
    lines = good_lines(store, tmp_path)
    lines[0] = mangled(lines[0], time="2023-11-14T22:13:20.123456+00:00")
    source = tmp_path / "events.jsonl"
    source.write_bytes(b"\n".join(lines))
    import_file(source, tmp_path / "new.evstore")
    with EventStore.open(tmp_path / "new.evstore", read_only=True) as copy:
        assert [e.timestamp_us for e in copy.read_all()][0] == 1_700_000_000_123_456


def test_the_loader_refuses_rows_that_do_not_follow_on(store, tmp_path):
    from explorer.store.loading import loading_new_store, new_store_file

    path = tmp_path / "loaded.evstore"
    new_store_file(path)
    with EventStore.open(path, create=True) as new, loading_new_store(new) as loader, \
            pytest.raises(ValueError, match="follow on from position 0"):
        loader.append([(2, "s", "T", 1, "e", "E", 1, 0, None, "{}", "{}")])


def test_a_failure_while_writing_stops_the_import_and_leaves_nothing(store, tmp_path,
                                                                    monkeypatch):
    from explorer.store.loading import NewStoreLoader

    lines = good_lines(store, tmp_path)
    source = tmp_path / "events.jsonl"
    source.write_bytes(b"\n".join(lines))
    write = NewStoreLoader._write

    def failing_second(self, rows):
        if rows[0][0] > 1:
            raise sqlite3.OperationalError("database or disk is full")
        write(self, rows)

    monkeypatch.setattr(NewStoreLoader, "_write", failing_second)
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(sqlite3.OperationalError, match="disk is full"):
        import_file(source, tmp_path / "new.evstore", batch_events=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_a_duplicate_id_after_new_ones_in_its_batch_is_said_at_its_own_line(store, tmp_path):
    # One transaction for the whole load: the batch's rows before the refused one are written
    # when it is refused, and are not the ones used again.
    lines = good_lines(store, tmp_path)
    lines[4] = mangled(lines[4], event_id=orjson.loads(lines[0])["event_id"])
    source = tmp_path / "late duplicate.jsonl"
    source.write_bytes(b"\n".join(lines))
    with pytest.raises(LineError, match="by the event at position 1") as raised:
        import_file(source, tmp_path / "new.evstore", batch_events=3)
    assert raised.value.line == 5
    assert not (tmp_path / "new.evstore").exists()


def chain_of(path) -> bytes:
    with sqlite3.connect(path) as db:
        return b"".join(links for (links,) in db.execute(
            "SELECT links FROM event_hashes ORDER BY position"))


def test_rows_written_many_a_statement_make_the_store_one_a_statement_makes(store, tmp_path,
                                                                           monkeypatch):
    from explorer.store import loading
    from tests.exchange.test_export_import import fingerprint

    source = tmp_path / "events.jsonl"
    source.write_bytes(b"\n".join(good_lines(store, tmp_path)))
    import_file(source, tmp_path / "one.evstore", batch_events=3)
    monkeypatch.setattr(loading, "ROWS_A_STATEMENT", 2)  # a batch: a statement of 2, then 1
    import_file(source, tmp_path / "many.evstore", batch_events=3)
    assert fingerprint(tmp_path / "many.evstore") == fingerprint(tmp_path / "one.evstore")
    assert chain_of(tmp_path / "many.evstore") == chain_of(tmp_path / "one.evstore") != b""
    with EventStore.open(tmp_path / "many.evstore", read_only=True) as copy:
        assert check_store(copy).ok


@pytest.mark.parametrize(("line", "used_on", "batch_events", "said"), [
    (2, 1, 10, "on line 1"), (4, 3, 10, "on line 3"), (4, 1, 10, "on line 1"),
    (5, 2, 10, "on line 2"), (4, 1, 2, "by the event at position 1"),
    (3, 2, 2, "by the event at position 2")])
def test_an_id_used_again_within_a_statement_of_many_rows_is_said_at_its_line(
        store, tmp_path, monkeypatch, line, used_on, batch_events, said):
    from explorer.store import loading

    monkeypatch.setattr(loading, "ROWS_A_STATEMENT", 2)
    lines = good_lines(store, tmp_path)
    lines[line - 1] = mangled(lines[line - 1],
                              event_id=orjson.loads(lines[used_on - 1])["event_id"])
    source = tmp_path / "duplicate.jsonl"
    source.write_bytes(b"\n".join(lines))
    with pytest.raises(LineError, match=said) as raised:
        import_file(source, tmp_path / "new.evstore", batch_events=batch_events)
    assert raised.value.line == line
    assert not (tmp_path / "new.evstore").exists()


def test_an_import_removes_what_a_killed_import_into_the_same_file_left(store, tmp_path):
    lines = good_lines(store, tmp_path)
    source = tmp_path / "events.jsonl"
    source.write_bytes(b"\n".join(lines))
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()  # a process that no longer runs, as one killed mid-import
    target = tmp_path / "new.evstore"
    host = importing._HOST
    left = [tmp_path / f".new.evstore.importing-{host}-{ended.pid}",
            tmp_path / f".new.evstore.importing-{host}-{ended.pid}-wal"]
    for path in left:
        path.write_bytes(b"half an import")
    running = tmp_path / f".new.evstore.importing-{host}-{os.getppid()}"  # a living process's
    elsewhere = tmp_path / f".new.evstore.importing-other-host-{ended.pid}"  # (its PIDs unknown)
    other = tmp_path / f".other.evstore.importing-{host}-{ended.pid}"  # another target's
    for path in (running, elsewhere, other):
        path.write_bytes(b"not ours to judge")
    import_file(source, target)
    assert not any(path.exists() for path in left)
    assert running.exists() and elsewhere.exists() and other.exists()
