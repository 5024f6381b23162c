"""Watches checked against as-of reads (TimeMachine.aggregate_at, read_model_at) at random
positions, on a seeded store of each example system and one read without a system; a series'
steps are the value as of each step; bad expressions are refused with a message naming what was
wrong."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from explorer.projections import ReadModelDatabase, read_model_path
from explorer.store.content_filter import FilterError
from explorer.system import NO_SYSTEM, System
from explorer.system.workspace import open_store
from explorer.timetravel.conditions import column_affinities, predicate
from explorer.timetravel.machine import TimeMachine
from explorer.timetravel.watch import Series, Watcher, WatchError
from tests.systems.cases import CASES, seeded
from tests.timetravel.random_conditions import ConditionMaker, paths

POSITIONS = 25
ALL_ROWS = 1_000_000


@pytest.fixture(scope="module")
def stores(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("watch")
    return {name: seeded(folder, case.system, case.seed_size) for name, case in CASES.items()}


def watcher(path: Path, system: System):
    store = open_store(path, system=system, read_only=True)
    readmodels = (ReadModelDatabase(read_model_path(str(path), False), read_only=True)
                  if not system.generic else None)
    return store, readmodels, Watcher(TimeMachine(store, readmodels, system))


def follow(state: dict, path: str):
    """The state's value at a path such as `.lines[0].quantity` (None if missing), as the test's
    own reading of the as-of state."""
    value = state
    for part in path.replace("[", ".[").strip(".").split("."):
        if part.startswith("["):
            index = int(part[1:-1])
            value = value[index] if isinstance(value, list) and index < len(value) else None
        else:
            value = value.get(part) if isinstance(value, dict) else None
        if value is None:
            return None
    return value


def check_series(watch_: Watcher, watch, series: Series) -> None:
    assert series.positions[0] == 0 and series.positions == tuple(sorted(series.positions))
    for position, value in zip(series.positions, series.values, strict=True):
        assert watch_.value_at(watch, position) == value, (watch.text, position)
    for before, after in zip(series.values, series.values[1:], strict=False):
        assert (type(before), before) != (type(after), after)  # steps change the value


def check_fields(path: Path, system: System, seed: int) -> None:
    store, readmodels, watch_ = watcher(path, system)
    r = random.Random(seed)
    machine = watch_.machine
    with store:
        last = store.last_position()
        checked = 0
        for stream_type in store.stream_types():
            stream = max(store.list_streams(stream_type.stream_type), key=lambda s: s.version)
            state = machine.aggregate_at(stream.stream_id, last).state
            fields = sorted({name[len("state"):] for name, _ in paths(state, "state")
                             if "[*]" not in name})
            for field in r.sample(fields, min(4, len(fields))):
                watch = watch_.parse(stream.stream_id + field)
                series = watch_.series(watch)
                check_series(watch_, watch, series)
                for position in [r.randint(0, last) for _ in range(POSITIONS)]:
                    expected = follow(machine.aggregate_at(stream.stream_id, position).state,
                                      field)
                    assert watch_.value_at(watch, position) == expected, (watch.text, position)
                    assert series.value_at(position) == expected, (watch.text, position)
                checked += 1
        assert checked > 4
    if readmodels is not None:
        readmodels.close()


def test_field_watches_agree_with_as_of_states(system: System, stores):
    check_fields(stores[system.name], system, seed=1)


def test_field_watches_without_a_system_agree_with_the_generic_fold(stores):
    check_fields(stores["shop"], NO_SYSTEM, seed=2)


def test_cells_and_counts_agree_with_as_of_rows(system: System, stores):
    store, readmodels, watch_ = watcher(stores[system.name], system)
    r = random.Random(3)
    machine = watch_.machine
    with store, readmodels:
        last = store.last_position()
        positions = [0, last, *(r.randint(1, last) for _ in range(POSITIONS))]
        for name, projection in machine.projections.items():
            table = projection.main_table
            keys, values = table.info["keys"], table.info["values"]
            rows_at = {p: machine.read_model_at(name, p, ALL_ROWS).rows for p in positions}
            final = rows_at[last]
            assert final, name
            for row in r.sample(final, min(3, len(final))):
                key = "/".join(str(row[k]) for k in keys)
                column = r.choice([c for c in values if c != "steps"] or list(values))
                watch = watch_.parse(f"{name}[{key}].{column}")
                series = watch_.series(watch)
                check_series(watch_, watch, series)
                for position in positions:
                    found = [x for x in rows_at[position]
                             if all(str(x[k]) == str(row[k]) for k in keys)]
                    expected = found[0][column] if found else None
                    assert watch_.value_at(watch, position) == expected, (watch.text, position)
                    assert series.value_at(position) == expected, (watch.text, position)
            maker = ConditionMaker(len(name), ((c, v) for x in final for c, v in x.items()
                                               if c in values and c != "steps"))
            for _ in range(4):
                text = maker.condition()
                watch = watch_.parse(f"count({name} where {text})")
                holds = predicate(watch.condition, None, column_affinities(table))
                series = watch_.series(watch)
                check_series(watch_, watch, series)
                assert series.built_to == last
                for position in positions:
                    expected = sum(1 for x in rows_at[position] if holds(x))
                    assert watch_.value_at(watch, position) == expected, (watch.text, position)
                    assert series.value_at(position) == expected, (watch.text, position)
        sagas = watch_.parse('count(sagas where status = "completed")')
        assert sagas.target == machine.saga_read_models[0]


def test_a_series_is_thinned_keeping_the_extremes(stores):
    store, readmodels, watch_ = watcher(stores["shop"], CASES["shop"].system)
    with store, readmodels:
        stream = max(store.list_streams("Inventory"), key=lambda s: s.version)
        watch = watch_.parse(f"{stream.stream_id}.on_hand")
        whole = watch_.series(watch)
        assert len(whole.positions) > 9 and not whole.thinned
        thin = watch_.series(watch, points=6)
        assert thin.thinned and len(thin.positions) < len(whole.positions)
        assert min(thin.values[1:]) == min(whole.values[1:])
        assert max(thin.values[1:]) == max(whole.values[1:])
        assert thin.values[-1] == whole.values[-1]
        for position, value in zip(thin.positions, thin.values, strict=True):
            assert whole.value_at(position) == value
        middle = whole.positions[len(whole.positions) // 2]
        part = watch_.series(watch, middle, whole.positions[-1])
        assert part.positions[0] == middle and part.values[0] == whole.value_at(middle)


@pytest.mark.parametrize(("text", "said"), [
    ("", "Type a value to watch"),
    ("prod_101", "names no field"),
    ("nosuch.on_hand", "'nosuch' is not a stream of this store"),
    ("prod_101.on_hnd", "has no field 'on_hnd'"),
    ("prod_101.on_hand..x", "cannot be read at '..x'"),
    ("prod_101[0]", "not an index"),
    ("order_summary[order_1].totl", "has no column 'totl'"),
    ("order_summary[ordr_0001].status", "order_summary has never had a row 'ordr_0001'; "
                                        "name one it has"),  # (it stayed empty, unsaid)
    ("count(order_summary total > 5)", "has no `where`"),
    ("count(orders where total > 5)", "'orders' is not a read model"),
])
def test_bad_expressions_say_what_is_wrong(stores, text, said):
    store, readmodels, watch_ = watcher(stores["shop"], CASES["shop"].system)
    with store, readmodels, pytest.raises(WatchError, match=re.escape(said)):
        watch_.parse(text)


def test_a_bad_count_condition_is_the_filter_s_error(stores):
    store, readmodels, watch_ = watcher(stores["shop"], CASES["shop"].system)
    with store, readmodels, pytest.raises(FilterError, match="totl"):
        watch_.parse("count(order_summary where totl > 5)")



@pytest.mark.parametrize("text", ["", "member_1", "nosuch.x", "count(books_on_loan total > 5)"])
def test_another_systems_watch_messages_name_its_own_read_models_never_the_shops(stores, text):
    # (they gave the shop's prod_101.on_hand and order_summary[order_0870] as examples)
    store, readmodels, watch_ = watcher(stores["library"], CASES["library"].system)
    with store, readmodels, pytest.raises(WatchError) as raised:
        watch_.parse(text)
    said = str(raised.value)
    assert not re.search(r"prod_|order_|order_summary", said), said
    if "such as" in said:
        assert "books_on_loan[KEY].column" in said
