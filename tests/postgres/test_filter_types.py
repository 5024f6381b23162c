"""The JSON types a field holds, sampled on a server, named as on SQLite: the same tests
(tests/store/test_filter_types.py) on a PostgreSQL store."""

from __future__ import annotations

import pytest

from explorer.store import EventStore
from tests.store.test_filter_types import (  # noqa: F401 (a fixture, and tests collected here)
    filled,
    test_only_the_newest_events_of_each_type_are_sampled,
    test_the_store_names_the_json_types_a_field_holds_and_where,
)


@pytest.fixture
def store(store_url):
    with EventStore.open(store_url) as opened:
        yield opened
