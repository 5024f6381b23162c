"""Time travel, the runner and what-if without a system, and streams of types the system does
not know: the state is the generic fold, said so; there are no read models or sagas to show."""

from __future__ import annotations

import pytest

from explorer.demo.seed import seed_store
from explorer.demo.system import SHOP
from explorer.domain import UnknownCommandError
from explorer.domain.generic import merge
from explorer.runtime.runner import Runner
from explorer.store import EventStore, NewEvent
from explorer.system import NO_SYSTEM
from explorer.system.discovery import META_NAME
from explorer.system.workspace import open_store
from explorer.timetravel.machine import TimeMachine
from explorer.timetravel.whatif import Sandbox

LAMP = [NewEvent("LampInstalled", {"room": "hall", "bulb": {"watts": 40, "kind": "led"}}),
        NewEvent("LampLit", {"on": True, "bulb": {"watts": 60}}),
        NewEvent("LampMoved", {"room": "study", "tags": ["a", "b"]})]


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    """A shop's store holding a stream of a type the shop does not know."""
    path = tmp_path_factory.mktemp("generic") / "mixed.evstore"
    with open_store(path, system=SHOP, create=True) as store:
        seed_store(store, orders=5, seed=1, days=1)
    with EventStore.open(path) as store:
        store.append("lamp_1", "Lamp", LAMP)
    return path


def folded(events: list[NewEvent]) -> dict:
    state: dict = {}
    for event in events:
        merge(state, event.data)
    return state


def test_a_type_the_system_does_not_know_is_the_generic_fold(mixed):
    with open_store(mixed, system=SHOP, read_only=True) as store:
        machine = TimeMachine(store, None, SHOP)
        lamp = store.read_stream("lamp_1")
        moment = machine.moment(lamp[1].position)
        assert moment.generic and moment.aggregate.state == folded(LAMP[:2])
        assert moment.aggregate.state["bulb"] == {"watts": 60, "kind": "led"}  # objects merge
        assert {c.path for c in moment.aggregate.changes} == {"on", "bulb.watts"}
        shop_own = machine.moment(1)
        assert not shop_own.generic and shop_own.aggregate.stream_type in SHOP.domain.aggregates
        assert shop_own.sagas is not None  # the shop has sagas (no read models given: no rows)


def test_without_a_system_every_stream_is_the_generic_fold(mixed):
    with open_store(mixed, system=NO_SYSTEM, read_only=True) as store:
        machine = TimeMachine(store, None, NO_SYSTEM)
        first = next(iter(store.read_all(1, 1)))
        moment = machine.moment(first.position)
        assert moment.generic and moment.aggregate.state == first.data
        assert moment.read_models == {} and moment.sagas is None and moment.saga is None
        last = store.last_position()
        assert machine.aggregate_at("lamp_1", last).state == folded(LAMP)
        with pytest.raises(ValueError, match="no read model 'stock'"):
            machine.read_model_at("stock", last)


def test_the_runner_and_what_if_without_a_system_run_nothing_and_write_nothing(mixed):
    with Runner(str(mixed), NO_SYSTEM) as runner:
        assert runner.sagas == [] and runner.run_pending() == 0
        assert runner.status().projections == () and META_NAME not in runner.store.meta()
    with open_store(mixed, system=NO_SYSTEM, read_only=True) as store:
        position = store.last_position()
    sandbox = Sandbox.create(str(mixed), position, NO_SYSTEM)
    try:
        with pytest.raises(UnknownCommandError):
            sandbox.execute("Order", "order_x", "place", {})
        assert sandbox.changes() == [] and sandbox.new_events() == []
    finally:
        sandbox.discard()


def test_an_aggregate_as_of_a_position_reads_its_events_once(tmp_path, monkeypatch):
    # Its state as of a position and the state before its latest event there come from one
    # replay (the one before, copied, then that event): each of its events up to the position
    # is read once. Both states were replayed, reading them twice.
    path = tmp_path / "lamps.evstore"
    with EventStore.open(path, create=True) as store:
        for watts in range(1, 41):
            store.append("lamp_1", "Lamp", [NewEvent("LampLit", {"watts": watts,
                                                                 f"w{watts}": {"on": True}})])
            store.append("lamp_2", "Lamp", [NewEvent("LampLit", {"watts": -watts})])
    with open_store(path, system=NO_SYSTEM, read_only=True) as store:
        machine = TimeMachine(store, None, NO_SYSTEM)
        read = []

        def counting(method):
            def counted(*args, **kwargs):
                found = method(*args, **kwargs)
                rows = found[1] if isinstance(found, tuple) else found
                read.extend(row[0] for row in rows)  # versions read
                return found
            return counted
        for name in ("replay_rows", "replay_after_snapshot"):
            monkeypatch.setattr(store, name, counting(getattr(store, name)))
        position = store.read_stream("lamp_1", from_version=30, to_version=30)[0].position
        shown = machine.aggregate_at("lamp_1", position + 1)  # lamp_2's event there
        assert sorted(read) == list(range(1, 31))
        assert shown.version == 30 and shown.state["watts"] == 30
        assert shown.previous["watts"] == 29 and "w30" not in shown.previous
        assert shown.previous["w29"] == {"on": True}
        assert {change.path for change in shown.changes} == {"watts", "w30"}
