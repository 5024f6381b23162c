"""The import's parse in a process of its own (explorer.exchange.parsing), as a big file gets
it: the same store as parsed in the importing process, faults said at the same lines with
nothing left, a cancel stopping it; and the parsing module stays free of the store."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

import orjson
import pytest

from explorer.common.cancel import Cancelled
from explorer.exchange import formats, parsing
from explorer.exchange.formats import LineError
from explorer.exchange.importing import import_file
from explorer.store import EventStore
from explorer.store.check import check_store
from tests.exchange.test_export_import import CASES, fingerprint, good_lines, mangled


def chain_of(path) -> list[tuple]:
    with sqlite3.connect(path) as db:
        return db.execute("SELECT links FROM event_hashes ORDER BY position").fetchall()


def test_parsed_apart_the_store_is_the_one_parsed_here(store, tmp_path):
    lines = good_lines(store, tmp_path)
    lines[1] = mangled(lines[1], time="2023-11-14T22:13:20+00:00")  # parse_line; raised
    source = tmp_path / "events.jsonl"
    source.write_bytes(b"\n".join([lines[0], b"", *lines[1:]]) + b"\n")
    here, apart = tmp_path / "here.evstore", tmp_path / "apart.evstore"
    import_file(source, here, parse_apart=False)
    report = import_file(source, apart, parse_apart=True, batch_events=2)
    assert (report.events, report.streams, report.raised_times) == (5, 3, 1)
    assert fingerprint(apart) == fingerprint(here)
    assert chain_of(apart) != [] and b"".join(r[0] for r in chain_of(apart)) == \
        b"".join(r[0] for r in chain_of(here))
    with EventStore.open(apart, read_only=True) as copy:
        assert check_store(copy).ok


@pytest.mark.parametrize("case", ["bad JSON", "missing field", "duplicate id",
                                  "out-of-order version"])
def test_parsed_apart_a_fault_is_said_at_its_line_and_leaves_nothing(store, tmp_path, case):
    change, line, message = CASES[case]
    source = tmp_path / "bad.jsonl"
    source.write_bytes(b"\n".join(change(good_lines(store, tmp_path))) + b"\n")
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(LineError, match=message) as raised:
        import_file(source, tmp_path / "new.evstore", parse_apart=True)
    assert raised.value.line == line
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_parsed_apart_a_huge_line_is_refused_at_its_line(store, tmp_path, monkeypatch):
    from explorer.exchange import importing

    lines = good_lines(store, tmp_path)
    monkeypatch.setattr(importing, "MAX_LINE_BYTES", 1000)
    lines[2] = mangled(lines[2], data={"blob": "x" * 5000})
    source = tmp_path / "huge.jsonl"
    source.write_bytes(b"\n".join(lines))
    with pytest.raises(LineError, match="longer than") as raised:
        import_file(source, tmp_path / "new.evstore", parse_apart=True)
    assert raised.value.line == 3
    assert not (tmp_path / "new.evstore").exists()


def test_parsed_apart_a_cancel_leaves_nothing(store, tmp_path):
    source = tmp_path / "events.jsonl"
    source.write_bytes(b"\n".join(good_lines(store, tmp_path)))
    before = sorted(p.name for p in tmp_path.iterdir())

    def cancel(done: int, total: int) -> None:
        raise Cancelled

    with pytest.raises(Cancelled):
        import_file(source, tmp_path / "new.evstore", progress=cancel, parse_apart=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_a_block_boundary_inside_a_line_keeps_the_line_numbers(store, tmp_path, monkeypatch):
    lines = good_lines(store, tmp_path)
    lines[3] = mangled(lines[3], version=9)
    source = tmp_path / "events.jsonl"
    source.write_bytes(b"\n".join([lines[0], b"", *lines[1:]]))
    monkeypatch.setattr(parsing, "READ_BYTES", 7)  # blocks end inside lines
    with pytest.raises(LineError, match="version 9 of stream") as raised:
        import_file(source, tmp_path / "new.evstore", parse_apart=False)
    assert raised.value.line == 5


def test_the_parsing_module_imports_nothing_of_the_store():
    assert parsing.CONTENT_TYPE == formats.CONTENT_TYPE
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, explorer.exchange.parsing; "
                               "print(sorted(m for m in sys.modules if m.startswith("
                               "('explorer.store', 'sqlalchemy'))))"],
        capture_output=True, text=True, check=True)
    assert orjson.loads(loaded.stdout.replace("'", '"')) == []


def test_a_file_is_parsed_apart_only_with_a_core_to_spare():
    from explorer.exchange.importing import spare_core

    assert spare_core(2, 0.3) and spare_core(8, 6.5)
    assert not spare_core(2, 1.2) and not spare_core(1, 0.0) and not spare_core(4, 3.0)
