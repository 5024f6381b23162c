"""Comparing two moments, checked against two full as-of snapshots.

For each example system (its seeder's store) and a store without a system: every read model's
rows as of A and as of B (read whole), every stream's events between them and its state at A and
at B (folded from its events alone) give the answer the comparison must give.
"""

from __future__ import annotations

from collections import Counter

import pytest

from explorer.demo.seed import seed_store
from explorer.demo.system import SHOP
from explorer.projections import ReadModelDatabase, read_model_path, read_rows
from explorer.store import EventStore, NewEvent
from explorer.system import NO_SYSTEM, System
from explorer.system.workspace import open_store
from explorer.timetravel.compare import Comparer
from explorer.timetravel.machine import TimeMachine, diff
from tests.systems.cases import CASES, seeded


def moments(last: int) -> list[tuple[int, int]]:
    return [(0, last), (last // 3, 2 * last // 3), (last // 2, last), (last // 4, last // 4),
            (1, 2)]


def expected_rows(db, table, before: int, after: int, watched=()) -> dict[tuple, tuple]:
    """Key -> (kind, before values, after values) from the whole table at both positions."""
    keys, values = table.info["keys"], table.info["values"]

    def whole(position):
        return {tuple(r[k] for k in keys): {v: r[v] for v in values}
                for r in read_rows(db, table, at_position=position, limit=None)}

    then, now = whole(before), whole(after)
    found = {}
    for key in then.keys() | now.keys():
        old, new = then.get(key), now.get(key)
        if old is None:
            found[key] = ("added", None, new)
        elif new is None:
            found[key] = ("removed", old, None)
        elif any(old[c] != new[c] for c in (watched or values)):
            found[key] = ("changed", old, new)
    return found


def state_at(store: EventStore, machine: TimeMachine, stream_id: str, position: int) -> dict:
    if not any(e.position <= position for e in store.read_stream(stream_id)):
        return {}
    return machine.aggregate_at(stream_id, position).state


def check_streams(store: EventStore, comparer: Comparer, system: System, before: int,
                  after: int) -> None:
    """The streams that got events, by type and event type, and pages of them, against the
    events themselves; each aggregate's diff against its state folded at both positions."""
    between = [e for e in store.read_all(before + 1, after)] if after > before else []
    per_stream = Counter(e.stream_id for e in between)
    types = {e.stream_id: e.stream_type for e in between}
    summary = comparer.summary(before, after)
    assert summary.events == len(between) and summary.streams == len(per_stream)
    assert {t.stream_type: (t.streams, t.events, dict(t.event_types))
            for t in summary.stream_types} == {
        kind: (sum(1 for s in per_stream if types[s] == kind),
               sum(n for s, n in per_stream.items() if types[s] == kind),
               dict(Counter(e.event_type for e in between if e.stream_type == kind)))
        for kind in set(types.values())}
    pages, after_stream = [], None
    while True:
        page = comparer.streams(before, after, after_stream=after_stream, limit=7)
        pages += page
        if len(page) < 7:
            break
        after_stream = page[-1].stream_id
    assert [(s.stream_id, s.events) for s in pages] == sorted(per_stream.items())
    assert store.count_active_streams(before, after) == len(per_stream)
    machine = TimeMachine(store, None, system)
    for activity in pages[::max(1, len(pages) // 12)]:
        shown = comparer.stream(activity.stream_id, before, after)
        old = state_at(store, machine, activity.stream_id, before)
        new = state_at(store, machine, activity.stream_id, after)
        assert (shown.before, shown.after) == (old, new)
        assert shown.changes == diff(old, new)
        assert shown.version_after - shown.version_before == activity.events
        assert activity.version_after == shown.version_after


def test_compare_equals_two_full_snapshots(system, tmp_path_factory):
    folder = tmp_path_factory.getbasetemp() / "compare"
    folder.mkdir(exist_ok=True)
    path = seeded(folder, system, CASES[system.name].seed_size)
    with open_store(path, system=system, read_only=True) as store, \
            ReadModelDatabase(read_model_path(str(path), False), read_only=True) as db:
        comparer = Comparer(store, db, system)
        last = store.last_position()
        for before, after in moments(last):
            check_streams(store, comparer, system, before, after)
            summary = comparer.summary(before, after, rows=5)
            for model, projection in zip(summary.read_models, comparer.models, strict=True):
                table = projection.main_table
                expected = expected_rows(db, table, before, after)
                counts = Counter(kind for kind, _, _ in expected.values())
                assert (model.counts.added, model.counts.changed, model.counts.removed) == (
                    counts["added"], counts["changed"], counts["removed"]), model.name
                shown = comparer.rows(projection.name, before, after, limit=None)
                keys = table.info["keys"]
                assert {tuple(c.key[k] for k in keys): (c.kind, c.before, c.after)
                        for c in shown} == expected, (model.name, before, after)
                assert model.rows == shown[:5]
                for change in shown:
                    if change.kind == "changed":
                        assert change.fields == tuple(
                            f for f in change.after if change.before[f] != change.after[f])
                paged = [c.key for offset in range(0, len(shown), 4) for c in
                         comparer.rows(projection.name, before, after, offset=offset, limit=4)]
                assert paged == [c.key for c in shown]
            expected_sagas = {}
            for projection in comparer.saga_models:
                for key, (_, old, new) in expected_rows(db, projection.main_table, before,
                                                        after, ("status",)).items():
                    expected_sagas[key[0]] = ((old or {}).get("status"),
                                              (new or {}).get("status"))
            listed = comparer.sagas(before, after, limit=None)
            assert {s.saga_id: (s.before, s.after) for s in listed} == expected_sagas
            assert summary.saga_changes == len(expected_sagas)
            assert summary.sagas == listed[:5]
            assert all(s.before != s.after for s in listed)


@pytest.fixture(scope="module")
def without_system(tmp_path_factory):
    """A shop's store read without a system, with a stream type the shop does not know and one
    event type in streams of two types (the event-type counts then come from the events)."""
    path = tmp_path_factory.mktemp("generic-compare") / "mixed.evstore"
    with open_store(path, system=SHOP, create=True) as store:
        seed_store(store, orders=6, seed=2, days=2)
    with EventStore.open(path) as store:
        store.append("lamp_1", "Lamp", [NewEvent("Installed", {"room": "hall", "watts": 40}),
                                        NewEvent("Moved", {"room": "study"})])
        store.append("desk_1", "Desk", [NewEvent("Installed", {"room": "hall"})])
    return path


def test_without_a_system_streams_compare_by_the_generic_fold(without_system):
    with open_store(without_system, system=NO_SYSTEM, read_only=True) as store:
        comparer = Comparer(store, None, NO_SYSTEM)
        last = store.last_position()
        for before, after in [*moments(last), (last - 3, last)]:
            check_streams(store, comparer, NO_SYSTEM, before, after)
        summary = comparer.summary(last - 3, last)
        assert summary.read_models == [] and summary.sagas == []
        by_type = {t.stream_type: dict(t.event_types) for t in summary.stream_types}
        assert by_type["Lamp"] == {"Installed": 1, "Moved": 1} and by_type["Desk"] == {
            "Installed": 1}
        lamp = comparer.stream("lamp_1", 0, last)
        assert lamp.generic and lamp.after == {"room": "study", "watts": 40}


def test_positions_outside_the_log_or_reversed_are_refused(without_system):
    with open_store(without_system, system=NO_SYSTEM, read_only=True) as store:
        comparer = Comparer(store, None, NO_SYSTEM)
        last = store.last_position()
        assert comparer.positions(3) == (3, last)  # to live
        with pytest.raises(ValueError, match="after the second"):
            comparer.summary(5, 4)
        with pytest.raises(ValueError, match=f"outside the log, which runs from 0 to {last:,}"):
            comparer.summary(0, last + 1)
        with pytest.raises(ValueError, match="outside the log"):
            comparer.streams(-1, 3)
        with pytest.raises(ValueError, match="no read model 'nope'"):
            comparer.rows("nope", 0, last)
        with pytest.raises(ValueError, match="give the earlier position first"):
            store.active_streams(5, 4)
