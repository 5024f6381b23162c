"""Shared fixtures: temporary stores with the demo domain, and a command service on them; those
of tests/systems/cases.py (a test taking `system` runs for each example system); and those of
tests/backends.py (where stores live: a file, or a schema on a PostgreSQL server started for
the tests; a module marked `backends` runs on both)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
pytest.register_assert_rewrite("tests.store.contract")

from explorer.demo import DEMO_DOMAIN  # noqa: E402
from explorer.demo.system import SHOP  # noqa: E402
from explorer.domain import CommandService  # noqa: E402
from explorer.store import EventStore  # noqa: E402
from explorer.system.workspace import open_store  # noqa: E402
from tests.backends import (  # noqa: E402,F401
    MARKERS,
    admin,
    backend,
    locations,
    parametrize_backends,
    postgres_server,
    private_cache,
    schema_name,
    shared_location,
    store_location,
    store_url,
)
from tests.systems.cases import case, system, system_service, system_store  # noqa: E402,F401


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "test.evstore"


def pytest_configure(config: pytest.Config) -> None:
    for marker in MARKERS:
        config.addinivalue_line("markers", marker)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    parametrize_backends(metafunc)


@pytest.fixture
def store(store_location: str | Path) -> EventStore:  # noqa: F811  (the fixture)
    """The test's store (a file, or on the server for a module run on both backends)."""
    opened = open_store(store_location, system=SHOP, create=True)
    yield opened
    opened.close()


@pytest.fixture
def service(store: EventStore) -> CommandService:
    return CommandService(store, DEMO_DOMAIN, issued_by="test")


ADDRESS = {"street": "1 Main St", "city": "Springfield", "postal_code": "12345", "country": "US"}
LINE = {"product_id": "prod_123", "quantity": 2, "price": 29.99}


def place_order(service: CommandService, order_id: str = "order_789", **changes) -> None:
    data = {"customer_id": "cust_456", "items": [LINE], "total": 59.98, **changes}
    service.execute("Order", order_id, "place", data)
