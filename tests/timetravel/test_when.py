"""Find-when checked against brute force: the condition evaluated at every position of a seeded
store (each example system, and a store read without a system), for random conditions on
aggregates' states, read models' rows and sagas."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from explorer.common.cancel import Cancelled
from explorer.projections import ReadModelDatabase, read_model_path, switches
from explorer.projections.versioned import rows_as_of
from explorer.store.content_filter import FilterError
from explorer.system import NO_SYSTEM, System
from explorer.system.workspace import open_store
from explorer.timetravel import row_arrays, when
from explorer.timetravel.conditions import (
    column_affinities,
    parse_state_condition,
    predicate,
)
from explorer.timetravel.machine import TimeMachine
from explorer.timetravel.when import (
    FindWhen,
    RowSwitchList,
    Switch,
    Switches,
    TargetError,
    UnknownFieldError,
)
from tests.systems.cases import CASES, seeded
from tests.timetravel.random_conditions import ConditionMaker, paths

CONDITIONS = 12


@pytest.fixture(scope="module")
def stores(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("when")
    return {name: seeded(folder, case.system, case.seed_size) for name, case in CASES.items()}


def finder(path: Path, system: System):
    store = open_store(path, system=system, read_only=True)
    readmodels = (ReadModelDatabase(read_model_path(str(path), False), read_only=True)
                  if not system.generic else None)
    return store, readmodels, FindWhen(TimeMachine(store, readmodels, system))


def as_tuples(switches: Switches | list[Switch]) -> list[tuple[int, bool, str]]:
    found = switches.switches if isinstance(switches, Switches) else switches
    return [(s.position, s.became, s.subject) for s in found]


def brute_switches(truths: list[dict[str, bool]]) -> list[tuple[int, bool, str]]:
    """Switches from the condition's truth for each subject at every position 0..last."""
    found = []
    for position in range(1, len(truths)):
        before, now = truths[position - 1], truths[position]
        for subject in sorted(set(before) | set(now)):
            if before.get(subject, False) != now.get(subject, False):
                found.append((position, now.get(subject, False), subject))
    return found


def check_views(finder_: FindWhen, target: str, text: str, expected, last: int, seed: int):
    """`after` and `first_only` are views of the whole list."""
    import random
    r = random.Random(seed)
    for after in (0, r.randint(1, last), r.randint(1, last)):
        later = [s for s in expected if s[0] > after]
        assert Counter(as_tuples(finder_.switches(target, text, after=after))) == Counter(later)
        first = finder_.switches(target, text, after=after, first_only=True)
        wanted = [s for s in later if s[1]][:1]
        assert [s[:2] for s in as_tuples(first)] == [s[:2] for s in wanted]


def stream_states(machine: TimeMachine, stream_id: str, last: int) -> list[dict | None]:
    """The stream's state as of every position 0..last (None before its first event), each
    loaded on its own."""
    info = machine.store.stream_info(stream_id)
    states: list[dict | None] = [None]
    for position in range(1, last + 1):
        loaded = machine.repository.load(info.stream_type, stream_id, at_position=position)
        states.append(loaded.aggregate.state() if loaded.version else None)
    return states


def check_streams(path: Path, system: System, seed: int) -> None:
    store, readmodels, find = finder(path, system)
    with store:
        last = store.last_position()
        streams = [max(store.list_streams(t.stream_type), key=lambda s: s.version).stream_id
                   for t in store.stream_types()]
        for number, stream_id in enumerate(streams):
            states = stream_states(find.machine, stream_id, last)
            maker = ConditionMaker(seed + number, (pair for state in states if state
                                                   for pair in paths(state, "state")))
            for _ in range(CONDITIONS):
                text = maker.condition()
                holds = predicate(parse_state_condition(text))
                expected = brute_switches([{stream_id: state is not None and holds(state)}
                                           for state in states])
                try:
                    found = find.switches(stream_id, text)
                except UnknownFieldError:  # a field of another version of the state
                    continue
                assert as_tuples(found) == expected, (stream_id, text)
                assert all(s.event_type and s.stream_id == stream_id for s in found.switches)
                check_views(find, stream_id, text, expected, last, seed)
    if readmodels is not None:
        readmodels.close()


def test_find_when_on_streams_agrees_with_brute_force(system: System, stores):
    check_streams(stores[system.name], system, seed=11)


def test_find_when_without_a_system_agrees_with_brute_force(stores):
    check_streams(stores["shop"], NO_SYSTEM, seed=12)


@pytest.mark.parametrize(("first_spans", "in_memory"), [(switches.FIRST_SPANS, False),
                                                         ((1, 3), False),
                                                         (switches.FIRST_SPANS, True)],
                         ids=["position-order", "whole-scan", "in-memory"])
def test_find_when_on_read_models_and_sagas_agrees_with_brute_force(system: System, stores,
                                                                   first_spans, in_memory,
                                                                   monkeypatch):
    # in SQL, the first switch is looked for in ranges of positions, then by the whole scan:
    # small ranges make the whole scan find most of them; in memory, every search is answered
    # from the versions' arrays (explorer.timetravel.row_arrays), none in SQL
    monkeypatch.setattr(switches, "FIRST_SPANS", first_spans)
    monkeypatch.setattr(row_arrays, "LOAD_AT", 1 if in_memory else 1_000_000)
    if in_memory:
        def in_sql(*args, **kwargs):
            raise AssertionError(f"searched in SQL: {args[2]}")
        monkeypatch.setattr(when, "ordered_row_switches", in_sql)
    store, readmodels, find = finder(stores[system.name], system)
    with store, readmodels:
        last = store.last_position()
        for number, (name, projection) in enumerate(find.machine.projections.items()):
            table = projection.main_table
            keys = table.info["keys"]
            rows_at = [{"/".join(str(row[k]) for k in keys): dict(row)
                        for row in readmodels.execute(rows_as_of(table, position)).mappings()}
                       for position in range(last + 1)]
            maker = ConditionMaker(number, ((column, value) for rows in rows_at[-1:]
                                            for row in rows.values()
                                            for column, value in row.items()
                                            if column != "steps"))
            holds = None
            for _ in range(CONDITIONS):
                text = maker.condition()
                holds = predicate(find.parse(name, text), None, column_affinities(table))
                expected = brute_switches([{key: holds(row) for key, row in rows.items()}
                                           for rows in rows_at])
                found = find.switches(name, text)
                assert Counter(as_tuples(found)) == Counter(expected), (name, text)
                assert found.positions == sorted(found.positions)
                assert found.built_to == last
                check_views(find, name, text, expected, last, number)
        sagas = find.switches("sagas", 'status = "compensating"')
        saga_table = find.machine.saga_read_models[0]
        assert as_tuples(sagas) == as_tuples(find.switches(saga_table, 'status = "compensating"'))
        assert sagas.first() is not None and sagas.first().subject.startswith(
            system.sagas[0].stream_prefix)
        described = find.with_events(sagas.switches[:5])
        assert all(s.event_type is not None for s in described)
        for switch in described:  # the event that made it is the one at its position
            assert store.event_at(switch.position).event_type == switch.event_type


def test_the_compensated_story_is_found_where_the_saga_entered_compensating(system, case,
                                                                            system_service,
                                                                            tmp_path):
    store = system_service.store
    for request in case.compensation:
        system_service.execute(request.stream_type, request.stream_id, request.command,
                               request.data)
    from explorer.runtime.runner import Runner
    store.close()
    with Runner(store.location, system) as runner:
        runner.run_pending()
    opened, readmodels, find = finder(Path(store.location), system)
    with opened, readmodels:
        found = find.switches("sagas", 'status = "compensating"')
        entered = found.first()
        assert entered is not None and entered.subject == case.compensated_saga
        # the saga's own stream says the same, from its state
        in_stream = find.switches(case.compensated_saga, 'state.status = "compensating"')
        assert in_stream.first().position == entered.position


def test_the_python_evaluator_agrees_with_the_filter_in_sql(system: System, stores):
    """On events' data, the Python evaluator of a condition and the content filter in SQLite
    give the same events, for random filters (the meaning find-when gives a state). SQL reads
    the data as stored, so the evaluator is given the stored form too."""
    from explorer.store.content_filter import parse_filter
    from explorer.store.query import EventQuery
    with open_store(stores[system.name], system=system, read_only=True) as store:
        everything = [(e.position, e.stored.data if e.stored else e.data)
                      for e in store.read_all()]
        maker = ConditionMaker(5, (pair for _, data in everything for pair in paths(data, "data")))
        for _ in range(60):
            text = maker.condition()
            parsed = parse_filter(text)
            holds = predicate(parsed, "data")
            by_sql = list(store.positions(EventQuery(content=parsed)))
            assert [position for position, data in everything if holds(data)] == by_sql, text


def test_a_stream_is_folded_a_chunk_at_a_time_and_can_be_cancelled(stores, monkeypatch):
    store, readmodels, find = finder(stores["shop"], CASES["shop"].system)
    with store, readmodels:
        stream = max(store.list_streams("Inventory"), key=lambda s: s.version)
        whole = find.switches(stream.stream_id, "state.reserved > 0")
        assert len(whole.switches) > 3
        monkeypatch.setattr(when, "MAX_CHUNK", 3)
        calls = []
        chunked = find.switches(stream.stream_id, "state.reserved > 0",
                                progress=lambda done, total: calls.append((done, total)))
        assert chunked == whole and len(calls) >= stream.version // 3
        assert calls[0] == (0, stream.version)

        def cancel(done: int, total: int) -> None:
            if done:
                raise Cancelled
        with pytest.raises(Cancelled):
            find.switches(stream.stream_id, "state.reserved > 0", progress=cancel)
        monkeypatch.setattr(when, "MAX_SWITCHES", 2)
        few = find.switches(stream.stream_id, "state.reserved > 0")
        assert few.truncated and as_tuples(few) == as_tuples(whole)[:2]
        rows = find.switches("order_summary", "total > 0")
        assert rows.truncated and len(rows.switches) == 2


@pytest.mark.parametrize("compact", [False, True], ids=["stream", "rows"])
def test_switches_views(compact):
    listed = (Switch(3, True, "s"), Switch(5, False, "s"), Switch(9, True, "s"))
    kept = (RowSwitchList([(s.position, (s.subject,), s.became) for s in listed]) if compact
            else listed)
    found = Switches("s", "stream", "c", 0, kept)
    assert found.first().position == 3 and found.first(False).position == 5
    assert found.next_after(3).position == 5 and found.next_after(3, True).position == 9
    assert found.next_after(9) is None
    assert found.previous_before(9).position == 5
    assert found.previous_before(9, True).position == 3 and found.previous_before(3) is None
    assert found.positions == [3, 5, 9] and list(found.switches) == list(listed)
    assert found.switches == listed and listed == found.switches
    assert found.switches[1:] == listed[1:] and found.switches[-1] == listed[-1]


def test_row_switches_are_made_when_asked_and_named_by_their_key():
    kept = RowSwitchList([(4, ("order_1", 2), True), (7, ("order_1", 2), False)])
    assert len(kept) == 2 and kept[0] == Switch(4, True, "order_1/2")
    assert kept == RowSwitchList([(4, ("order_1", 2), True), (7, ("order_1", 2), False)])
    assert kept != kept[:1] and kept.positions == [4, 7]
    with pytest.raises(IndexError):
        kept[2]


def test_bad_targets_and_conditions_are_refused_saying_what_to_do(stores):
    store, readmodels, find = finder(stores["shop"], CASES["shop"].system)
    with store, readmodels:
        with pytest.raises(TargetError, match="not a stream of this store.*order_summary"):
            find.switches("no_such_thing", "state.x = 1")
        with pytest.raises(FilterError, match="Unknown field 'totl'.*total"):
            find.switches("order_summary", "totl > 5")
        with pytest.raises(FilterError, match="Unknown field 'total'.*state"):
            find.switches("prod_101", "total > 5")
        with pytest.raises(UnknownFieldError, match="no field state.onhand.*state.on_hand"):
            find.switches("prod_101", "state.onhand < 0")
        with pytest.raises(FilterError, match="more than 100 conditions"):
            find.switches("order_summary", " or ".join(["total > 1"] * 101))
        with pytest.raises(FilterError, match="characters long"):
            find.switches("prod_101", "state.x = " + "1" * 5000)
    with open_store(stores["shop"], system=NO_SYSTEM, read_only=True) as bare:
        nothing = FindWhen(TimeMachine(bare, None, NO_SYSTEM))
        with pytest.raises(TargetError, match="no sagas"):
            nothing.switches("sagas", 'status = "failed"')
        with pytest.raises(TargetError, match="none without a system"):
            nothing.switches("order_summary", "total > 5")


def test_runs_of_rows_whose_versions_come_out_of_order_are_sorted_first():
    # the grouped scan gives a row's versions in key order; were another plan to give them
    # otherwise, the runs are the same
    ordered = [(("a",), "1,5,9", "3,9,-1"), (("b",), "2,4", "3,6")]
    shuffled = [(("a",), "5,1,9", "9,3,-1"), (("b",), "4,2", "6,3")]
    expected = [(1, ("a",), True), (2, ("b",), True), (3, ("a",), False), (3, ("b",), False),
                (4, ("b",), True), (5, ("a",), True), (6, ("b",), False)]
    assert sorted(switches._runs(ordered, 0)) == sorted(switches._runs(shuffled, 0)) == expected
    assert sorted(switches._runs(shuffled, 3)) == expected[4:]
