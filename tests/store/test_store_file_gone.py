"""A store whose file was deleted, moved or replaced while it is open is no longer written: its
events would go to a file no longer at its path, lost with a deleted one (found by helper H:
the window, and `run`'s sagas, went on appending to a deleted store without a word, and the
events were gone when it closed)."""

from __future__ import annotations

import os
import shutil

import pytest

from explorer.store import EventStore, NewEvent
from explorer.store.errors import StoreError


def _store(path):
    store = EventStore.open(path, create=True)
    store.append("o1", "Order", [NewEvent("Placed", {"n": 1})])
    return store


@pytest.mark.parametrize("change", ["deleted", "moved", "replaced"])
def test_a_store_whose_file_is_gone_refuses_to_write(tmp_path, change):
    path = tmp_path / "s.evstore"
    other = tmp_path / "other.evstore"
    _store(other).close()
    store = _store(path)
    try:
        if change == "deleted":
            os.remove(path)
        elif change == "moved":
            os.rename(path, tmp_path / "moved.evstore")
        else:
            shutil.copyfile(other, tmp_path / "new.evstore")
            os.replace(tmp_path / "new.evstore", path)
        with pytest.raises(StoreError, match=(
                f"The store {path} was deleted, moved or replaced by another file since it was "
                "opened, so Event Explorer cannot append events: .* Nothing was written. Open "
                "the store again, where it is now, to make changes.")):
            store.append("o1", "Order", [NewEvent("Paid", {"n": 2})])
        assert store.last_position() == 1
    finally:
        store.close()


def test_a_store_put_back_is_written_again(tmp_path):
    path = tmp_path / "s.evstore"
    store = _store(path)
    try:
        os.rename(path, tmp_path / "moved.evstore")
        with pytest.raises(StoreError, match="was deleted, moved or replaced"):
            store.append("o1", "Order", [NewEvent("Paid", {})])
        os.rename(tmp_path / "moved.evstore", path)
        store.append("o1", "Order", [NewEvent("Paid", {})])
    finally:
        store.close()
    with EventStore.open(path, read_only=True) as store:
        assert [e.event_type for e in store.read_all()] == ["Placed", "Paid"]
