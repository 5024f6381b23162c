"""What-if branches: commands at a past position, in a copy; the real store never changes."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from explorer.demo.seed import seed_store
from explorer.domain import DomainError
from explorer.runtime import Runner
from explorer.sandbox import Sandbox
from explorer.workspace import open_store


def digest(path: Path) -> str:
    return "".join(hashlib.sha256(Path(f"{path}{suffix}").read_bytes()).hexdigest()
                   for suffix in ("", "-wal") if Path(f"{path}{suffix}").exists())


@pytest.fixture
def shop(tmp_path):
    path = tmp_path / "shop.evstore"
    with open_store(path, create=True) as store:
        seed_store(store, orders=60, seed=3)
    with Runner(str(path), run_sagas=False) as runner:
        runner.run_pending()
    return path


def test_a_branch_holds_the_past_and_lets_commands_play_out(shop, tmp_path):
    with open_store(shop, read_only=True) as store:
        position = store.last_position() // 2
        placed = [e for e in store.read_all(1, position) if e.event_type == "OrderPlaced"]
    before = digest(shop)
    sandbox = Sandbox.create(str(shop), position)
    try:
        with open_store(sandbox.path, read_only=True) as branch:
            assert branch.last_position() == position
            assert branch.count_streams("Order") == len(placed)
        result = sandbox.execute("Order", "order_whatif", "place", {
            "customer_id": "cust_001", "total": 29.99,
            "items": [{"product_id": "prod_101", "quantity": 1, "price": 29.99}]})
        assert result.events[0].position == position + 1
        new = sandbox.new_events()
        types = [e.event_type for e in new]
        assert types[0] == "OrderPlaced" and "FulfilmentStarted" in types  # the saga reacted
        changed = {(c.projection, c.key) for c in sandbox.changes()}
        assert ("order_summary", "order_whatif") in changed
        exported = tmp_path / "what-if.jsonl"
        assert sandbox.export(exported) == len(new)
        lines = [json.loads(line) for line in exported.read_text().splitlines()]
        assert lines[0]["stream_id"] == "order_whatif"
        with pytest.raises(DomainError):
            sandbox.execute("Order", "order_whatif", "place", {
                "customer_id": "cust_001", "total": 29.99,
                "items": [{"product_id": "prod_101", "quantity": 1, "price": 29.99}]})
    finally:
        sandbox.discard()
    assert not sandbox.folder.exists()
    assert digest(shop) == before  # byte for byte
    with open_store(shop, read_only=True) as store:
        assert store.stream_head("order_whatif") is None


def test_the_branch_read_models_are_those_as_of_the_position(shop):
    from explorer.demo.projections import order_summary
    from explorer.projections import ReadModelDatabase, read_model_path, read_rows

    with open_store(shop, read_only=True) as store:
        position = store.last_position() // 3
    sandbox = Sandbox.create(str(shop), position)
    try:
        with ReadModelDatabase(read_model_path(str(shop), False), read_only=True) as real, \
                ReadModelDatabase(read_model_path(str(sandbox.path), False),
                                  read_only=True) as branch:
            assert read_rows(branch, order_summary, limit=None) == read_rows(
                real, order_summary, at_position=position, limit=None)
    finally:
        sandbox.discard()
