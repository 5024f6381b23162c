"""A store opened read-only is checked for damage once per process while its file is unchanged
(EventStore.damage_found): the window's read-only open of a store near the check's limit cost a
second of hash chain each time."""

from __future__ import annotations

from explorer.store import NewEvent
from explorer.store.event_store import EventStore
from explorer.store.maintenance import Maintenance
from tests.reliability.corpus import seeded_store


def test_a_sound_store_is_checked_again_only_once_its_file_changed(tmp_path, monkeypatch):
    path = seeded_store(tmp_path / "shop.evstore")
    checks: list[int] = []
    verify = Maintenance._verify_chain

    def counted(self):
        checks.append(1)
        return verify(self)
    monkeypatch.setattr(Maintenance, "_verify_chain", counted)
    for _ in range(3):
        with EventStore.open(path, read_only=True) as store:
            assert store.damage_found() is None
    assert len(checks) == 1
    with EventStore.open(path) as store:  # (an open for writing checks it too)
        store.append("s-1", "Thing", [NewEvent("Made", {"n": 1})], expected_version=0)
    written = len(checks)
    for _ in range(2):
        with EventStore.open(path, read_only=True) as store:
            assert store.damage_found() is None
    assert len(checks) == written + 1  # the changed file checked again, once
