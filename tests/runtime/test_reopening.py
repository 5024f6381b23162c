"""A runner kept going across a lost connection to its store's server (explorer.runtime.
reopening): opened again until the server is back, the loss and the return said once each; a
first open that fails, or an error that is not a lost connection, is raised."""

from __future__ import annotations

import threading

import psycopg
import pytest
import sqlalchemy as sa

from explorer.runtime import reopening
from explorer.runtime.reopening import keep_running
from explorer.store import StoreError, StoreOpenError
from explorer.store.errors import connection_lost


class FakeRunner:
    def __init__(self, log: list[str]) -> None:
        self.log = log

    def __enter__(self) -> FakeRunner:
        self.log.append("open")
        return self

    def __exit__(self, *exc: object) -> None:
        self.log.append("close")


def lost_connection() -> StoreOpenError:
    """The store's refusal to connect, behind which psycopg's error is (as postgres_location
    raises it: from None, the context kept)."""
    try:
        try:
            raise psycopg.OperationalError("connection refused")
        except psycopg.OperationalError:
            raise StoreOpenError("Cannot connect to the server") from None
    except StoreOpenError as error:
        return error


def test_errors_that_mean_the_server_went_away_are_told_from_others():
    wrapped = sa.exc.OperationalError("SELECT 1", None, psycopg.OperationalError("lost"))
    assert connection_lost(psycopg.OperationalError("the connection is closed"))
    assert connection_lost(psycopg.errors.AdminShutdown("terminating connection"))
    assert connection_lost(wrapped) and connection_lost(lost_connection())
    assert not connection_lost(StoreError("damaged"))
    for lasting in (psycopg.errors.DiskFull("no space"), psycopg.errors.QueryCanceled("timeout"),
                    psycopg.errors.LockNotAvailable("lock")):  # (OperationalErrors too)
        assert not connection_lost(lasting)
        assert not connection_lost(sa.exc.OperationalError("SELECT 1", None, lasting))
    assert not connection_lost(psycopg.ProgrammingError("syntax error"))
    import sqlite3
    assert not connection_lost(sqlite3.OperationalError("database is locked"))


def test_a_lost_connection_is_waited_out_and_said_once(monkeypatch):
    monkeypatch.setattr(reopening, "REOPEN_FIRST_S", 0.001)
    log: list[str] = []
    attempts = iter([None, lost_connection(), lost_connection()])  # works, then two refusals

    def open_runner() -> FakeRunner:
        refusal = next(attempts, None)
        if refusal is not None:
            raise refusal
        return FakeRunner(log)

    works = iter([psycopg.OperationalError("the connection is lost"), None])

    def work(runner: FakeRunner) -> None:
        failure = next(works)
        log.append("work")
        if failure is not None:
            raise failure

    keep_running(open_runner, work, threading.Event(),
                 on_lost=lambda error: log.append(f"lost: {error}"),
                 on_back=lambda: log.append("back"))
    assert log == ["open", "work", "close", "lost: the connection is lost", "open", "back", "work",
                   "close"]


def test_a_first_open_that_fails_or_another_error_is_raised():
    with pytest.raises(StoreOpenError):
        keep_running(lambda: (_ for _ in ()).throw(lost_connection()), lambda runner: None,
                     threading.Event(), on_lost=print, on_back=print)
    log: list[str] = []

    def work(runner: FakeRunner) -> None:
        raise StoreError("the store is damaged")

    with pytest.raises(StoreError, match="damaged"):
        keep_running(lambda: FakeRunner(log), work, threading.Event(), on_lost=print,
                     on_back=print)
    assert log == ["open", "close"]


def test_a_stop_ends_the_wait_for_the_server():
    stop = threading.Event()
    log: list[str] = []

    def work(runner: FakeRunner) -> None:
        stop.set()  # (Ctrl+C while the server is away)
        raise psycopg.OperationalError("the connection is lost")

    keep_running(lambda: FakeRunner(log), work, stop, on_lost=lambda error: log.append("lost"),
                 on_back=lambda: log.append("back"))
    assert log == ["open", "close", "lost"]
