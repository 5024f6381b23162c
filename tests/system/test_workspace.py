"""Opening stores with a system: which system a store names, remembering the system that writes
it, and demo stores made by a system's seeder."""

from __future__ import annotations

import os

import pytest

from explorer.demo.system import SHOP
from explorer.domain import DomainModel
from explorer.store import EventStore, NewEvent, StoreMissingError
from explorer.system import NO_SYSTEM, System
from explorer.system.discovery import META_MODULE, META_NAME
from explorer.system.workspace import (
    CannotSeedError,
    default_demo_store,
    remember_system,
    seed_with,
    system_for,
)

UNSEEDABLE = System(name="bare", domain=DomainModel("bare", [], []))


def folder_state(folder) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in sorted(os.listdir(folder))}


def test_a_store_remembers_the_system_that_writes_it_once(store_path):
    with EventStore.open(store_path, create=True) as store:
        assert remember_system(store, SHOP) is True
        assert store.meta()[META_NAME] == "shop" and META_MODULE not in store.meta()
        assert remember_system(store, SHOP) is False  # once
        assert remember_system(store, SHOP, "explorer.demo.system:SHOP") is True  # by module
        assert store.meta()[META_MODULE] == "explorer.demo.system:SHOP"
        assert remember_system(store, UNSEEDABLE) is False  # named: it keeps its name
        assert store.meta()[META_NAME] == "shop"
        assert remember_system(store, NO_SYSTEM) is False  # no system writes nothing


def test_no_system_and_a_read_only_store_record_nothing(store_path):
    with EventStore.open(store_path, create=True) as store:
        assert remember_system(store, NO_SYSTEM) is False and META_NAME not in store.meta()
    before = folder_state(store_path.parent)
    with EventStore.open(store_path, read_only=True) as store:
        assert remember_system(store, SHOP) is False
    assert folder_state(store_path.parent) == before


def test_the_system_for_a_store_is_the_named_one_or_the_one_it_names(store_path):
    with pytest.raises(StoreMissingError):
        system_for(store_path)
    with EventStore.open(store_path, create=True) as store:
        store.append("lamp_1", "Lamp", [NewEvent("LampLit", {"watts": 40})])
    before = folder_state(store_path.parent)
    assert system_for(store_path) is NO_SYSTEM  # no installed system knows a Lamp
    assert system_for(store_path, "shop").name == "shop"  # named: the store is not asked
    with EventStore.open(store_path) as store:
        store.set_meta(META_NAME, "shop")
    before = folder_state(store_path.parent)
    assert system_for(store_path).name == "shop"
    assert folder_state(store_path.parent) == before  # only read


def test_a_systems_demo_store_is_named_after_it():
    assert default_demo_store(SHOP).name == "demo-shop.evstore"


def test_a_system_without_a_seeder_cannot_seed_a_store(tmp_path):
    with EventStore.open(tmp_path / "other.evstore", create=True) as store, \
            pytest.raises(CannotSeedError):
        seed_with(store, UNSEEDABLE)
