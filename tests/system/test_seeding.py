"""Seeding a new store with a system's seeder (`seed_new_store`): the one function the command
line's `seed` and the window's File > New Demo Store call."""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing

import pytest

from explorer.demo.system import SHOP
from explorer.domain import DomainModel
from explorer.store import EventStore, NewEvent, StoreError
from explorer.system import System
from explorer.system.discovery import META_MODULE, META_NAME
from explorer.system.workspace import CannotSeedError, open_store, seed_new_store

UNSEEDABLE = System(name="bare", domain=DomainModel("bare", [], []))


def folder_state(folder) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in sorted(os.listdir(folder))}


def test_a_new_store_is_made_seeded_and_names_its_system(tmp_path):
    path = tmp_path / "demo.evstore"
    counted: list[int] = []
    seeded = seed_new_store(path, SHOP, size=5, spec="explorer.demo.system:SHOP",
                            progress=counted.append)
    assert seeded.location == str(path) and seeded.report["orders"] == 5
    assert seeded.last_position == seeded.report["events"] > 0
    assert counted and counted[-1] == 5
    with open_store(path, system=SHOP, read_only=True) as store:
        assert store.last_position() == seeded.last_position
        assert store.meta()[META_NAME] == "shop"
        assert store.meta()[META_MODULE] == "explorer.demo.system:SHOP"


def test_the_same_size_and_seed_make_the_same_history(tmp_path):
    first = seed_new_store(tmp_path / "a.evstore", SHOP, size=4)
    second = seed_new_store(tmp_path / "b.evstore", SHOP, size=4)
    assert first.last_position == second.last_position
    with open_store(tmp_path / "a.evstore", system=SHOP, read_only=True) as a, \
            open_store(tmp_path / "b.evstore", system=SHOP, read_only=True) as b:
        assert [e.event_type for e in a.read_all()] == [e.event_type for e in b.read_all()]


def test_a_store_holding_events_is_refused_and_left_as_it_was(tmp_path):
    path = tmp_path / "full.evstore"
    with EventStore.open(path, create=True) as store:
        store.append("lamp-1", "Lamp", [NewEvent("Switched", {"on": True})])
    before = folder_state(tmp_path)
    with pytest.raises(StoreError, match=r"already holds 1 events; seed a new or empty store"):
        seed_new_store(path, SHOP, size=3)
    assert folder_state(tmp_path) == before


def test_an_empty_file_of_the_user_is_filled(tmp_path):
    path = tmp_path / "empty.evstore"
    with EventStore.open(path, create=True):
        pass
    assert seed_new_store(path, SHOP, size=2).last_position > 0


def test_an_sqlite_file_without_tables_is_filled(tmp_path):
    """What a seed killed as it began can leave: the file's header, no table yet."""
    path = tmp_path / "begun.evstore"
    with closing(sqlite3.connect(path)) as connection:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("CREATE TABLE t (x)")
        connection.execute("DROP TABLE t")
    assert path.stat().st_size > 0
    assert seed_new_store(path, SHOP, size=2).last_position > 0


def test_a_system_without_a_seeder_makes_no_file(tmp_path):
    with pytest.raises(CannotSeedError, match="'bare' has no seeder"):
        seed_new_store(tmp_path / "bare.evstore", UNSEEDABLE)
    assert not (tmp_path / "bare.evstore").exists()


def test_stopping_early_keeps_what_was_made(tmp_path):
    made: list[int] = []
    seeded = seed_new_store(tmp_path / "stopped.evstore", SHOP, size=500,
                            progress=made.append, should_stop=lambda: bool(made))
    assert seeded.report["cancelled_by_user"] and seeded.last_position > 0
    with open_store(seeded.location, system=SHOP, read_only=True) as store:
        assert store.last_position() == seeded.last_position
        assert store.meta()[META_NAME] == "shop"  # a seed stopped halfway names its system too
