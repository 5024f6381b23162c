"""A text holding a NUL character (pasted into the window's console, say) looked up in a store on
a server is refused, saying so: psycopg refuses such a text before sending it, and its error
reached the window as it was ('(psycopg.DataError) PostgreSQL text fields cannot contain NUL
(0x00) bytes', with the SQL statement), where a store file finds nothing. An append of one keeps
its own refusal (tests/postgres/test_server_links.py)."""

from __future__ import annotations

import pytest

from explorer.store import EventStore, NewEvent, StoreError

LOOKUPS = ["stream_head", "stream_info", "read_stream", "event_by_id", "events_by_correlation"]


@pytest.mark.parametrize("lookup", LOOKUPS)
def test_a_lookup_of_a_text_holding_a_nul_is_refused_saying_so(store_url, lookup):
    with EventStore.open(store_url) as store:
        store.append("a", "T", [NewEvent("E", {})])
        with pytest.raises(StoreError) as refused:
            getattr(store, lookup)("a\x00b")
        assert str(refused.value) == (
            "What was looked up holds a NUL character (\\0, pasted with the text?), which "
            "nothing in a store on a server holds; remove it.")
        assert store.stream_info("a").version == 1  # (and the store goes on)
        store.append("a", "T", [NewEvent("E", {})], 1)
