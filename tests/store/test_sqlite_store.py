"""The store contract on SQLite files (a plain path, and one with spaces and non-ASCII)."""

from __future__ import annotations

import sqlite3

import pytest

from explorer.store import EventStore
from tests.store.contract import EventStoreContract


def raw_inserter(path):
    """Write one event row straight into the file, as another program might."""
    def insert_raw(**columns):
        if not path.exists():
            EventStore.open(path, create=True).close()
        row = {"stream_type": "Order", "event_id": f"raw-{columns['position']}",
               "schema_version": 1, "timestamp": 1_000_000 * columns["position"],
               "metadata": "{}", **columns}
        with sqlite3.connect(path) as db:
            db.execute(f"INSERT INTO events ({', '.join(row)}) VALUES "
                       f"({', '.join('?' * len(row))})", list(row.values()))
            db.execute("INSERT INTO streams VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (stream_id) "
                       "DO UPDATE SET version = excluded.version, last_position = "
                       "excluded.last_position", (row["stream_id"], row["stream_type"],
                                                  row["version"], row["position"],
                                                  row["position"], row["timestamp"]))
    return insert_raw


class TestSQLiteFile(EventStoreContract):
    @pytest.fixture
    def path(self, tmp_path):
        return tmp_path / "contract.evstore"

    @pytest.fixture
    def make_store(self, path):
        opened = []

        def make(registry=None, read_only=False):
            store = EventStore.open(path, registry=registry, read_only=read_only,
                                    create=not read_only)
            opened.append(store)
            return store
        yield make
        for store in opened:
            store.close()

    @pytest.fixture
    def insert_raw(self, path):
        return raw_inserter(path)

    @pytest.fixture
    def branch_target(self, path):
        return path.with_name("branch – Zweig #2 ?.evstore")


class TestSQLiteFileWithAwkwardPath(TestSQLiteFile):
    @pytest.fixture
    def path(self, tmp_path):
        folder = tmp_path / "my stores #1 ?"
        folder.mkdir()
        return folder / "Bestellungen – Übersicht.evstore"
