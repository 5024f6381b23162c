"""The content filter on a server matches what it matches on SQLite: the same cases
(tests/store/test_content_filter.py) run on a PostgreSQL store."""

from __future__ import annotations

import pytest

from explorer.store import EventStore, NewEvent
from tests.store.test_content_filter import (  # noqa: F401 (fixtures)
    MATCHES,
    NUMERIC_TEXT_MATCHES,
    amounts,
    filled,
    matching,
)


@pytest.fixture
def store(store_url):
    with EventStore.open(store_url) as opened:
        yield opened


@pytest.mark.parametrize(("text", "positions"), MATCHES)
def test_filters_match_on_a_server_as_on_sqlite(filled, text, positions):  # noqa: F811
    assert matching(filled, text) == positions


@pytest.mark.parametrize(("text", "positions"), NUMERIC_TEXT_MATCHES)
def test_numeric_text_compares_with_numbers_on_a_server_as_on_sqlite(amounts, text,  # noqa: F811
                                                                     positions):
    assert matching(amounts, text) == positions


def test_texts_sort_by_their_bytes_whatever_the_servers_locale(store):
    for stream_id in ("b", "B", "a", "_x", "Z"):
        store.append(stream_id, "T", [NewEvent("E", {})])
    assert [s.stream_id for s in store.list_streams()] == ["B", "Z", "_x", "a", "b"]
