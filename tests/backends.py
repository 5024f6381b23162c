"""Where the tests' stores live: a file (SQLite) or a schema on a PostgreSQL server.

The server is one throwaway cluster a session (bench/postgres_server.py), started the first
time a test asks for it, so a run of tests that only use files starts none. Each test on it gets
a schema of its own (cheap: CREATE SCHEMA on the first write-mode open), never a database.

A module marked `pytestmark = pytest.mark.backends` runs each of its tests that takes
`store_location` (or `backend`, or the `store` built on it) twice, with the ids `sqlite` and
`postgres`; a test about files (paths, -wal files, bytes, permissions) is marked
`@pytest.mark.sqlite_only("why")` and its `postgres` case is skipped, saying why. Elsewhere
`backend` is `sqlite`.

A run that cannot start the server fails; only EVENT_EXPLORER_NO_POSTGRES=1 skips the server's
cases, and the skips say so.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from bench.postgres_server import OPT_OUT, PostgresServer

BACKENDS = ("sqlite", "postgres")
MARKERS = (
    "backends: run the module's tests that take store_location on SQLite and on PostgreSQL",
    "sqlite_only(reason): a test about files, run on SQLite only (tests.backends)",
)
_schemas = itertools.count(1)
_shared: set[str] = set()


def parametrize_backends(metafunc: pytest.Metafunc) -> None:
    """`backend` as sqlite and postgres for a test of a module marked `backends` (the postgres
    case skipped, with its reason, for a test marked `sqlite_only`)."""
    if "backend" not in metafunc.fixturenames or \
            metafunc.definition.get_closest_marker("backends") is None:
        return
    only = metafunc.definition.get_closest_marker("sqlite_only")
    server = pytest.param("postgres", id="postgres")
    if only is not None:
        if not only.args:
            raise pytest.UsageError(f"{metafunc.definition.nodeid}: sqlite_only needs a reason")
        server = pytest.param("postgres", id="postgres",
                              marks=pytest.mark.skip(reason=f"SQLite only: {only.args[0]}"))
    metafunc.parametrize("backend", [pytest.param("sqlite", id="sqlite"), server],
                         indirect=True)


def a_postgres_server() -> Iterator[PostgresServer]:
    """A throwaway cluster, started, and stopped when the fixture built on this ends; the test
    skipped, saying so, where the PostgreSQL tests were opted out of."""
    if os.environ.get(OPT_OUT) == "1":
        pytest.skip(f"{OPT_OUT}=1: the PostgreSQL tests were opted out of")
    server = PostgresServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    yield from a_postgres_server()


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    """Where this test's stores live: `sqlite` (files) unless its module runs on both."""
    return str(getattr(request, "param", "sqlite"))


@pytest.fixture
def schema_name() -> str:
    return f"t{next(_schemas)}"


@pytest.fixture
def store_url(postgres_server: PostgresServer, schema_name: str) -> str:
    """A URL of a store in a schema no other test uses (made by the first write-mode open)."""
    return postgres_server.url(schema=schema_name)


@pytest.fixture
def admin(postgres_server: PostgresServer) -> Iterator[psycopg.Connection]:
    """A superuser's connection to the tests' database, for what the tests do around stores."""
    with psycopg.connect(postgres_server.url(), autocommit=True) as connection:
        yield connection


@pytest.fixture
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A server store keeps what only SQLite keeps (read models opened read-only, the timeline's
    counts, the full-text index) in the user's cache folder: the test's own here."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


@pytest.fixture
def locations(backend: str, tmp_path: Path,
              request: pytest.FixtureRequest) -> Callable[[str], str | Path]:
    """Makes the location of a new store named `name`: a file in the test's folder, or a URL
    of a schema of its own on the server (the test's schema, then `_name`)."""
    if backend == "sqlite":
        return lambda name: tmp_path / f"{name}.evstore"
    server = request.getfixturevalue("postgres_server")
    schema = request.getfixturevalue("schema_name")
    request.getfixturevalue("private_cache")
    return lambda name: server.url(schema=f"{schema}_{name}")


@pytest.fixture
def store_location(backend: str, store_path: Path,
                   request: pytest.FixtureRequest) -> str | Path:
    """The test's store: `store_path` on SQLite, a schema of its own on PostgreSQL."""
    if backend == "sqlite":
        return store_path
    request.getfixturevalue("private_cache")
    return str(request.getfixturevalue("store_url"))


Make = Callable[[str], object]


@pytest.fixture
def shared_location(backend: str, tmp_path_factory: pytest.TempPathFactory,
                    request: pytest.FixtureRequest) -> Callable[[str, Make], str]:
    """`shared_location(NAME, make)`: the location of a store the tests that name it share,
    made by `make(location)` the first time it is asked for in the session (a file in a folder
    of the session's, or the schema `shared_NAME` on the server)."""
    server = None
    if backend == "postgres":
        server = request.getfixturevalue("postgres_server")
        request.getfixturevalue("private_cache")

    def shared(name: str, make: Make) -> str:
        if server is not None:
            location = server.url(schema=f"shared_{name}")
        else:
            folder = tmp_path_factory.getbasetemp() / "shared" / name
            location = str(folder / f"{name}.evstore")
        if location not in _shared:
            if server is None:
                folder.mkdir(parents=True, exist_ok=True)
            make(location)
            _shared.add(location)
        return location
    return shared
