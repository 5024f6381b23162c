"""`index STORE --path FIELD | --list | --drop FIELD`: indexes on paths made, listed and removed
from the command line; a field with no one value is refused, saying why (a read-only store:
tests/store/test_path_indexes.py)."""

from __future__ import annotations

import json

import pytest

from explorer.store import EventStore
from explorer.store.content_filter import parse_filter
from explorer.store.path_indexes import uses_path_index
from explorer.store.query import EventQuery
from tests.cli.running import run, seeded_shop


@pytest.fixture
def seeded(tmp_path):
    return seeded_shop(tmp_path, orders=10, seed=3)


def filter_uses_index(path, text: str) -> bool:
    with EventStore.open(path, read_only=True) as store:
        return uses_path_index(store, EventQuery(content=parse_filter(text)))


def test_a_path_is_indexed_listed_and_removed(seeded, capsys):
    assert not filter_uses_index(seeded, "data.total > 900")
    code, out, err = run(capsys, "index", seeded, "--path", "data.total")
    assert code == 0, err
    assert "Indexed data.total" in out and filter_uses_index(seeded, "data.total > 900")
    code, out, _ = run(capsys, "index", seeded, "--list", "--json")
    assert code == 0 and [made["field"] for made in json.loads(out)] == ["data.total"]
    code, out, _ = run(capsys, "index", seeded, "--drop", "data.total")
    assert code == 0 and "Removed the index on data.total" in out
    assert not filter_uses_index(seeded, "data.total > 900")
    code, out, _ = run(capsys, "index", seeded, "--list")
    assert code == 0 and "No paths are indexed" in out
    code, _, err = run(capsys, "index", seeded, "--drop", "data.total")
    assert code == 2 and "No index on data.total" in err


def test_a_field_with_no_one_value_is_refused(seeded, capsys):
    code, _, err = run(capsys, "index", seeded, "--path", "data.items[*].product_id")
    assert code == 1 and "name one value inside the events' data" in err
    code, out, _ = run(capsys, "index", seeded, "--list")
    assert "No paths are indexed" in out
