"""`copy SOURCE TARGET` between a store file and a server, both ways: the same events (ids,
versions, positions, times, data), stream index, snapshots and system; a half copy leaves no
file; a target holding events is refused."""

from __future__ import annotations

import json

import pytest

from explorer.store import EventStore, NewEvent, SnapshotRecord, StoreOpenError
from explorer.store.postgres_copy import OWN_META, copy_store
from tests.cli.running import run


def stored(location) -> tuple[list, list, list, dict]:
    with EventStore.open(str(location), read_only=True) as store:
        meta = {k: v for k, v in store.meta().items() if k not in OWN_META}  # (each its own)
        snapshots = [store.latest_snapshot(s.stream_id) for s in store.list_streams()]
        return ([e.to_dict() for e in store.read_all()],
                [s.to_dict() for s in store.list_streams()],
                [s for s in snapshots if s is not None], meta)


def test_a_store_copied_to_a_server_and_back_is_the_same(capsys, tmp_path, store_url):
    path, back = tmp_path / "shop.evstore", tmp_path / "back.evstore"
    assert run(capsys, "seed", path, "--orders", 12, "--seed", 5)[0] == 0
    with EventStore.open(path) as store:
        store.save_snapshot(SnapshotRecord("order_003", "Order", 2, 9, 90, 1, '{"at": 2}'))
    code, out, err = run(capsys, "copy", path, store_url, "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["target"] == store_url and report["events"] > 12
    code, _, err = run(capsys, "copy", store_url, back)
    assert code == 0, err
    original = stored(path)
    assert stored(store_url) == original and stored(back) == original
    assert original[3]["system"] == "shop"  # the system travels with the store
    assert run(capsys, "check", back)[0] == 0
    assert run(capsys, "check", store_url)[0] == 0  # (linked in the server's form there)


def test_a_target_holding_events_is_refused_and_a_half_copy_leaves_no_file(store_url, tmp_path):
    with EventStore.open(store_url) as source:
        source.append("o", "Order", [NewEvent("Placed", {}), NewEvent("Paid", {})])
        with pytest.raises(StoreOpenError, match="holds 2 events already"):
            copy_store(source, store_url)
        target = tmp_path / "half.evstore"

        def stop(copied, total):
            if copied:
                raise KeyboardInterrupt
        with pytest.raises(KeyboardInterrupt):
            copy_store(source, target, progress=stop)
        assert list(tmp_path.glob("half.evstore*")) == []
