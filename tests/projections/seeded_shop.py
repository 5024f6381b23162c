"""A seeded shop store for a test module: seeded once into a file (module scope), then copied
for each test, or seeded the same on the server (the `backend` fixture chooses); another
store put in its place; its timeline's counts made by a process killed midway."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from explorer.demo.seed import seed_store
from explorer.demo.system import SHOP
from explorer.store.records import NewEvent
from explorer.system.workspace import open_store

ROOT = Path(__file__).resolve().parents[2]


def shop_store_fixtures(name: str, orders: int, days: int) -> tuple[Callable[..., Any], ...]:
    """The module's `seeded` (the seeded file) and `shop_store` (the test's store, open)
    fixtures: assign them to those names in the module."""

    @pytest.fixture(scope="module")
    def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
        path = tmp_path_factory.mktemp(name) / "shop.evstore"
        with open_store(path, system=SHOP, create=True) as store:
            seed_store(store, orders=orders, days=days)
        return path

    @pytest.fixture
    def shop_store(backend: str, seeded: Path, store_location: Any) -> Iterator[Any]:
        """A copy of the seeded store file, or the same seed on the server."""
        if backend == "sqlite":
            store_location.write_bytes(seeded.read_bytes())
        else:
            with open_store(store_location, system=SHOP, create=True) as store:
                seed_store(store, orders=orders, days=days)
        with open_store(store_location, system=SHOP) as store:
            yield store

    return seeded, shop_store


def replace_with_another_store(shop_store: Any, backend: str, tmp_path: Path,
                               request: pytest.FixtureRequest, event_type: str) -> Any:
    """Close `shop_store` and put another store where it was (a file replaced, or the server's
    schema dropped and made again), holding one `event_type` event; its location."""
    location = shop_store.location
    shop_store.close()
    if backend == "postgres":
        schema = request.getfixturevalue("schema_name")
        request.getfixturevalue("admin").execute(f'DROP SCHEMA "{schema}" CASCADE')
    other = tmp_path / "other.evstore" if backend == "sqlite" else location
    with open_store(other, system=SHOP, create=True) as store:
        store.append("note_1", "Note", [NewEvent(event_type, {"text": "only here"})])
    if backend == "sqlite":
        other.replace(location)
    return location


COUNT_SCRIPT = """
import sys
from explorer.projections import ReadModelDatabase, read_model_path
from explorer.projections.timeline_counts import TimelineCounts
from explorer.store import EventStore
store = EventStore.open(sys.argv[1])
counts = TimelineCounts(ReadModelDatabase(read_model_path(store.location, False)))
def report_then_wait() -> bool:  # after 4 batches, wait (for the kill) until told to go on
    checkpoint = counts.db.execute(
        "SELECT " + sys.argv[2] + " FROM timeline_state").fetchone()[0] if counts.exists() else 0
    print(checkpoint, flush=True)
    return checkpoint >= 160 and sys.stdin.readline() == "stop\\n"
counts.catch_up(store, batch=40, should_stop=report_then_wait)
"""


def count_killed_midway(store: Any, checkpoint: str) -> None:
    """The timeline's counts of `store` made in another process, killed (-9) once it has
    committed a few batches of 40 events, its `checkpoint` column (of timeline_state) past
    160."""
    child = subprocess.Popen([sys.executable, "-c", COUNT_SCRIPT, store.location, checkpoint],
                             cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    for _ in range(5):  # let it commit a few batches, then kill it without warning
        assert child.stdout.readline()
    child.send_signal(signal.SIGKILL)
    child.wait()
