"""The store contract on a PostgreSQL server (tests/store/contract.py), a schema a test."""

from __future__ import annotations

import pytest

from explorer.store import EventStore
from tests.store.contract import EventStoreContract


class TestPostgresStore(EventStoreContract):
    @pytest.fixture
    def make_store(self, store_url):
        opened = []

        def make(registry=None, read_only=False):
            store = EventStore.open(store_url, registry=registry, read_only=read_only,
                                    create=not read_only)
            opened.append(store)
            return store
        yield make
        for store in opened:
            store.close()

    @pytest.fixture
    def insert_raw(self, store_url, schema_name, admin):
        """Write one event row straight into the server's tables, as another program might."""
        def insert(**columns):
            EventStore.open(store_url).close()  # the schema, made as a first write-mode open does
            row = {"stream_type": "Order", "event_id": f"raw-{columns['position']}",
                   "schema_version": 1, "timestamp": 1_000_000 * columns["position"],
                   "metadata": "{}", **columns}
            admin.execute(f"INSERT INTO {schema_name}.events ({', '.join(row)}) VALUES "
                          f"({', '.join(['%s'] * len(row))})", list(row.values()))
            admin.execute(
                f"INSERT INTO {schema_name}.streams VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT "
                "(stream_id) DO UPDATE SET version = excluded.version, last_position = "
                "excluded.last_position", (row["stream_id"], row["stream_type"], row["version"],
                                           row["position"], row["position"], row["timestamp"]))
        return insert
