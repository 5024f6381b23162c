"""A store in the `eventsourcing` library's format, written by the library's own application
code, exported and imported into a store of ours: the same events (the conversion path)."""

from __future__ import annotations

from pathlib import Path

import pytest

from explorer.exchange.export import export_file
from explorer.exchange.importing import import_file
from explorer.store import EventStore
from tests.foreign.bank import write_bank

pytest.importorskip("eventsourcing")

PREFIXED = {"APPLICATION_RECORDER_TOPIC": "tests.foreign.bank:PrefixedRecorder"}


def events_of(path: Path) -> list[tuple]:
    with EventStore.open(path, read_only=True) as store:
        return [(e.position, e.event_id, e.stream_id, e.stream_type, e.event_type, e.version,
                 e.timestamp_us, e.stored_data, e.metadata) for e in store.read_all()]


@pytest.mark.parametrize("format", ["jsonl", "cloudevents"])
def test_a_library_store_exported_and_imported_keeps_its_events(tmp_path, format):
    library = tmp_path / "bank.db"
    write_bank(library, accounts=3, credits=4, **PREFIXED)
    before = library.read_bytes()
    out = tmp_path / f"bank.{format}"
    assert export_file(library, out, format=format) == 15
    assert library.read_bytes() == before  # the library's file is only read
    converted = tmp_path / "bank.evstore"
    report = import_file(out, converted)
    assert (report.events, report.streams) == (15, 3)
    original = events_of(library)
    assert events_of(converted) == original
    assert {row[4] for row in original} == {"Opened", "Credited"}
    assert all(row[7] for row in original)  # data decoded from the library's transcoding
