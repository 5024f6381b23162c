"""Errors raised by the event store. Each message says what happened, to what, and what to do."""

from __future__ import annotations

import shlex
from pathlib import Path


class StoreError(Exception):
    """Base class for every error the event store raises."""


class StoreOpenError(StoreError):
    """The store file could not be opened (missing, unreadable, a folder, ...)."""


class StoreMissingError(StoreOpenError):
    """No store is at the path (nothing there, or an empty file): only creating makes one.

    `empty` is True when a file is there but holds nothing (0 bytes, or SQLite without tables).
    """

    def __init__(self, message: str, path: str, *, empty: bool = False) -> None:
        super().__init__(message)
        self.path = path
        self.empty = empty


class NotAStoreError(StoreOpenError):
    """The file is not an Event Explorer store: not SQLite, another schema, or a newer one.

    The file was inspected read-only and has not been changed. `damaged` is True when it may be a
    store SQLite can no longer read as one (worth a `salvage`).
    """

    def __init__(self, message: str, *, damaged: bool = False) -> None:
        super().__init__(message)
        self.damaged = damaged


class StoreLockedError(StoreOpenError):
    """Another program holds a lock on the store for longer than the busy timeout."""


class DiskFullError(StoreError):
    """A write found the disk (or the quota) holding a store or its read models full: SQLite
    rolled it back, so nothing of it was written and what was there before is unchanged.
    `detail`: what SQLite said."""

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.detail = detail

    @classmethod
    def of_new_file(cls, path: Path, detail: str) -> DiskFullError:
        """The error for a new file (a copy, an import, a bundle) whose disk was found full
        while it was written, and which was removed."""
        return cls(f"The disk holding {path.parent} is full (SQLite: {detail}), so {path} could "
                   "not be written; what was written of it was removed. Free some space there, "
                   "or choose a folder on another disk, then try again.", detail)


class ReadOnlyStoreError(StoreError):
    """A write was attempted on a store opened read-only (or that cannot be written: `reason`)."""

    def __init__(self, path: str, action: str = "write to it", reason: str | None = None) -> None:
        if reason:
            message = f"Event Explorer cannot {action}: {reason}"
        else:
            message = (f"The store {path} is open read-only, so Event Explorer cannot {action}. "
                       "Open it again without read-only mode to make changes.")
        super().__init__(message)
        self.path = path
        self.reason = reason


LIBRARY_SCHEMA = "eventsourcing-library"
"""The `schema` of an eventsourcing library store's meta (EventStore.meta)."""


def damage_advice(location: str, *, library: bool = False) -> str:
    """What to do with a damaged store at `location`: `check` and `salvage` for ours; for an
    eventsourcing library file (`library`), which salvage does not read, `copy`, and a backup
    for what it cannot read."""
    where = shlex.quote(location)
    if library:
        return (f"`event-explorer-cli copy {where} NEW.evstore` copies its events into a new "
                "store if SQLite can still read them (salvage reads Event Explorer's own stores "
                "only); if it stops at the damage, only a backup of the file has the rest.")
    return (f"`event-explorer-cli check {where}` lists every problem, and "
            f"`event-explorer-cli salvage {where} NEW.evstore` copies every event that can still "
            "be read into a new store.")


class StoreDamagedError(StoreError):
    """SQLite found the store's file damaged ("malformed", "not a database"); `library`: the
    file is an eventsourcing library store's.

    Once seen, the store is never written again by this process (see `sqlite.mark_damaged`).
    """

    def __init__(self, path: str, detail: str, *, library: bool = False) -> None:
        self.path = path
        self.detail = detail
        self.library = library
        self.advice = damage_advice(path, library=library)
        super().__init__(f"The store {path} is damaged (SQLite: {detail}). Nothing more will be "
                         f"written to it. {self.advice}")


class ConcurrencyError(StoreError):
    """The stream's version is not the one the writer expected; nothing was written."""

    def __init__(self, stream_id: str, expected: int, actual: int) -> None:
        expected_text = "a new stream" if expected == 0 else f"version {expected}"
        actual_text = "does not exist yet" if actual == 0 else f"is at version {actual}"
        super().__init__(
            f"Stream {stream_id} changed meanwhile: expected {expected_text}, "
            f"but it {actual_text}. "
            "Nothing was written; reload the stream and try again."
        )
        self.stream_id = stream_id
        self.expected = expected
        self.actual = actual


class StreamTypeMismatchError(StoreError):
    """Events of one stream type were appended to a stream of another type."""

    def __init__(self, stream_id: str, expected_type: str, actual_type: str) -> None:
        super().__init__(
            f"Stream {stream_id} has the type {actual_type}, not {expected_type}. "
            f"Choose the {actual_type} type for it, or use another stream id."
        )
        self.stream_id = stream_id
        self.expected_type = expected_type
        self.actual_type = actual_type


class DuplicateEventError(StoreError):
    """Some of the events' ids are already stored elsewhere, so the batch is not a plain retry."""

    def __init__(self, stream_id: str, event_ids: list[str]) -> None:
        shown = ", ".join(event_ids[:3]) + (" ..." if len(event_ids) > 3 else "")
        super().__init__(
            f"Events with ids {shown} are already stored, but not as this exact append to "
            f"{stream_id}. Nothing was written; give new events new ids."
        )
        self.stream_id = stream_id
        self.event_ids = event_ids


class StreamNotFoundError(StoreError):
    """No stream has the requested id."""

    def __init__(self, stream_id: str, *, not_yet: bool = False,
                 first_position: int | None = None, first_time: str | None = None) -> None:
        if not_yet and first_position is not None and first_time is not None:
            message = (f"Stream {stream_id} did not exist yet at that time: its first event is "
                       f"at {first_time} (position {first_position:,}); choose that time or a "
                       "later one.")
        elif not_yet and first_position is not None:
            message = (f"Stream {stream_id} did not exist yet at that point: its first event is "
                       f"at position {first_position:,}; choose that position or a later one.")
        elif not_yet:
            message = f"Stream {stream_id} did not exist yet at that point; choose a later one."
        else:
            message = f"No stream named {stream_id!r} is in this store; list them with `streams`."
        super().__init__(message)
        self.stream_id = stream_id


class EventNotFoundError(StoreError):
    """No event has the requested position or id."""

    def __init__(self, what: str) -> None:
        super().__init__(f"No event with {what} is in this store.")


class UnreadableJsonError(StoreError):
    """A filter's JSON function met stored text that is not JSON (a row written around the
    store): the filter cannot be evaluated over it; the rest reads as usual."""


def is_driver_error(error: BaseException) -> bool:
    """An error of a database driver that reached the caller untranslated (SQLite's, SQLAlchemy's
    around a driver, PostgreSQL's psycopg, told by its module so that it is not imported here):
    about the store, never a fault in a system's code."""
    import sqlite3

    from sqlalchemy.exc import DBAPIError

    return (isinstance(error, sqlite3.Error | DBAPIError)
            or type(error).__module__.partition(".")[0] == "psycopg")



SHUTDOWN_STATES = frozenset({"57P01", "57P02", "57P03", "57P04", "57P05"})
"""PostgreSQL's SQLSTATEs for a session it ended: by an administrator, a crash, a shutdown,
its database dropped, or idle too long."""


def is_lost_state(state: str | None) -> bool:
    """Whether a PostgreSQL error's SQLSTATE says the connection is gone: none at all (the
    client's own error: no answer from the server), the connection-exception class (08, but a
    protocol violation, 08P01, only refuses the statement) or the server ending the session."""
    return state is None or state.startswith("08") and state != "08P01" \
        or state in SHUTDOWN_STATES


def connection_lost(error: BaseException) -> bool:
    """Whether `error` means the store's server could not be reached or its connection was lost
    (PostgreSQL's OperationalError whose SQLSTATE says so, raw, through SQLAlchemy, or behind
    the store's own error that said so): trouble that passes once the server is back, unlike a
    refused statement, a full disk, a statement timeout or a damaged file. Told by the driver's
    module, so that it is not imported here."""
    from sqlalchemy.exc import DBAPIError

    seen: BaseException | None = error
    for _ in range(8):  # (a chain of causes is short)
        if seen is None:
            return False
        if any(kind.__name__ == "OperationalError" and kind.__module__.startswith("psycopg")
               for kind in type(seen).__mro__):
            return is_lost_state(getattr(seen, "sqlstate", None))
        if isinstance(seen, DBAPIError) and seen.orig is not None:
            if seen.connection_invalidated:
                return True
            seen = seen.orig
        else:
            seen = seen.__cause__ or seen.__context__
    return False


CANCELLED_STATES = frozenset({"57014", "55P03"})
"""PostgreSQL's SQLSTATEs for a statement it cancelled without any fault of the statement: its
statement_timeout (or a cancel request) and its lock_timeout."""


def server_failure(error: BaseException, doing: str) -> str | None:
    """A user's message for `error` when it is a PostgreSQL server's failure of the work `doing`
    names, no fault of that work: the connection lost (a restart, a stop, the session ended by an
    administrator) or a statement the server cancelled (a statement_timeout or lock_timeout set
    for the role, the database or in the URL's options); None for any other error. Told by the
    driver's SQLSTATE, as `connection_lost`, so that the driver is not imported here."""
    from sqlalchemy.exc import DBAPIError

    if not is_driver_error(error):
        return None
    cause = error.orig if isinstance(error, DBAPIError) and error.orig is not None else error
    said = (str(cause).strip().splitlines() or [type(cause).__name__])[0].rstrip(".")
    if connection_lost(cause):
        return (f"The connection to the PostgreSQL server was lost while {doing} ran ({said}): "
                "the server was stopped or restarted, or the session was ended by an "
                "administrator. Check that the server runs, then run the command again.")
    if getattr(cause, "sqlstate", None) in CANCELLED_STATES:
        return (f"The PostgreSQL server cancelled a statement of {doing} ({said}): a "
                "statement_timeout or lock_timeout set for your role, the database or in the "
                "URL's options is shorter than this work needs. Raise it (adding "
                "&options=-c%20statement_timeout%3D0 to the URL lifts it for Event Explorer "
                "alone), or, for a listing, ask for less (a narrower filter, a --limit).")
    return None
