"""The store's tables, declared once with SQLAlchemy Core.

events     the append-only log; `position` is the global order (the SQLite rowid, gap-free)
process_checkpoints  how far each saga runner has read the log
streams    the stream index: type, version and last position per stream, kept in the same
           transaction as the append, so listing streams never scans the events table
snapshots  cached aggregate states, by stream and version
event_hashes  each event's link in the hash chain over the log (see `explorer.store.chain`), a
           run an append, written in its transaction: `check` finds any event changed after it
store_meta the schema marker: what this file is and which schema version it has

Schema versions: 1, the first; 2 adds `event_hashes` (a version-1 store gets its chain the first
time it is opened for writing).
"""

from __future__ import annotations

import sqlalchemy as sa

from explorer import __version__
from explorer.common.timestamps import iso, now_micros

SCHEMA_NAME = "event-explorer-store"
SCHEMA_VERSION = 2
APPLICATION_ID = 0x45565831  # "EVX1": SQLite's header field that names the file's application

# SQLite makes an INTEGER PRIMARY KEY the rowid; BIGINT would not be. Other backends get BIGINT.
Position = sa.Integer().with_variant(sa.BigInteger(), "postgresql")
Micros = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
# Texts sort by their bytes, as SQLite's do, whatever the server's locale (listings page by id).
Text = sa.Text().with_variant(sa.Text(collation="C"), "postgresql")
MAX_INTEGER = 2**63 - 1
"""The largest integer a column holds (SQLite's INTEGER, a BIGINT): no position or version is
larger, and a larger number cannot even be compared with one in SQL."""

metadata = sa.MetaData()

events = sa.Table(
    "events", metadata,
    sa.Column("position", Position, primary_key=True, autoincrement=False),
    sa.Column("stream_id", Text, nullable=False),
    sa.Column("stream_type", Text, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("event_id", Text, nullable=False),
    sa.Column("event_type", Text, nullable=False),
    sa.Column("schema_version", sa.Integer, nullable=False),
    sa.Column("timestamp", Micros, nullable=False),
    # A column (not only a key of the metadata JSON) so that a request's whole chain of events is
    # an indexed lookup without a JSON expression evaluated on every insert. The causation id stays
    # in the metadata: it names an event, found by its id.
    sa.Column("correlation_id", Text),
    sa.Column("data", Text, nullable=False),
    sa.Column("metadata", Text, nullable=False, server_default="{}"),
    sa.UniqueConstraint("stream_id", "version", name="uq_events_stream_version"),
    sa.UniqueConstraint("event_id", name="uq_events_event_id"),
    sa.Index("ix_events_event_type", "event_type"),
    sa.Index("ix_events_correlation_id", "correlation_id"),
)

streams = sa.Table(
    "streams", metadata,
    sa.Column("stream_id", Text, primary_key=True),
    sa.Column("stream_type", Text, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("first_position", Micros, nullable=False),
    sa.Column("last_position", Micros, nullable=False),
    sa.Column("last_timestamp", Micros, nullable=False),
    sa.Index("ix_streams_type", "stream_type", "stream_id"),
    sqlite_with_rowid=False,
)

snapshots = sa.Table(
    "snapshots", metadata,
    sa.Column("stream_id", Text, primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("stream_type", Text, nullable=False),
    sa.Column("position", Micros, nullable=False),
    sa.Column("timestamp", Micros, nullable=False),
    sa.Column("state_version", sa.Integer, nullable=False),
    sa.Column("state", Text, nullable=False),
    sa.Column("taken_at", Micros, nullable=False),
    sqlite_with_rowid=False,
)

process_checkpoints = sa.Table(
    "process_checkpoints", metadata,
    sa.Column("name", Text, primary_key=True),
    sa.Column("position", Micros, nullable=False),
    sa.Column("updated_at", Micros, nullable=False),
    sqlite_with_rowid=False,
)
"""How far each process manager (saga runner) has read the log: part of the write side."""

event_hashes = sa.Table(
    "event_hashes", metadata,
    sa.Column("position", Position, primary_key=True, autoincrement=False),
    sa.Column("links", sa.LargeBinary, nullable=False),
)
"""Each event's link in the hash chain (explorer.store.chain), a run of them an append: the run's
first position, and 16 bytes an event from there on."""

CHAIN_KEY, CHAIN_COMPLETE, CHAIN_LINKING = "hash_chain", "complete", "linking"
"""store_meta's entry for the chain: "complete" from the first event (a new store, or one whose
earlier events were linked on upgrade), "linking" while an upgrade links what came before. A row
without a link in a complete chain was written around the store."""

BUNDLE_KEY = "bug_report_view"
"""store_meta's entry in a bug-report bundle (explorer.exchange.bundle): the view it was saved
with. A bundle is kept as it was saved: it is always opened read-only."""
TAKEN_KEY = "bug_report_taken"
"""store_meta's entry in a bundle saying when, by what and from which store it was taken."""

store_meta = sa.Table(
    "store_meta", metadata,
    sa.Column("key", Text, primary_key=True),
    sa.Column("value", Text, nullable=False),
    sqlite_with_rowid=False,
)

REQUIRED_TABLES = frozenset({"events", "streams", "snapshots", "store_meta"})
ADDED_TABLES = (process_checkpoints, event_hashes)
"""Tables added after a store's schema version was fixed; created when a store is opened for
writing and missing them, read as empty otherwise."""

# The log is append-only: the database itself refuses to change or delete a stored event, or
# its link in the hash chain.
IMMUTABLE_TABLES = (events, event_hashes)
TRIGGERS: dict[str, str] = {}
"""Every trigger the schema has, by name, with its SQL (what `check` expects to find)."""
for _table in IMMUTABLE_TABLES:
    for _action in ("UPDATE", "DELETE"):
        _name = f"{_table.name}_no_{_action.lower()}"
        TRIGGERS[_name] = (
            f"CREATE TRIGGER {_name} BEFORE {_action} ON {_table.name} "
            f"BEGIN SELECT RAISE(ABORT, '{_table.name} are immutable: the log is append-only'); "
            "END")
        sa.event.listen(_table, "after_create",
                        sa.DDL(TRIGGERS[_name]).execute_if(dialect="sqlite"))


def first_meta() -> list[dict[str, str]]:
    """store_meta's rows for a store made now (whatever its backend): what it is, its schema
    version, when and by what it was made, and a hash chain complete from the first event."""
    return [
        {"key": "schema", "value": SCHEMA_NAME},
        {"key": "schema_version", "value": str(SCHEMA_VERSION)},
        {"key": "created_at", "value": iso(now_micros())},
        {"key": "created_by", "value": f"Event Explorer {__version__}"},
        {"key": CHAIN_KEY, "value": CHAIN_COMPLETE},
    ]
