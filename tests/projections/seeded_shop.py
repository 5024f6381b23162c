"""A seeded shop store for a test module: seeded once into a file (module scope), then copied
for each test, or seeded the same on the server (the `backend` fixture chooses); and another
store put in its place."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from explorer.demo.seed import seed_store
from explorer.demo.system import SHOP
from explorer.store.records import NewEvent
from explorer.system.workspace import open_store


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
