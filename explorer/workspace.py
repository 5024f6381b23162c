"""Where stores live and how the app opens them: with the demo domain's event registry.

The window and the command line both open stores through here, so both read events the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import platformdirs

from explorer.demo import DEMO_DOMAIN
from explorer.demo.seed import recent_start, seed_store
from explorer.store.event_store import EventStore

APP_NAME = "event-explorer"
DEMO_STORE_NAME = "demo.evstore"
DEMO_ORDERS = 2000
DEMO_DAYS = 90
"""The demo store: this many orders over this many days, ending a day before it is made."""


def open_store(path: str | Path, *, read_only: bool = False, create: bool = False,
               progress: Callable[[int, int], None] | None = None,
               verify: bool = True) -> EventStore:
    """Open a store (or, with `create`, make one) that reads events with the demo domain's
    schemas and upcasters. See EventStore.open."""
    return EventStore.open(path, read_only=read_only, registry=DEMO_DOMAIN.registry, create=create,
                           progress=progress, verify=verify)


def default_demo_store() -> Path:
    """The demo store the app opens when it is given none, in the user's data folder."""
    return platformdirs.user_data_path(APP_NAME, appauthor=False) / DEMO_STORE_NAME


def ensure_demo_store(path: Path | None = None, *, orders: int = DEMO_ORDERS,
                      progress: Callable[[int], None] | None = None) -> Path:
    """The demo store's path, creating and seeding it first if it is missing or empty."""
    path = path or default_demo_store()
    path.parent.mkdir(parents=True, exist_ok=True)
    with open_store(path, create=True) as store:
        if store.last_position() == 0:
            seed_store(store, orders=orders, start=recent_start(DEMO_DAYS), days=DEMO_DAYS,
                       progress=progress)
    return path
