"""The read models of a store on a PostgreSQL server: in a schema beside the store's events.

For a store in the schema S, its read models (projection_state, each projection's versioned
tables, the sagas' instances and their steps' commands) live in the schema `S_readmodels` of the
same database, behind the interface of a read-model file (ServerReadModels is a
ReadModelDatabase): the engine's statements are SQLAlchemy Core compiled for PostgreSQL, and
its few plain ones (with `?`) run on a connection answering as sqlite3's does. What differs:

- Every write transaction first takes the schema's advisory lock, as SQLite's BEGIN IMMEDIATE
  takes a file's write lock: a checkpoint read inside the transaction is the last one committed,
  so a chunk's rows and its checkpoint commit together exactly once, whoever else writes.
- Which runner advances what (`claim`): a session-level advisory lock per projection or saga,
  not a lease row with an expiry. The server releases it the moment its holder's connection
  ends: a killed runner's socket closes at once, and a machine gone silent is found out by the
  server's TCP keepalives (set short on this connection, ~10 s). A lease row would need a thread
  renewing it, a takeover delay of its whole expiry, and fencing: a holder paused past its
  expiry would wake up and write after another took over. The lock lives on the very connection
  that writes the rows, so a holder that lost it has lost the connection its writes need.
- A runner that goes silent on a live machine (a stopped process: SIGSTOP, a debugger, a frozen
  VM) keeps its socket, whose kernel still answers keepalives: it keeps its locks until it wakes
  (`bench/run.py postgres` measures it: takeover_s). Having the server end a silent runner's
  session (idle_session_timeout with a heartbeat) would hand its work over in seconds, but is
  not safe: a saga step's commands go to the store on another connection, which the lock does
  not fence, so the woken runner finished its step after the new holder had run it too (tried:
  one reservation too many against one runner alone).
- A connection the server dropped (its session ended, the server restarted) is made again at
  the next statement outside a transaction (a pass's BEGIN, a claim, a read), its locks taken
  again; work in hand in a transaction then raises ReadModelsReconnectedError, which the runner
  retries as it does a lock held too long. A lock another runner took meanwhile is not taken
  back: that pass stops there, and the next one advances what this runner holds.
- Searching a read model's rows looks for each word typed in the row's columns (ILIKE), since
  SQLite's FTS5 index has no equivalent here. What only SQLite keeps (the timeline's counts, the
  full-text index of events) stays in the SQLite file in the cache folder (`local`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from typing import Any, cast, overload

import psycopg
import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import GenericFunction

from explorer.projections import database
from explorer.projections.database import (
    ReadModelDatabase,
    ReadModelsMissingError,
    metadata,
    read_model_path,
)
from explorer.projections.presence import RunnerPresence
from explorer.projections.search import WORD_PARTS, SearchIndex
from explorer.projections.versioned import key_order
from explorer.store import postgres_schema  # noqa: F401  (Integer is BIGINT on the server)
from explorer.store.compiled import Columns
from explorer.store.damage import GuardedConnection
from explorer.store.errors import StoreLockedError, StoreOpenError
from explorer.store.postgres_location import (
    READ_MODELS_SUFFIX,
    ServerConnection,
    ServerLocation,
    first_line,
)

log = logging.getLogger(__name__)
SCHEMA_SUFFIX = READ_MODELS_SUFFIX  # (no store's own schema: explorer.store.postgres_schema)
LOCK_CLASS = 0x45565852  # "EVXR", the read-model file's application id: the first lock key
KEEPALIVE = {"tcp_keepalives_idle": "5", "tcp_keepalives_interval": "2",
             "tcp_keepalives_count": "3"}
"""A runner's machine that goes silent is dropped by the server (and its locks released) within
about 5 + 2 * 3 seconds."""

meta = sa.Table("readmodel_meta", metadata,
                sa.Column("key", sa.Text, primary_key=True),
                sa.Column("value", sa.Text, nullable=False))


class group_concat(GenericFunction[str]):  # noqa: N801  (SQLite's name, as sa.func names it)
    """SQLite's group_concat, which find-when reads (explorer.projections.switches): on the
    server, string_agg of the values as text (in no particular order, as on SQLite)."""

    type = sa.Text()
    inherit_cache = True


@compiles(group_concat, "postgresql")
def _string_agg(element: group_concat, compiler: Any, **kw: Any) -> str:
    return f"string_agg(CAST({compiler.process(element.clauses, **kw)} AS TEXT), ',')"


class ReadModelsReconnectedError(StoreLockedError):
    """The connection to the read models' server was lost in a transaction (or another runner
    took over meanwhile); it is connected again: try the work again (a transient failure: the
    runner retries it as it does a lock held too long)."""


class ReadModelsChangedError(StoreLockedError):
    """A statement of a transaction was refused because another runner changed a table's
    columns since the server prepared it (`_plan_outdated`); the transaction is rolled back and
    the statements forgotten: try the work again (a transient failure, as a lock held long)."""


def _plan_outdated(error: BaseException) -> bool:
    """Whether `error` is the server refusing a statement it prepared before the columns of its
    rows changed ('cached plan must not change result type': see `_forget_plans`), raw or
    through SQLAlchemy; not a projection's fault. (The server's words: one that says them in
    another language is taken for another refusal.)"""
    cause = error.orig if isinstance(error, sa.exc.DBAPIError) else error
    return isinstance(cause, psycopg.errors.FeatureNotSupported) \
        and "cached plan" in str(cause)


def _forget_plans(connection: psycopg.Connection[Any]) -> None:
    """Drop the statements the server prepared for this connection (psycopg prepares one sent
    often, from its fifth time; it forgets its own with them). A prepared statement whose rows'
    columns changed since, as another engine's ALTER gives a table made before its texts
    COLLATE "C" (`ServerReadModels._order_texts_by_bytes`), is refused at each run ('cached
    plan must not change result type', feature_not_supported) until then: a reader open
    meanwhile (a window's, another runner's) failed at each read of that table."""
    connection.execute("DEALLOCATE ALL")


class _PlannedAgain(sa.Connection):
    """The engine's connection of a ServerReadModels: a statement of its own (outside a
    transaction) refused as an outdated prepared statement (`_plan_outdated`) is sent again
    once the prepared statements are dropped (`_forget_plans`)."""

    def execute(self, statement: Any, *args: Any, **kwargs: Any) -> Any:
        driver = self.connection.driver_connection
        alone = isinstance(driver, psycopg.Connection) \
            and driver.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
        try:
            return super().execute(statement, *args, **kwargs)
        except sa.exc.NotSupportedError as error:
            if not alone or not _plan_outdated(error):
                raise
        _forget_plans(cast(psycopg.Connection[Any], driver))
        return super().execute(statement, *args, **kwargs)


class _QmarkConnection(ServerConnection):
    """A ServerConnection that also takes sqlite3's `?` placeholders (the engine's plain
    statements; compiled statements already carry `%s`), and has a lost connection made again
    (`reconnect`) when a statement outside a transaction finds it lost, then sends it again; so
    too, once the prepared statements are dropped, one refused as an outdated prepared
    statement (`_plan_outdated`, `_forget_plans`)."""

    reconnect: Callable[[], None]
    sa_connection = _PlannedAgain

    def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> psycopg.Cursor[Any]:
        sql = sql if parameters is None else _format_placeholders(sql)
        alone = not self.in_transaction  # (a statement of its own, or a BEGIN: sent again)
        try:
            return super().execute(sql, parameters)
        except psycopg.OperationalError as error:
            if not alone or not self.lost_by(error):
                raise
            lost = True
        except psycopg.errors.FeatureNotSupported as error:
            if not alone or not _plan_outdated(error):
                raise
            lost = False
        if lost:
            self.reconnect()
        else:
            _forget_plans(self.connection)
        return super().execute(sql, parameters)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> psycopg.Cursor[Any]:
        return super().executemany(_format_placeholders(sql), list(rows))


def _format_placeholders(sql: str) -> str:
    """sqlite3's `?` placeholders as psycopg's `%s`: those outside quoted text alone (a regular
    expression written into a statement, as a text column's comparison with a number has, keeps
    its `?`)."""
    if "?" not in sql:
        return sql
    parts = sql.split("'")  # (a quote doubled in a text opens and closes an empty part)
    parts[::2] = [part.replace("?", "%s") for part in parts[::2]]
    return "'".join(parts)


class ServerReadModels(ReadModelDatabase):
    """The read models of the store at `store_url` (a ServerLocation's display URL), one
    connection, on one thread at a time. Read-only, a schema not made yet raises
    StoreOpenError."""

    indexed_search = False

    def __init__(self, store_url: str, *, read_only: bool = False) -> None:
        store = ServerLocation.parse(store_url)
        self.store_url = store_url
        self.schema = store.schema + SCHEMA_SUFFIX
        self.read_only = read_only
        self.path = read_model_path(store_url, True)  # the local file (`local`)
        self._local: ReadModelDatabase | None = None
        self._held: set[str] = set()
        self._presence: RunnerPresence | None = None  # the runner whose lock this one holds
        self._presence_written = False  # its row (written once: see announce)
        self.role = store.url.username or "you connect as"
        self.engine = ServerLocation(store.url, self.schema).engine(read_only=read_only,
                                                                    settings=KEEPALIVE)
        self.connection, self._server = _QmarkConnection.of_engine(self.engine)
        self._server.reconnect = self._reconnect
        try:
            self.db = cast(GuardedConnection, self._server)
            self._prepare()
        except psycopg.errors.InsufficientPrivilege as error:
            refused = self.not_granted(error, "use it")
            self.close()
            raise refused from None
        except psycopg.Error as error:
            self.close()
            raise StoreOpenError(f"Cannot open the read models of {store_url}: "
                                 f"{str(error).strip()}") from None
        except BaseException:
            self.close()
            raise

    def _prepare(self) -> None:
        """Make the schema, or empty it if it holds another schema version (derived data)."""
        exists = self._server.execute("SELECT to_regclass(%s)",
                                      (f'"{self.schema}".readmodel_meta',)).fetchone()
        if self.read_only:
            if exists is None or exists[0] is None:
                raise ReadModelsMissingError(f"No read models for {self.store_url} yet; run "
                                             "the projections first.")
            return
        with self.transaction() as db:
            found = db.execute("SELECT to_regclass(%s)",
                               (f'"{self.schema}".readmodel_meta',)).fetchone()
            version = None
            if found is not None and found[0] is not None:
                row = db.execute("SELECT value FROM readmodel_meta WHERE key = 'schema_version'"
                                 ).fetchone()
                version = None if row is None else row[0]
            if version != str(database.SCHEMA_VERSION):
                self._make_schema_empty(db)
                metadata.create_all(self.connection, tables=[database.projection_state, meta])
                db.execute("INSERT INTO readmodel_meta VALUES ('schema_version', %s)",
                           (str(database.SCHEMA_VERSION),))
            # (made since: a schema of this version made before it gets it here)
            metadata.create_all(self.connection, tables=[database.projection_resets,
                                                          database.projection_feeds,
                                                          database.runner_presence])

    def _make_schema_empty(self, db: GuardedConnection) -> None:
        """Make the read models' schema, or drop every table of it (read models are derived):
        a schema an administrator made and granted serves a role that may not make one."""
        found = db.execute("SELECT to_regnamespace(%s)", (f'"{self.schema}"',)).fetchone()
        if found is None or found[0] is None:
            try:
                db.execute(f'CREATE SCHEMA "{self.schema}"')
            except psycopg.errors.InsufficientPrivilege:
                raise StoreOpenError(
                    f"The read models of {self.store_url} live in the schema {self.schema}, "
                    "which this role may not make: grant it CREATE on the database, or make "
                    f"the schema for it (CREATE SCHEMA {self.schema} AUTHORIZATION ROLE)."
                ) from None
            return
        tables = [name for (name,) in db.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = %s ORDER BY tablename",
            (self.schema,))]
        if tables and meta.name not in tables:  # (ours always have it): another's, kept
            raise StoreOpenError(
                f"The read models of {self.store_url} live in the schema {self.schema}, which "
                f"holds tables that are not read models' ({', '.join(tables[:8])}"
                f"{' ...' if len(tables) > 8 else ''}). Nothing was changed. Move those tables "
                "to another schema, or keep the store in a schema of another name.")
        for name in tables:  # our own schema: its tables are ours to drop
            db.execute(f'DROP TABLE IF EXISTS "{self.schema}"."{name}" CASCADE')

    @property
    def location(self) -> str:
        return f"the read models of {self.store_url}"

    def prepare_tables(self, tables: Sequence[sa.Table]) -> dict[str, str]:
        """As ReadModelDatabase.prepare_tables; tables another role owns, which this one may
        not change (an index is made by its table's owner alone), refused saying what to do."""
        try:
            changes = super().prepare_tables(tables)
            self._order_texts_by_bytes(tables)
            return changes
        except sa.exc.ProgrammingError as error:
            if not isinstance(error.orig, psycopg.errors.InsufficientPrivilege):
                raise
            self._roll_back()
            raise self.not_granted(error.orig, "change its tables") from None

    def _order_texts_by_bytes(self, tables: Sequence[sa.Table]) -> None:
        """Give the text columns of tables made before their columns were COLLATE "C"
        (postgres_schema) that collation: rows are listed in key order by their bytes
        (in_byte_order), which an index on a column of the database's collation does not serve
        (every current row sorted for each page). Once a table: its indexes made again. A
        table a view reads (a team's report) is kept as it is: the server refuses to change the
        type of a column a view reads, and the order stays right (in_byte_order), only slower."""
        for table in tables:
            declared = {c.name for c in table.c if isinstance(c.type, sa.String)
                        and not isinstance(c.type, sa.Enum) and c.type.collation is None}
            if not declared:
                continue
            name = f'"{self.schema}"."{table.name}"'  # (our own names, never user input)
            found = self.db.execute(
                "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
                "WHERE attrelid = to_regclass(%s) AND attnum > 0 AND NOT attisdropped "
                "AND attcollation <> 0 AND attcollation <> '\"C\"'::regcollation",
                (name,)).fetchall()
            changed = [f'ALTER COLUMN "{column}" TYPE {kind} COLLATE "C"'
                       for column, kind in found if column in declared]
            if not changed:
                continue
            self.db.execute("SAVEPOINT texts_in_byte_order")
            try:
                self.db.execute(f"ALTER TABLE {name} {', '.join(changed)}")
            except psycopg.errors.FeatureNotSupported as error:  # a view reads a column
                self.db.execute("ROLLBACK TO SAVEPOINT texts_in_byte_order")
                log.warning("%s kept its texts in the database's collation (%s): its pages are "
                            "sorted as they are read.", table.name, first_line(error))
            self.db.execute("RELEASE SAVEPOINT texts_in_byte_order")

    def not_granted(self, error: psycopg.Error, action: str) -> StoreOpenError:
        """The error for a role that may not `action` the read models' schema another role
        made (a team whose roles share the store): what to grant, or to open it read-only. A
        superuser's role is never to be granted (its members may SET ROLE to it): the schema,
        derived data, is then dropped and made again by a role of the team."""
        owner, superuser, role = "ITS_OWNER", False, self.role
        with suppress(psycopg.Error):  # (its owner, and the role, named as the server says:
            # a URL without a user connects as PGUSER's or the login's)
            found = self._server.execute(
                "SELECT n.nspowner::regrole::text, r.rolsuper, current_user::regrole::text "
                "FROM pg_namespace AS n JOIN pg_roles AS r ON r.oid = n.nspowner "
                "WHERE n.nspname = %s", (self.schema,)).fetchone()
            if found is not None:
                owner, superuser, role = found[0], bool(found[1]), found[2]
        if superuser:
            share = (f"Its owner, {owner}, is a superuser, whose role is not to be granted (a "
                     "member may become superuser): as a superuser, drop the schema (DROP SCHEMA "
                     f"{self.schema} CASCADE; read models are derived from the events), then "
                     f"run the projections as {role}, which makes them again; for the "
                     f"other roles of the team to share them, grant them {role}.")
        else:
            share = ("For the roles that run the projections to share them, let the owner of "
                     "that schema and its tables (or a superuser) grant its role: GRANT "
                     f"{owner} TO {role}.")
        return StoreOpenError(
            f"The read models of {self.store_url} live in the schema {self.schema}, which "
            f"another role made: the role {role} may not {action} ({first_line(error)}). "
            f"Nothing was changed. {share} Or open the store read-only (`run --read-only`, "
            "`project --read-only`, File > Open Read-Only): read models of your own are then "
            "kept in your cache folder.")

    def _reconnect(self) -> None:
        """Connect again (the server dropped the connection) and take again the locks of what
        this runner advanced; ReadModelsReconnectedError if another runner holds some now."""
        self.connection = self._server.connect_again(self.engine, self.connection)
        held, self._held = self._held, set()
        self._hold_presence()
        taken = self.claim(held)
        if taken != held:
            raise ReadModelsReconnectedError(
                f"The connection to {self.location} was lost and made again; another runner "
                f"advances {', '.join(sorted(held - taken))} now.")

    @overload
    def execute(self, statement: sa.Select[*Columns],
                parameters: dict[str, Any] | None = None) -> sa.Result[*Columns]: ...

    @overload
    def execute(self, statement: sa.Executable,
                parameters: dict[str, Any] | None = None) -> sa.Result[*tuple[Any, ...]]: ...

    def execute(self, statement: sa.Executable,
                parameters: dict[str, Any] | None = None) -> sa.Result[*tuple[Any, ...]]:
        """As ReadModelDatabase.execute; a statement outside a transaction that finds the
        connection lost is sent again once it is made again."""
        alone = not self._server.in_transaction
        try:
            return super().execute(statement, parameters)
        except sa.exc.OperationalError as error:
            if not alone or not self._server.lost_by(error):
                raise
        self._reconnect()
        return super().execute(statement, parameters)

    def close(self) -> None:
        try:
            if self._local is not None:
                self._local.close()
        finally:
            self.connection.close()
            self.engine.dispose()

    def failed_itself(self, error: BaseException) -> bool:
        return super().failed_itself(error) or isinstance(
            error, (psycopg.OperationalError, sa.exc.OperationalError)) or _plan_outdated(error)

    @contextmanager
    def transaction(self) -> Iterator[GuardedConnection]:
        """A write transaction holding the schema's write lock (see the module docstring):
        committed if the block ends normally, rolled back otherwise."""
        db = self._server
        db.execute("BEGIN")
        try:
            if not self.read_only:
                db.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))",
                           (LOCK_CLASS, self.schema))
            yield self.db
            db.execute("COMMIT")
        except (psycopg.OperationalError, sa.exc.OperationalError) as error:
            if not db.lost_by(error):
                self._roll_back()
                raise
            self._reconnect()
            raise ReadModelsReconnectedError(
                f"The connection to {self.location} was lost in a transaction "
                f"({first_line(error)}); it is connected again: the work goes "
                "on from the checkpoints as stored (a chunk and its checkpoint commit together, "
                "or neither).") from None
        except BaseException as error:
            self._roll_back()  # (psycopg forgets its prepared statements with it)
            if _plan_outdated(error):
                raise ReadModelsChangedError(
                    f"A table of {self.location} was changed by another runner as this one "
                    f"worked ({first_line(error)}); the work goes on from the checkpoints as "
                    "stored.") from None
            raise

    def _roll_back(self) -> None:
        if not self.connection.closed and self._server.in_transaction:
            self._server.execute("ROLLBACK")

    def _primary_key(self, inspector: sa.Inspector, name: str) -> list[str]:
        """As ReadModelDatabase's, read from the catalog here: SQLAlchemy's inspector asks it
        with an integer that is BIGINT on these connections (postgres_schema), which the
        server's generate_subscripts does not take."""
        return [column for (column,) in self.db.execute(
            "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
            "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = to_regclass(%s) AND "
            "i.indisprimary ORDER BY array_position(i.indkey::int2[], a.attnum)",
            (f'"{self.schema}"."{name}"',))]

    def drop_indexes(self, tables: Sequence[sa.Table]) -> bool:
        """A server keeps a table's indexes through a rebuild (none dropped: False)."""
        return False

    def limit_cache(self, megabytes: int) -> None:
        """The server keeps the cache: nothing to limit on this side."""

    def search_index(self, table: sa.Table) -> SearchIndex:
        return _ServerSearch(table, self.db)

    def search_rows(self, query: sa.Select[*tuple[Any, ...]], table: sa.Table, text: str,
                    where: Mapping[str, Any] | None = None) -> sa.Select[*tuple[Any, ...]]:
        """The rows of `query` having, for each word typed, a column holding its letters and
        digits in that order (case ignored), in key order."""
        columns = [table.c[name] for name in (*table.info["keys"], *table.info["values"])]
        for word in text.split():
            parts = WORD_PARTS.findall(word)
            if parts:
                pattern = "%" + "%".join(parts) + "%"
                query = query.where(sa.or_(*[_ignoring_case(c).ilike(pattern)
                                             for c in columns]))
        return query.order_by(*key_order(table))

    def local(self) -> ReadModelDatabase | None:
        """The SQLite file in the cache folder, for what only SQLite keeps (the timeline's
        counts); None when opened read-only and nothing made it yet."""
        if self._local is None:
            if self.read_only and not self.path.exists():
                return None
            self._local = ReadModelDatabase(self.path, read_only=self.read_only)
        return self._local

    # -- which runner advances what --------------------------------------------------------

    def claim(self, names: Iterable[str]) -> frozenset[str]:
        """Of `names` (projections' and sagas'), those this connection advances: those it
        held already, and those no other session holds now (their locks taken here)."""
        for name in names:
            if name in self._held:
                continue
            taken = self._server.execute("SELECT pg_try_advisory_lock(%s, hashtext(%s))",
                                         (LOCK_CLASS, self.lock_name(name))).fetchone()
            if taken is not None and taken[0]:
                self._held.add(name)
        return frozenset(self._held)

    def release(self, names: Iterable[str]) -> None:
        """Let others advance these (e.g. the sagas, when this runner stops running them)."""
        for name in names:
            if name in self._held:
                self._server.execute("SELECT pg_advisory_unlock(%s, hashtext(%s))",
                                     (LOCK_CLASS, self.lock_name(name)))
                self._held.discard(name)

    def lock_name(self, name: str) -> str:
        """The text whose hash is the second key of `name`'s advisory lock."""
        return f"{self.schema}/{name}"

    # -- which runners keep these read models (explorer.projections.presence) --------------

    def announce(self, me: RunnerPresence) -> None:
        """As a file's, once; and hold `me`'s own advisory lock (the server drops it the moment
        this connection ends: a killed runner is found gone at once, wherever it ran, so its row
        needs no refreshing)."""
        if self._presence is None or self._presence.id != me.id:
            self._presence = me
            self._hold_presence()
            self._presence_written = False
        if not self._presence_written:
            super().announce(me)
            self._presence_written = True

    @contextmanager
    def _without_waiting(self) -> Iterator[None]:
        yield  # (written once, and only rows of runners gone taken out: waited for as any)

    def _hold_presence(self) -> None:
        if self._presence is not None:
            self._server.execute("SELECT pg_advisory_lock(%s, hashtext(%s))",
                                 (LOCK_CLASS, self.lock_name(f"runner:{self._presence.id}")))

    def withdraw(self, me: RunnerPresence) -> None:
        super().withdraw(me)
        if self._presence is not None and self._presence.id == me.id:
            self._server.execute("SELECT pg_advisory_unlock(%s, hashtext(%s))",
                                 (LOCK_CLASS, self.lock_name(f"runner:{me.id}")))
            self._presence = None

    def runs(self, other: RunnerPresence, *, seen_at: int) -> bool:
        """Whether another session holds its runner's advisory lock."""
        key = (LOCK_CLASS, self.lock_name(f"runner:{other.id}"))
        taken = self._server.execute("SELECT pg_try_advisory_lock(%s, hashtext(%s))",
                                     key).fetchone()
        if taken is not None and taken[0]:  # (no one held it: its runner is gone)
            self._server.execute("SELECT pg_advisory_unlock(%s, hashtext(%s))", key)
            return False
        return True


def _ignoring_case(column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    """A column as text whose letters ILIKE compares ignoring their case: in the database's
    collation, as SQLite's search index folds every letter (a text column's own, COLLATE "C"
    since 12bb8db, folds ASCII letters alone: 'élodie' found no Élodie, 'москва' no Москва)."""
    return sa.cast(column, sa.Text).collate("default")


class _ServerSearch(SearchIndex):
    """No index to keep: a search on the server reads the rows (ServerReadModels.search_rows)."""

    def exists(self) -> bool:
        return True

    def drop(self) -> None:
        pass

    def build(self) -> int:
        return 0

    def apply(self, changes: Mapping[tuple[Any, ...], Mapping[str, Any] | None]) -> None:
        pass
