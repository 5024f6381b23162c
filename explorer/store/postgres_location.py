"""Where a store on a PostgreSQL server is, and the one connection a PostgresStore uses.

A store on a server is named by a URL, `postgresql://user@host:port/database?schema=NAME`
(schema `event_explorer` when not given; other query parameters are libpq's, `sslmode` say).
The password is libpq's business: from the URL, the environment (PGPASSWORD), `.pgpass` or a
service file. It stays inside the process: the store's `location`, which the window, the
settings, recent lists and logs show and keep, is the URL without it, and a password given in a
URL is kept in memory for the process's later connections (explorer.store.postgres_url).
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit

import orjson
import psycopg
import psycopg.errors
import sqlalchemy as sa
from sqlalchemy.pool import StaticPool

from explorer.store.errors import StoreOpenError, is_lost_state
from explorer.store.postgres_url import (
    SCHEMES,
    PasswordRefusedError,
    asked_password,
    unencoded_at,
    with_remembered_password,
    without_password,
)

DEFAULT_SCHEMA = "event_explorer"
READ_MODELS_SUFFIX = "_readmodels"
"""The read models of the store in the schema S live in the schema S_readmodels
(explorer.projections.postgres_readmodels): no store's own schema."""
OWN_OPTIONS = ("schema",)
"""The options of a store's URL that are Event Explorer's; the others are libpq's."""
_SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,47}")
CONNECT_TIMEOUT_S = 10


RECONNECT_FIRST_S = 0.2
RECONNECT_MOST_S = 5.0
"""A lost connection to the server is tried again after RECONNECT_FIRST_S, then twice as long
each time, at most RECONNECT_MOST_S apart (our store's and the library's on a server)."""


@dataclass(frozen=True, slots=True)
class ServerLocation:
    """A parsed store URL: how to connect (password included, never shown) and the schema."""

    url: sa.URL
    schema: str

    @classmethod
    def parse(cls, target: str) -> ServerLocation:
        """The location a URL names; StoreOpenError saying what is wrong with a bad one (before
        any connection is tried)."""
        unread = ("Special characters in the user or password must be percent-encoded (@ as "
                  "%40, : as %3A, / as %2F, % as %25, # as %23, ? as %3F).")
        if unencoded_at(target):
            raise StoreOpenError(f"The URL {_without_credentials_text(target)} could not be read "
                                 f"(more than one @ before its host). {unread}")
        try:
            url = sa.make_url(target)
        except sa.exc.ArgumentError:
            raise StoreOpenError(
                f"{_without_password_text(target)} is not a database URL. Write it as "
                "postgresql://USER@HOST:PORT/DATABASE?schema=NAME.") from None
        except ValueError as error:  # (its port not a number: an unencoded @, : or / before it)
            raise StoreOpenError(
                f"The URL {_without_credentials_text(target)} could not be read "
                f"({_why_unread(error)}). {unread}") from None
        if url.drivername not in SCHEMES:
            raise StoreOpenError(
                f"{url.drivername}:// is not a database this version opens: give a "
                "postgresql://USER@HOST:PORT/DATABASE URL or the path of a store file.")
        if not url.database:
            raise StoreOpenError(
                f"{without_password(url)} names no database. Add it after the host: "
                "postgresql://USER@HOST:PORT/DATABASE.")
        url = _checked_query(url)
        for name, value in parse_qsl(urlsplit(target).query, keep_blank_values=True):
            if not value:  # (SQLAlchemy drops it: ?schema= was the default schema)
                leave = (f"(?schema=NAME), or leave it out (the schema is then {DEFAULT_SCHEMA})"
                         if name == "schema" else "or leave it out")
                raise StoreOpenError(f"The URL {without_password(url)} gives ?{name}= without a "
                                     f"value: give one {leave}.")
        schema = url.query.get("schema", DEFAULT_SCHEMA)
        assert isinstance(schema, str)  # (each option once: _checked_query)
        if not _SCHEMA_NAME.fullmatch(schema):
            raise StoreOpenError(
                f"{schema!r} cannot be a store's schema: Event Explorer names a store's schema "
                "in lower case, unquoted, as PostgreSQL folds names (letters a-z, digits and _, "
                "not starting with a digit, at most 48 characters, leaving room for its "
                f"NAME{READ_MODELS_SUFFIX} schema), e.g. ?schema={_suggested(schema)}.")
        return cls(with_remembered_password(url), schema)

    @property
    def display(self) -> str:
        """The URL as shown and remembered: without the password, with the schema."""
        return without_password(self.url.update_query_dict({"schema": self.schema}))

    @property
    def name(self) -> str:
        """A short name for titles: the database and the schema."""
        return f"{self.url.database}/{self.schema}"

    @property
    def channel(self) -> str:
        """The LISTEN/NOTIFY channel the store's events table announces commits on."""
        return f"event_explorer:{self.schema}"

    def connect(self, *, read_only: bool,
                settings: Mapping[str, str] | None = None) -> psycopg.Connection[Any]:
        """A new connection in autocommit mode (transactions are begun explicitly), its
        search path the store's schema; with `read_only`, every transaction is read-only;
        `settings` are the server's settings for the session (given when connecting, so a
        connection made again has them too)."""
        url = with_remembered_password(self.url)
        # (READ COMMITTED whatever the database's default: each statement of an append sees
        # every commit before the lock it took was granted; see the module `postgres`)
        session = {"search_path": self.schema, "default_transaction_isolation": "read\\ committed",
                   **({"default_transaction_read_only": "on"} if read_only else {}),
                   **(settings or {})}
        options = " ".join(f"-c {name}={value}" for name, value in session.items())
        extra = {key: value for key, value in url.query.items() if key != "schema"}
        if "options" in extra:  # (the URL's own server settings, before the store's)
            options = f"{extra.pop('options')} {options}"
        keywords: dict[str, Any] = {
            "host": url.host, "port": url.port, "user": url.username, "password": url.password,
            "dbname": url.database, "connect_timeout": CONNECT_TIMEOUT_S,
            "application_name": "event-explorer", **extra}
        try:
            return psycopg.connect(autocommit=True, options=options,
                                   **{k: v for k, v in keywords.items() if v is not None})
        except psycopg.Error as error:  # (a bad option's value, say: ProgrammingError)
            if url.password is None and "no password supplied" in str(error) \
                    and asked_password(url) is not None:  # asked, like psql
                return self.connect(read_only=read_only, settings=settings)
            if _wants_a_password(error):
                raise PasswordRefusedError(
                    f"Cannot connect to {self.display}: {first_line(error)}. Give the password "
                    "(in PGPASSWORD, ~/.pgpass or when asked; a URL's password is never kept).",
                    location=self.display, reason=first_line(error)) from None
            raise StoreOpenError(
                f"Cannot connect to {self.display}: {first_line(error)}. Check that the server "
                "runs, the host, port, user and database, and the password (from PGPASSWORD or "
                "~/.pgpass; a URL's password is never kept).") from None

    def engine(self, *, read_only: bool, settings: Mapping[str, str] | None = None) -> sa.Engine:
        """An engine with one connection, made by `connect` (with its options), compiling with
        positional `%s` parameters (the hot statements run on the DBAPI cursor, as on
        SQLite)."""
        # Transactions are begun and ended explicitly (BEGIN ... COMMIT on the connection), so
        # SQLAlchemy must neither begin one implicitly nor roll one back when it is returned.
        return sa.create_engine("postgresql+psycopg://", paramstyle="format",
                                creator=lambda: self.connect(read_only=read_only,
                                                             settings=settings),
                                poolclass=StaticPool, isolation_level="AUTOCOMMIT",
                                pool_reset_on_return=None)


class ServerConnection:
    """A psycopg connection answering what the store's parts ask of their DBAPI connection
    (sqlite3's `execute`, `executemany`, `in_transaction`): the hot statements, compiled for
    PostgreSQL, run on it unchanged."""

    text_factory: Any = str  # what `check` sets on SQLite; the server hands over text as it is
    sa_connection: type[sa.Connection] = sa.Connection
    """The class of the engine's connection it answers under (`engine.connect()`'s)."""

    def __init__(self, connection: psycopg.Connection[Any]) -> None:
        self.connection = connection
        self._pipeline: psycopg.Pipeline | None = None

    @classmethod
    def of_engine(cls, engine: sa.Engine) -> tuple[sa.Connection, Self]:
        """The engine's (one) connection, and one of these on the psycopg connection under it;
        the engine disposed if it cannot connect."""
        try:
            connection = cls.sa_connection(engine)
        except BaseException:
            engine.dispose()
            raise
        driver = connection.connection.driver_connection
        if not isinstance(driver, psycopg.Connection):
            connection.close()
            raise TypeError(f"not a psycopg connection: {driver!r}")
        return connection, cls(driver)

    def connect_again(self, engine: sa.Engine, lost: sa.Connection) -> sa.Connection:
        """After `lost` (the engine's connection, under this one) was lost: let it go (not
        back to the pool) and connect anew, this object now answering on the new connection;
        the engine's new connection (psycopg's error if it cannot connect)."""
        with suppress(Exception):
            lost.invalidate()
        engine.dispose()
        connection, fresh = self.of_engine(engine)
        self.connection = fresh.connection
        return connection

    @property
    def lost(self) -> bool:
        """Whether the server is known to have gone (a statement failed on a broken
        connection, or the server's goodbye was read)."""
        connection = self.connection
        return connection.broken or connection.closed \
            or connection.pgconn.status != psycopg.pq.ConnStatus.OK

    def lost_by(self, error: BaseException) -> bool:
        """Whether `error`, raised by a statement (raw, or through SQLAlchemy), means the
        connection is gone: psycopg knows it is (`lost`); or the error is the client's own (no
        SQLSTATE) with a statement left in progress (the socket found closed before libpq
        read the server's goodbye: the connection looks open, a statement still running); or
        the server's connection-exception class (08, but a protocol violation, 08P01, only
        refuses the statement) or its ending of the session (57P01-57P05). A statement the
        server or the client refused (too many parameters, say), a pipeline aborted by one, a
        lock not available, a statement cancelled: not lost."""
        if self.lost:
            return True
        cause = error.orig if isinstance(error, sa.exc.DBAPIError) else error
        if not isinstance(cause, psycopg.OperationalError) \
                or isinstance(cause, psycopg.errors.PipelineAborted):
            return False
        state = cause.sqlstate
        if state is None:
            return bool(self.connection.info.transaction_status
                        == psycopg.pq.TransactionStatus.ACTIVE)
        return is_lost_state(state)

    @contextmanager
    def pipelined(self) -> Iterator[None]:
        """Statements queued and sent together (psycopg's pipeline mode): a round trip only
        where a result is read, and at the end of a transaction (COMMIT or ROLLBACK), which
        waits for every statement before it, so a refused one raises there."""
        with self.connection.pipeline() as pipeline:
            self._pipeline = pipeline
            try:
                yield
            finally:
                self._pipeline = None

    @property
    def pipelining(self) -> bool:
        return self._pipeline is not None

    def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> psycopg.Cursor[Any]:
        if self._pipeline is not None and sql == "ROLLBACK":
            # A refused statement may have raised before the COMMIT (its result read while
            # later ones were queued): the pipeline then drops what is sent until a sync.
            with suppress(psycopg.Error):  # (that error, raised already)
                self._pipeline.sync()
        cursor = self.connection.execute(sql, parameters)
        if self._pipeline is not None and sql in ("COMMIT", "ROLLBACK"):
            self._pipeline.sync()
        return cursor

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> psycopg.Cursor[Any]:
        """As sqlite3's; many rows of a plain INSERT go as one statement (its JSON form, the rows
        one JSON text: psycopg's executemany costs ~30 us a row)."""
        bulk = json_form(sql) if len(rows) > 1 else None
        if bulk is not None:
            return self.connection.execute(bulk, (orjson.dumps(rows).decode(),))
        cursor = self.connection.cursor()
        cursor.executemany(sql, rows)
        return cursor

    @property
    def in_transaction(self) -> bool:
        return self.connection.info.transaction_status != psycopg.pq.TransactionStatus.IDLE


_PLAIN_INSERT = re.compile(
    r"(INSERT INTO \S+ \([^)]*\)) VALUES \((%s::[^,()]+(?:, %s::[^,()]+)*)\)")
_COLLATION = re.compile(r' COLLATE "[^"]*"$')


@functools.cache
def json_form(sql: str) -> str | None:
    """`INSERT INTO t (a, b) VALUES (%s::T, %s::U)` as `INSERT INTO t (a, b) SELECT (r ->>
    0)::T, (r ->> 1)::U FROM jsonb_array_elements(%s::jsonb) AS r`: the same rows from one JSON
    text, an array a row. None for any other statement (one with ON CONFLICT, say, whose rows
    could meet each other, or a parameter without its type). (The rows were a column an array
    each, unnested: psycopg dumps arrays item by item in Python, ~3 us of this process's CPU an
    event of a batch, where orjson takes ~0.5 and the server's jsonb ~1 more than its unnest.)"""
    found = _PLAIN_INSERT.fullmatch(sql)
    if found is None:
        return None
    columns = ", ".join(f"(r ->> {n}){_COLLATION.sub('', cast).removeprefix('%s')}"
                        for n, cast in enumerate(found.group(2).split(", ")))
    return f"{found.group(1)} SELECT {columns} FROM jsonb_array_elements(%s::jsonb) AS r"


@functools.cache
def libpq_options() -> frozenset[str]:
    """The connection options libpq (the one psycopg runs on) takes."""
    return frozenset(option.keyword.decode() for option in psycopg.pq.Conninfo.get_defaults())


def _checked_query(url: sa.URL) -> sa.URL:
    """The URL, its query's options each given once and each known (ours or libpq's); a
    password given as an option is the URL's password (so that it is never shown)."""
    shown = without_password(url.difference_update_query(["password"]))
    for name, value in url.query.items():
        if not isinstance(value, str):
            times = "twice" if len(value) == 2 else f"{len(value)} times"
            given = "" if name == "password" else \
                " (" + " and ".join(f"?{name}={one}" for one in value) + ")"
            raise StoreOpenError(f"The URL {shown} gives {name} {times}{given}: give it once.")
    known = set(OWN_OPTIONS) | libpq_options()
    unknown = [name for name in url.query if name not in known]
    if unknown:
        said = ", ".join(f"{name!r}{_did_you_mean(name, known)}" for name in unknown)
        raise StoreOpenError(
            f"Unknown option{'s' if len(unknown) > 1 else ''} {said} in the store's URL "
            f"{shown}: it takes ?schema=NAME and libpq's connection options (sslmode, "
            "connect_timeout, ...), joined by &.")
    password = url.query.get("password")
    if isinstance(password, str):  # (once: refused above if given more often)
        url = url.difference_update_query(["password"])
        if url.password is None:
            url = url.set(password=password)
    return url


def _did_you_mean(name: str, known: set[str]) -> str:
    close = difflib.get_close_matches(name.lower(), sorted(known), n=1, cutoff=0.6)
    return f" (did you mean ?{close[0]}=?)" if close else ""


def _suggested(schema: str) -> str:
    """A schema name Event Explorer takes, made from one it does not."""
    name = re.sub(r"[^a-z0-9_]", "_", schema.lower()).lstrip("0123456789")[:48]
    return name or DEFAULT_SCHEMA


def _why_unread(error: ValueError) -> str:
    """What was wrong with a URL SQLAlchemy could not read (its port: int()'s words, which are
    not repeated: what it took for the port may be a password's end)."""
    if str(error).startswith("invalid literal for int()"):
        return "what follows its host is not a port number"
    return "its form is not USER:PASSWORD@HOST:PORT/DATABASE"


def _without_credentials_text(target: str) -> str:
    """A text that could not be read as a URL, with all between the scheme and its last @ (the
    user and password) hidden."""
    scheme, found, rest = target.partition("://")
    if not found or "@" not in rest:
        return target
    return f"{scheme}://...@{rest.rpartition('@')[2]}"


def _without_password_text(target: str) -> str:
    """A text that is not a valid URL, with anything between : and @ after the scheme hidden."""
    return re.sub(r"(://[^/:@]*):[^@/]*@", r"\1@", target)


def _wants_a_password(error: psycopg.Error) -> bool:
    """Whether the server refused the connection for want of a (right) password."""
    text = str(error)
    return "no password supplied" in text or "password authentication failed" in text


def first_line(error: BaseException) -> str:
    """The first line of an error's message (the server's say several), without its full stop."""
    return (str(error).strip().splitlines() or [type(error).__name__])[0].rstrip(".")
