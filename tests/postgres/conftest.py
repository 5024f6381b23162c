"""The PostgreSQL server the tests of this folder run against: one throwaway cluster a session
(bench/postgres_server.py), each test with a schema of its own.

A run that cannot start the server fails; only EVENT_EXPLORER_NO_POSTGRES=1 skips these tests,
and the skips say why.
"""

from __future__ import annotations

import itertools
import os

import psycopg
import pytest

from bench.postgres_server import OPT_OUT, PostgresServer

_schemas = itertools.count(1)


@pytest.fixture(scope="session")
def postgres_server():
    if os.environ.get(OPT_OUT) == "1":
        pytest.skip(f"{OPT_OUT}=1: the PostgreSQL tests were opted out of")
    server = PostgresServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def schema_name() -> str:
    return f"t{next(_schemas)}"


@pytest.fixture
def store_url(postgres_server, schema_name) -> str:
    """A URL of a store in a schema no other test uses (made by the first write-mode open)."""
    return postgres_server.url(schema=schema_name)


@pytest.fixture
def admin(postgres_server):
    """A superuser's connection to the tests' database, for what the tests do around stores."""
    with psycopg.connect(postgres_server.url(), autocommit=True) as connection:
        yield connection


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    """A server store's read models live in the user's cache folder: the test's own here."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
