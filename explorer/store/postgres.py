"""The event store on a PostgreSQL server: the same EventStore, its SQL compiled for PostgreSQL.

`EventStore.open("postgresql://user@host:port/db?schema=NAME")` opens one (see
`postgres_location` for the URL and the password). Every part of the store (appending, reading,
the stream index, navigation, activity) runs unchanged: its statements are SQLAlchemy Core,
compiled here for PostgreSQL, on a connection answering as SQLite's does. What differs is here:
connecting, making the schema (`postgres_schema`), the write transaction, the few upserts,
noticing commits (LISTEN/NOTIFY) and branching (a copy through the store's interface).

How positions are allocated, and why a reader following the log never skips an event:
an append reads the log's last position and the streams' heads, and inserts the events at the
positions after it, inside one transaction that first takes the store's advisory lock
(`_begin_write`). So appends serialise on allocation, and each one commits before the next
allocates: the server makes a commit visible before it releases the transaction's locks, and the
next appender (READ COMMITTED) reads the end of the log after it got the lock. Commit order is
therefore position order, and positions are gap-free (a rolled-back append leaves no position
behind: the next one reads the same end). A reader that sees position p sees a snapshot taken
after p's commit, hence after the commit of every position before p: no event can become
visible later at a position behind one a follower has already read past
(tests/postgres/test_concurrency.py holds a commit open to prove it). One stream's append runs
as a server-side function doing the same under the same lock, the server choosing the positions
and linking the events (`postgres_append`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

import orjson
import psycopg
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from explorer.common.timestamps import now_micros
from explorer.store import chain, postgres_append, postgres_copy, postgres_schema, schema
from explorer.store.appending import place
from explorer.store.compiled import CompiledStatement
from explorer.store.damage import GuardedConnection
from explorer.store.encoding import Prepared, prepare
from explorer.store.errors import (
    ConcurrencyError,
    StoreError,
    StoreMissingError,
    StoreOpenError,
    StreamTypeMismatchError,
)
from explorer.store.event_store import EventStore
from explorer.store.foreign.layout import LibraryLayout
from explorer.store.maintenance import SchemaObjects
from explorer.store.postgres_location import (
    RECONNECT_FIRST_S,
    RECONNECT_MOST_S,
    ServerConnection,
    ServerLocation,
    first_line,
)
from explorer.store.postgres_url import is_server_url
from explorer.store.records import AppendRequest, AppendResult, RecordedEvent
from explorer.store.statements import EVENT_COLUMNS
from explorer.store.upcasting import EventRegistry

_LOST = (psycopg.OperationalError, sa.exc.OperationalError)
"""What a statement raises when the connection is lost (raw, or through SQLAlchemy)."""
STREAMED_REQUESTS = 20
"""A batch's requests encoded and sent at a time (`_append_streamed`): 200 of the bench's
events, a send the server works on while the next are made."""


class _LibraryTables(Exception):  # noqa: N818 - not an error: where to go instead
    """The schema holds the `eventsourcing` library's tables, not a store of ours."""

    def __init__(self, layout: LibraryLayout) -> None:
        super().__init__(layout.events_table)
        self.layout = layout


_NUL_REFUSED = "PostgreSQL text fields cannot contain NUL"
"""How psycopg refuses a text holding a NUL character, before sending it (nothing on the server
holds one)."""


def _nul_refused(error: BaseException) -> bool:
    """Whether psycopg refused a text of the statement for its NUL character."""
    cause = error.orig if isinstance(error, sa.exc.DBAPIError) else error
    return isinstance(cause, psycopg.DataError) and str(cause).startswith(_NUL_REFUSED)


def _nul_refusal() -> StoreError:
    """A read given a text holding a NUL character: said, where a store file finds nothing."""
    return StoreError("What was looked up holds a NUL character (\\0, pasted with the text?), "
                      "which nothing in a store on a server holds; remove it.")


class _ReadingAgain(sa.Connection):
    """The store's SQLAlchemy connection: a SELECT sent on its own that finds the connection
    lost is sent again on the store's new one, as its plain reads are (`_StoreConnection`); a
    SELECT given a text holding a NUL character is refused, saying so (`_nul_refusal`)."""

    store: PostgresStore | None = None

    def execute(self, statement: Any, *args: Any, **kwargs: Any) -> Any:
        store = self.store
        alone = store is not None and isinstance(statement, sa.Select) \
            and not store._server.in_transaction and not store._server.pipelining
        try:
            return super().execute(statement, *args, **kwargs)
        except sa.exc.OperationalError as error:
            if not alone or store is None or not store._server.lost_by(error) \
                    or not store._connected_again_for("SELECT"):
                raise
        except sa.exc.DataError as error:
            if isinstance(statement, sa.Select) and _nul_refused(error):
                raise _nul_refusal() from None
            raise
        return store._sa.execute(statement, *args, **kwargs)


class _StoreConnection(ServerConnection):
    """The store's ServerConnection: a read sent on its own (outside a transaction) that finds
    the connection lost is sent again once the store has connected again (`resend`, the store's
    say: a read, never an append, whose going in is unknown: see `_append_again`)."""

    resend: Callable[[str], bool] | None = None
    reads: Callable[[str], bool] | None = None
    """The store's say whether a statement is a read (a SELECT, not the server's append): one
    given a text holding a NUL character is refused, saying so (`_nul_refusal`)."""
    sa_connection = _ReadingAgain

    def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> psycopg.Cursor[Any]:
        alone = not self.in_transaction and not self.pipelining
        try:
            return super().execute(sql, parameters)
        except psycopg.OperationalError as error:
            if not alone or self.resend is None or not self.lost_by(error) \
                    or not self.resend(sql):
                raise
        except psycopg.DataError as error:
            if self.reads is not None and self.reads(sql) and _nul_refused(error):
                raise _nul_refusal() from None
            raise
        return super().execute(sql, parameters)


class PostgresStore(EventStore):
    """A store in a schema of a PostgreSQL database, shown through the EventStore interface.

    Read-only stores connect with read-only transactions (a role that may only SELECT can open
    one); a store opened for writing by such a role opens read-only, saying why.
    """

    _integrity_errors = (psycopg.IntegrityError,)

    def __init__(self, engine: sa.Engine, *, server: ServerLocation, read_only: bool,
                 registry: EventRegistry | None) -> None:
        self.server = server
        super().__init__(engine, location=server.display, read_only=read_only,
                         registry=registry)
        self._pid = self._server.connection.info.backend_pid
        self._log_lock = 0
        self._listening = False
        self._notified = 0
        self._append_call: str | None = None  # the server's append (postgres_append), if any
        self._stored_before: int | None = None  # a streamed batch's log end (_events_by_ids)
        self._retry_at: float | None = None  # lost: when to try connecting again (None: not)
        self._retry_wait = RECONNECT_FIRST_S
        self._last_known = 0  # the log's end as last read (told while reconnecting)
        self._heads_wanted: set[str] | None = None  # a batch's streams, their heads to read
        self._heads_queued: tuple[set[str], psycopg.Cursor[Any]] | None = None
        self._by_ids = CompiledStatement(sa.select(*EVENT_COLUMNS).where(
            schema.events.c.event_id == sa.any_(sa.bindparam(
                "ids", type_=postgresql.ARRAY(sa.Text)))), engine.dialect, ("ids",))
        self._server.resend = self._connected_again_for
        self._server.reads = self._reads
        cast(_ReadingAgain, self._sa).store = self

    def _connect(self, engine: sa.Engine) -> tuple[sa.Connection, GuardedConnection]:
        connection, self._server = _StoreConnection.of_engine(engine)
        # The store's parts ask only what ServerConnection answers as SQLite's connection does.
        return connection, cast(GuardedConnection, self._server)

    @classmethod
    def open(cls, target: str | Path, **options: Any) -> EventStore:
        """As EventStore.open (the same options): a URL opens a store on a server, a path a
        store file."""
        if not is_server_url(target):
            return EventStore.open(target, **options)
        return cls.open_url(target, read_only=options.get("read_only", False),
                            registry=options.get("registry"), create=options.get("create", False),
                            cipher_key=options.get("cipher_key"))

    @classmethod
    def open_url(cls, target: str, *, read_only: bool = False,
                 registry: EventRegistry | None = None, create: bool = False,
                 cipher_key: str | None = None) -> EventStore:
        """Open the store the URL names. Opened for writing (or with `create`), a schema
        without a store gets one; read-only, a missing store raises StoreMissingError.
        `cipher_key` decrypts the `eventsourcing` library's encrypted states."""
        server = ServerLocation.parse(target)
        store = cls(server.engine(read_only=read_only), server=server, read_only=read_only,
                    registry=registry)
        try:
            store._prepare(create or not read_only)
        except _LibraryTables as found:  # the `eventsourcing` library's: read, never written
            store.close()
            from explorer.store.foreign.postgres_library import PostgresLibraryStore

            return PostgresLibraryStore.open_server(
                server, server.connect(read_only=True), found.layout, registry=registry,
                cipher_key=cipher_key)
        except psycopg.Error as error:
            store.close()
            raise StoreOpenError(f"Cannot open the store at {server.display}: "
                                 f"{str(error).strip()}") from None
        except BaseException:
            store.close()
            raise
        return store

    def _prepare(self, may_create: bool) -> None:
        db, server = self._server, self.server
        tables = postgres_schema.schema_tables(db, server.schema)
        if "store_meta" not in tables:
            from explorer.store.foreign.postgres_library import find_layout

            layout = find_layout(db.connection, server.schema)
            if layout is not None:
                raise _LibraryTables(layout)
            if not may_create:
                postgres_schema.refuse_foreign(tables, server.schema, self.location,
                                               creating=False)
                raise StoreMissingError(
                    f"No store in the schema {server.schema} of {server.url.database} at "
                    f"{self.location}. Check the URL's ?schema=; opening it for writing (or "
                    "`seed`) makes one there.", self.location)
            postgres_schema.create(db, self._sa, server.schema, server.channel, self.location)
        else:  # (a store: its tables must be ours; another application's may be beside them)
            postgres_schema.refuse_foreign(
                {name: found for name, found in tables.items()
                 if name in postgres_schema.OWN_COLUMNS}, server.schema, self.location,
                creating=False)
        postgres_schema.check_marker(db, self.location)
        found = db.execute(
            "SELECT 'events'::regclass::oid::bigint, has_table_privilege('events', 'INSERT')"
        ).fetchone()
        oid, may_insert = found if found is not None else (0, False)
        self._log_lock = (postgres_schema.LOCK_CLASS << 32) | oid
        if not self.read_only and not may_insert:
            self.read_only = True
            self.read_only_reason = (
                f"the role {server.url.username or 'you connect as'} may not write the events of "
                f"{self.location}, so it opened read-only.")
        if self.read_only:
            self.chain_form = self.stored_chain_form()
        else:
            self.chain_form = postgres_schema.server_links(db, self._log_lock)
            self._append_call = postgres_append.ensure_function(
                db, server.schema, postgres_schema.LOCK_CLASS
            ) if self.chain_form.server_from is not None else None
        try:
            db.execute(f'LISTEN "{server.channel}"')
            self._listening = True
        except psycopg.Error:  # a standby in recovery cannot listen: data_version polls
            self._listening = False

    @property
    def name(self) -> str:
        return self.server.name

    def limit_cache(self, megabytes: int) -> None:
        """The server keeps the cache: nothing to limit on this side."""

    def data_version(self) -> int:
        """A number that changes whenever another connection commits events: notifications
        from other sessions counted; where the store cannot listen, the log's end (polled)."""
        if self._retry_at is not None and not self._reconnect():
            return self._notified
        try:
            if not self._listening:
                return self.last_position()
            self._hear_notifications()
        except _LOST as error:
            if not self._server.lost_by(error):
                raise
            self._lost()
        else:  # (the server's goodbye read, the socket's end may not have been: said here)
            if self._server.lost:
                self._lost()
        return self._notified

    def last_position(self) -> int:
        """As EventStore.last_position. A lost connection is made again first (see
        `reconnecting`); while it cannot be, the last position known (a follower polling it
        sees nothing new until it is back, then goes on from there)."""
        if self._retry_at is None or self._reconnect():
            try:
                self._last_known = super().last_position()
            except _LOST as error:
                if not self._server.lost_by(error):
                    raise
                self._lost()
                if self._retry_at is None:
                    self._last_known = super().last_position()
        return self._last_known

    # -- a lost connection -------------------------------------------------------------------

    @property
    def reconnecting(self) -> bool:
        """Whether the connection to the server was lost and is being made again (followers
        polling `data_version` make it again, waiting longer between tries, up to
        RECONNECT_MOST_S: then they go on from where they were)."""
        return self._retry_at is not None

    def _connected_again_for(self, sql: str) -> bool:
        """Whether the read `sql`, which found the connection lost, may be sent again: it is
        a read (not the server's append) and the connection was made again at once (a store
        already waiting to connect again, or connecting, leaves it failed: the server is not
        asked at every statement, nor the connection made within its own making)."""
        if self._retry_at is not None or not self._reads(sql):
            return False
        self._lost()
        return self._retry_at is None

    def _reads(self, sql: str) -> bool:
        """Whether `sql` is a read: a SELECT, but the server's append."""
        return sql != self._append_call \
            and sql.lstrip()[:6].upper().startswith(("SELECT", "WITH"))

    def _lost(self) -> None:
        if self._retry_at is None:
            self._retry_at = time.monotonic()
            self._retry_wait = RECONNECT_FIRST_S
        self._reconnect()

    def _reconnect(self) -> bool:
        """Connect again if it is time to try (see `reconnecting`); whether connected."""
        assert self._retry_at is not None
        if time.monotonic() < self._retry_at:
            return False
        try:
            self._sa = self._server.connect_again(self._engine, self._sa)
            cast(_ReadingAgain, self._sa).store = self
            self._pid = self._server.connection.info.backend_pid
            self._prepare(False)
        except (psycopg.OperationalError, StoreOpenError):
            self._retry_at = time.monotonic() + self._retry_wait
            self._retry_wait = min(self._retry_wait * 2, RECONNECT_MOST_S)
            return False
        self._retry_at = None
        self._notified += 1  # (what came in while it was lost: followers look again)
        return True

    def _hear_notifications(self) -> None:
        """Count the commits of events other sessions announced since the last look."""
        for notice in self._server.connection.notifies(timeout=0):
            if notice.pid != self._pid:
                self._notified += 1

    # -- writing --------------------------------------------------------------------------

    def _begin_write(self, action: str) -> None:
        """Begin a write transaction holding the store's advisory lock (see the module's
        docstring: writes serialise on it, so commit order is position order). One round trip:
        both statements in one query (the lock's key is our own integer, written in it), or
        queued in a pipeline (which takes one statement a query)."""
        db = self._server
        try:
            if db.pipelining:
                db.execute("BEGIN")
                db.execute("SELECT pg_advisory_xact_lock(%s)", (self._log_lock,))
                if self._heads_wanted:  # (read under the lock, with the log's end: `_heads`)
                    statement = self._sql.stream_heads
                    self._heads_queued = (self._heads_wanted, db.execute(
                        statement.sql, statement.args(orjson.dumps(
                            sorted(self._heads_wanted)).decode())))
            else:
                db.execute(f"BEGIN; SELECT pg_advisory_xact_lock({int(self._log_lock)})")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise

    def append_batch(self, requests: Sequence[AppendRequest]) -> list[AppendResult]:
        """As EventStore.append_batch. One stream's events go in one round trip, the lock held
        by the server alone, which chooses their positions (`postgres_append`). Otherwise in
        two: the lock, the log's end and the streams' heads read together, then the events,
        their links, the stream index and the COMMIT sent together (pipelined; a refused row
        raises at the COMMIT, which the append then rolls back). A value the server cannot
        hold (a NUL character in a stream id, a number past its bigint's range) is refused as
        StoreError."""
        try:
            return self._append_requests(requests)
        except psycopg.DataError as error:
            detail = error.diag.message_detail  # (what the server could not take, if it says)
            raise StoreError(
                f"The append to {self.location} was refused ({first_line(error)}"
                f"{': ' + detail.rstrip('.') if detail else ''}). Nothing was written: change "
                "what it names in the events (their stream, types or ids) and append them "
                "again.") from None

    def _append_requests(self, requests: Sequence[AppendRequest]) -> list[AppendResult]:
        if len(requests) == 1 and requests[0].events and self._append_call is not None:
            self._require_writable("append events")
            prep = prepare(requests[0], self.registry)
            try:
                done = self._append_at_end(prep)
            except psycopg.OperationalError as error:
                done = self._append_again(prep, error)
            if done is not None:
                return [done]
        try:
            with self._server.pipelined():
                self._heads_wanted = ({request.stream_id for request in requests}
                                      if len(requests) > 1 else None)
                try:
                    if len(requests) > 1:
                        return self._append_streamed(requests)
                    return super().append_batch(requests)
                finally:
                    self._heads_wanted = self._heads_queued = None
        except psycopg.OperationalError as error:
            if not self._server.lost_by(error):
                raise
            self._lost()
            raise StoreError(self._lost_append(error)) from None

    def _append_streamed(self, requests: Sequence[AppendRequest]) -> list[AppendResult]:
        """As Appending.append_batch, in a pipeline, its events sent as they are made: the
        lock, the log's end and the streams' heads in one round trip, then STREAMED_REQUESTS
        requests at a time encoded, placed and sent while the server inserts the ones before
        (the client's encoding and the server's inserts, each about half of a batch's time,
        overlap on two cores), then the links, the stream index and the COMMIT."""
        self._require_writable("append events")
        db, sql = self._server, self._sql
        prepared: list[Prepared] = []
        try:
            self._begin_write("append events")
            tail = db.execute(sql.append_tail.sql, sql.append_tail.args()).fetchone()
            assert tail is not None  # (a SELECT of scalar subqueries: one row)
            position, last_time, chain_end, previous = tail
            heads = self._heads({request.stream_id for request in requests})
            position, last_time = position or 0, last_time or 0
            previous = chain.continued_from(position, chain_end, previous)
            first, links, results = 0, bytearray(), []
            streams: dict[str, tuple[Any, ...]] = {}
            # (a request whose version is stale asks whether its events are stored: those this
            # batch sent already are not, so that where its parts begin changes nothing)
            self._stored_before = position
            try:
                for start in range(0, len(requests), STREAMED_REQUESTS):
                    some = [prepare(request, self.registry)
                            for request in requests[start:start + STREAMED_REQUESTS]]
                    prepared += some
                    plan = self._plan(some, position, last_time, previous, heads)
                    results += plan.results
                    streams.update((row[0], row) for row in plan.stream_rows)
                    if not plan.rows:
                        continue
                    db.executemany(sql.insert_event.sql, plan.rows)
                    first = first or plan.rows[0][0]
                    position, last_time = plan.rows[-1][0], plan.rows[-1][7]
                    if plan.links:
                        links += plan.links
                        previous = plan.links[-chain.DIGEST_SIZE:]
            finally:
                self._stored_before = None
            if links:
                db.execute(sql.insert_links.sql, (first, bytes(links)))
            if streams:
                db.executemany(sql.upsert_stream.sql, list(streams.values()))
            db.execute("COMMIT")
        except self._integrity_errors as error:
            db.execute("ROLLBACK")
            prepared += [prepare(request, self.registry) for request in requests[len(prepared):]]
            return self._resolve_integrity_error(prepared, error)
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return results

    def _heads(self, stream_ids: set[str]) -> dict[str, list[Any]]:
        """As Appending._heads; a batch's are read in the round trip of its lock and the
        log's end (queued with them by `_begin_write`)."""
        queued, self._heads_queued = self._heads_queued, None
        if queued is None or queued[0] != stream_ids:
            return super()._heads(stream_ids)
        return {stream_id: [stream_type, version, 0, 0, 0]
                for stream_id, stream_type, version in queued[1].fetchall()}

    def _events_by_ids(self, event_ids: list[str]) -> list[RecordedEvent]:
        """As Reading._events_by_ids, its statement compiled once (each conflicting append
        asks it whether its events are stored already: compiling the select each time cost
        ~300 us of this process's CPU, the prepared statement ~70)."""
        rows = self._server.execute(self._by_ids.sql, self._by_ids.args(event_ids)).fetchall()
        if self._stored_before is not None:  # (a streamed batch's own rows are not stored yet)
            rows = [row for row in rows if row[0] <= self._stored_before]
        return self.decoder.decode_rows(rows)

    def _resolve_integrity_error(self, prepared: list[Prepared],
                                 error: Exception) -> list[AppendResult]:
        """As Appending's, told by the constraint the server names: its message quotes the
        statement refused, whose columns include event_id whichever constraint it was."""
        diagnosis = getattr(error, "diag", None)
        if diagnosis is not None and diagnosis.constraint_name is not None:
            error = psycopg.IntegrityError(diagnosis.message_primary or diagnosis.constraint_name)
        return super()._resolve_integrity_error(prepared, error)

    def _lost_append(self, error: BaseException, after: str = "") -> str:
        return (f"The connection to {self.location} was lost during an append "
                f"({first_line(error)}){after}: whether its events were written is unknown. "
                "Append the same events again with their event ids (a repeat is recognised "
                "and written once), or read the streams to see.")

    def _append_again(self, prep: Prepared, error: psycopg.OperationalError) -> AppendResult:
        """The connection was lost during the append of `prep`: connect again (waiting up to
        2 * RECONNECT_MOST_S) and append the same events, their ids and all, so that they are
        written once whether or not the lost try went in. StoreError if that cannot be."""
        if not self._server.lost_by(error):
            raise error
        self._lost()
        deadline = time.monotonic() + 2 * RECONNECT_MOST_S
        while self._retry_at is not None and time.monotonic() < deadline:
            time.sleep(max(0.0, self._retry_at - time.monotonic()))
            self._reconnect()
        done = self._append_at_end(prep) if self._retry_at is None else None
        if done is None:
            raise StoreError(self._lost_append(
                error, f" and not made again within {2 * RECONNECT_MOST_S:g} s")) from None
        return done

    def _append_at_end(self, prep: Prepared) -> AppendResult | None:
        """Append one stream's events at the log's end, the server choosing their positions
        (see `postgres_append`); None when the server leaves it to the plain append (the
        chain does not reach the log's end)."""
        assert self._append_call is not None  # (asked only where the store has one)
        try:
            found = self._server.execute(self._append_call, postgres_append.parameters(
                self._log_lock, prep)).fetchone()
        except self._integrity_errors as error:
            return self._resolve_integrity_error([prep], error)[0]
        if found is None:
            raise StoreError(f"The append to {self.location} got no answer from the server.")
        answer = postgres_append.Answer(*found)
        version = answer.head_version or 0
        if answer.written:
            recorded, _ = place(prep, answer.end_position, version, answer.end_timestamp, [])
            return AppendResult(prep.stream_id, prep.stream_type, version + len(recorded),
                                tuple(recorded))
        if answer.head_type not in (None, prep.stream_type):
            raise StreamTypeMismatchError(prep.stream_id, prep.stream_type, answer.head_type)
        if answer.stored is None:  # (the chain does not reach the log's end)
            return None
        retried = self._stored_retry(prep) if answer.stored else None
        if retried is None:
            assert prep.expected_version is not None  # (only an expected version is refused)
            raise ConcurrencyError(prep.stream_id, prep.expected_version, version)
        return retried

    def save_checkpoint(self, name: str, position: int) -> None:
        self._require_writable("save a checkpoint")
        table = schema.process_checkpoints
        insert = postgresql.insert(table).values(name=name, position=position,
                                                 updated_at=now_micros())
        insert = insert.on_conflict_do_update(index_elements=[table.c.name], set_={
            "position": sa.func.greatest(table.c.position, insert.excluded.position),
            "updated_at": insert.excluded.updated_at})
        self._write("save a checkpoint", insert)

    def set_meta(self, key: str, value: str) -> None:
        if key in ("schema", "schema_version"):
            raise ValueError(f"store_meta's {key!r} is the store's own marker.")
        self._require_writable("record store information")
        insert = postgresql.insert(schema.store_meta).values(key=key, value=value)
        self._write("record store information",
                    insert.on_conflict_do_update(index_elements=[schema.store_meta.c.key],
                                                 set_={"value": insert.excluded.value}))

    def _write(self, action: str, statement: sa.Executable) -> None:
        self._begin_write(action)
        try:
            self._sa.execute(statement)
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise

    @contextmanager
    def read_snapshot(self) -> Iterator[None]:
        self._db.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        try:
            yield
        finally:
            self._db.execute("COMMIT")

    # -- what `check` asks ------------------------------------------------------------------

    def sqlite_problems(self, limit: int = 20) -> list[str]:
        """None: the server keeps its own pages (SQLite's integrity check has no equivalent
        here; the log's own checks and its hash chain still run)."""
        return []

    def schema_objects(self) -> SchemaObjects:
        """The store_meta entries, and the schema's tables, indexes and triggers (a trigger
        with its SQL as the server gives it back); the markers are store_meta's."""
        meta = self.meta()
        marked = meta.get("schema") == schema.SCHEMA_NAME
        objects = {(kind, name): (table, sql) for kind, name, table, sql in self._server.execute(
            postgres_schema.OBJECTS, (self.server.schema,) * 3).fetchall()}
        return SchemaObjects(schema.APPLICATION_ID if marked else 0,
                             int(meta.get("schema_version", "0")), meta, objects)

    def schema_triggers(self) -> dict[str, str]:
        return postgres_schema.triggers(self.server.schema)

    def index_columns(self, index: str) -> list[str]:
        return [name for (name,) in self._server.execute(
            postgres_schema.INDEX_COLUMNS, (f'"{self.server.schema}"."{index}"',)).fetchall()]

    # -- branching -------------------------------------------------------------------------

    def branch(self, target: str | Path, position: int, *,
               progress: Callable[[int, int], None] | None = None) -> None:
        """As EventStore.branch: the branch is a new store (a file, or a server URL) holding the
        events 1..`position`, copied through the stores' interface."""
        postgres_copy.branch(self, target, position, progress)
