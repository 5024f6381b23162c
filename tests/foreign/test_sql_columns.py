"""The library's stream ids, stream and event types and timestamps are computed in SQL (views),
so that building the stream index runs in SQLite without the interpreter's lock: the same values
as the Python readers give, on awkward inputs too, and no Python called while the index of the
library's own file is built."""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from explorer.store.event_store import EventStore
from explorer.store.foreign import library_store, views
from explorer.store.foreign.transcoding import StateReader, event_type_of, stream_type_of
from tests.foreign.bank import write_bank

TOPICS = ["pkg.mod:Account.Credited", "m:x.<locals>.Account.Opened", "a:b", "a", "", None, ":",
          "::", "a:.", "a:..", "m:A.B.C.D", "é:Ä.ß.ü", ".", "a.b", "a:b:c.d.e", "...", "m:.A",
          "m:A.", 'm:x."q\\.A.B', 'm:a\\"b.c', "m:A\tB.C", "m:A.B\n", 'm:"', "m:\\", "m:A.B\\"]
"""Topics as the library writes them and odd ones: quotes, backslashes, control characters
(which SQL leaves to Python), colons and dots anywhere."""

STREAM_IDS = [("20f7b915230c49c4ba82cd8cb605b545", "20f7b915-230c-49c4-ba82-cd8cb605b545"),
              ("20F7B915230C49C4BA82CD8CB605B545", "20f7b915-230c-49c4-ba82-cd8cb605b545"),
              ("20f7b915-230c-49c4-ba82-cd8cb605b545", "20f7b915-230c-49c4-ba82-cd8cb605b545"),
              ("g0f7b915230c49c4ba82cd8cb605b545", "g0f7b915230c49c4ba82cd8cb605b545"),
              ("account-1", "account-1"), ("", ""), (5, "5"), ("é" * 32, "é" * 32)]

STAMPS = ["2026-11-30T15:48:31.880760+00:00", "2026-11-30T15:48:31.999999+05:30",
          "1969-12-31T23:59:59.999999-08:00", "2026-02-31T15:48:31.880760+00:00",
          "2026-11-30T24:00:00.000000+00:00", "0000-01-01T00:00:00.000000+00:00",
          "2026-11-30T15:48:31+00:00", "2026-11-30T15:48:31.880760",
          "2026-11-30T15:48:31.880760+24:00", "2026-11-30 15:48:31.880760+00:00",
          "2026-13-30T15:48:31.880760+00:00"]
"""Timestamps as the library writes them and invalid or other forms (which SQL leaves to
Python: the reader gives 0 for an invalid date, SQLite would move it on)."""

STATES: list[bytes | str | None] = [
    *(f'{{"timestamp":{{"_type_":"datetime_iso","_data_":"{stamp}"}},"a":1}}'.encode()
      for stamp in STAMPS),
    *(f'{{"a":1,"timestamp":{{"_type_":"datetime_iso","_data_":"{stamp}"}}}}'.encode()
      for stamp in STAMPS),
    b'{"timestamp":{"_type_":"datetime_iso","_data_":"2026-11-30T15:48:31.880760+00:00"}',
    '{"timestamp":{"_type_":"datetime_iso","_data_":"2026-11-30T15:48:31.880760+00:00"}}',
    b"", b"{", b"xyz", None]


@pytest.fixture
def connection() -> sqlite3.Connection:
    db = sqlite3.connect(":memory:")
    library_store.register_functions(db, StateReader(None))
    return db


def test_topics_name_the_stream_and_event_types_as_the_python_readers_do(
        connection: sqlite3.Connection) -> None:
    sql = f"SELECT {views.stream_type_sql('?1')}, {views.event_type_sql('?1')}"
    for topic in TOPICS:
        assert connection.execute(sql, (topic,)).fetchone() == (
            stream_type_of(topic), event_type_of(topic)), topic


def test_originator_ids_show_as_stream_ids(connection: sqlite3.Connection) -> None:
    for stored, shown in STREAM_IDS:
        assert connection.execute(f"SELECT {views.stream_id_sql('?1')}",
                                  (stored,)).fetchone() == (shown,)


def test_timestamps_are_the_state_readers_to_the_microsecond(
        connection: sqlite3.Connection) -> None:
    reader = StateReader(None)
    for state in STATES:
        assert connection.execute(f"SELECT {views.timestamp_sql('?1')}", (state,)).fetchone() \
            == (reader.timestamp_us(state),), state


def test_the_stream_index_of_the_librarys_own_file_calls_no_python(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: Counter[str] = Counter()
    register = library_store.register_functions

    class Counting:
        """A connection's `create_function`, each function counted when SQL calls it."""

        def __init__(self, connection: sqlite3.Connection) -> None:
            self.connection = connection

        def create_function(self, name: str, arguments: int, function: Callable[..., Any],
                            **options: Any) -> None:
            def called(*values: Any) -> Any:
                calls[name] += 1
                return function(*values)
            self.connection.create_function(name, arguments, called, **options)

    monkeypatch.setattr(library_store, "register_functions",
                        lambda connection, reader: register(Counting(connection), reader))
    path = tmp_path / "bank.db"
    write_bank(path, accounts=4, credits=3)
    with EventStore.open(path) as store:
        assert len(list(store.read_all(1, 2))) == 2
        assert calls["es_data"] == 2  # (the functions are counted)
        calls.clear()
        store.index_streams()
        assert calls == Counter()
        assert len(store.list_streams()) == 4
