"""`state --at-position` before a stream's first event names where it begins, and position 0
(before the first event, as `diff --from 0`, `projection` and `sagas` take it) is a moment too
(review: `state --at-position 0` was refused as 'must be 1 or more', the others took it)."""

from __future__ import annotations

import pytest

from explorer.common.timestamps import iso
from explorer.demo.seed import seed_store
from explorer.demo.system import SHOP
from explorer.store.query import EventQuery
from explorer.system.workspace import open_store
from tests.cli.running import run


@pytest.fixture
def shop(tmp_path):
    path = tmp_path / "shop.evstore"
    with open_store(path, system=SHOP, create=True) as store:
        seed_store(store, orders=20, seed=4)
        placed = store.query(EventQuery(event_types=("OrderPlaced",)), limit=None)[-1]
    return str(path), placed


@pytest.mark.parametrize("before", ["0", "1", "first - 1"])
def test_before_its_first_event_a_stream_says_where_it_begins(shop, before, capsys):
    path, placed = shop
    position = placed.position - 1 if before == "first - 1" else int(before)
    code, out, err = run(capsys, "state", path, placed.stream_id, "--at-position", str(position))
    assert code == 1 and out == ""
    assert err == (f"error: Stream {placed.stream_id} did not exist yet at that point: its first "
                   f"event is at position {placed.position:,}; choose that position or a later "
                   "one.\n")
    code, out, err = run(capsys, "state", path, placed.stream_id, "--at-position",
                         str(placed.position))
    assert code == 0 and f"{placed.stream_id} at version 1" in out


def test_a_time_before_its_first_event_is_answered_with_the_time_it_begins(shop, capsys):
    """`state --at-time` before a stream's first event names the time it begins (before, only
    its position: a time was asked, and a position is not an --at-time)."""
    path, placed = shop
    at = placed.timestamp_us - 1_000_000
    code, out, err = run(capsys, "state", path, placed.stream_id, "--at-time", iso(at))
    assert code == 1 and out == ""
    assert err == (f"error: Stream {placed.stream_id} did not exist yet at that time: its first "
                   f"event is at {iso(placed.timestamp_us)} (position {placed.position:,}); "
                   "choose that time or a later one.\n")
    code, out, err = run(capsys, "state", path, placed.stream_id, "--at-time",
                         iso(placed.timestamp_us))
    assert code == 0 and f"{placed.stream_id} at version 1" in out
