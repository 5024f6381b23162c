"""Fidelity: what time travel shows at position P equals a full replay of events 1..P.

Hypothesis generates histories (seeded simulations of different sizes and shapes) and random
positions, and compares, for every aggregate type, read model and saga, the answer at P with
one computed from nothing but the events up to P; for each example system (its own seeder
makes its histories), and for a store file and a store on a PostgreSQL server (its read models
on the server too).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from explorer.projections import ProjectionEngine, ReadModelDatabase, read_rows
from explorer.projections.database import open_read_models
from explorer.runtime.runner import Runner
from explorer.sagas import ProcessManager
from explorer.sagas.instances import SagaInstancesProjection
from explorer.store.errors import StreamNotFoundError
from explorer.store.records import RecordedEvent
from explorer.system import System
from explorer.system.workspace import open_store
from explorer.timetravel.machine import TimeMachine, diff
from tests.sagas.agreement import assert_row_says_what_its_steps_say

pytestmark = pytest.mark.backends


class UpTo:
    """A store as it was at position P: the projection engine sees nothing later."""

    def __init__(self, store, position: int) -> None:
        self.store = store
        self.position = position

    def last_position(self) -> int:
        return self.position

    def _bounded(self, query):
        return type(query)(**{**{f: getattr(query, f) for f in query.__dataclass_fields__},
                              "to_position": min(query.to_position or self.position,
                                                 self.position)})

    def query(self, query, **kwargs):
        return self.store.query(self._bounded(query), **kwargs)

    def query_lazily(self, query, **kwargs):
        return self.store.query_lazily(self._bounded(query), **kwargs)

    def query_for_projection(self, query, fields=None):
        return self.store.query_for_projection(self._bounded(query), fields)

    def event_at(self, position: int) -> RecordedEvent:
        return self.store.event_at(position)


def replay(store, system: System, stream_id: str, position: int) -> dict:
    """The aggregate folded from its events up to P, with no snapshot and no shortcut."""
    stream = [e for e in store.read_stream(stream_id) if e.position <= position]
    aggregate = system.domain.aggregate_class(stream[0].stream_type)(stream_id) \
        if stream else None
    for event in stream:
        aggregate.apply(event.event_type, event.data)
    return aggregate.state() if aggregate else {}


@pytest.fixture(scope="module")
def histories(tmp_path_factory):
    return tmp_path_factory.mktemp("histories")


@pytest.fixture
def history_at(backend, histories, request) -> Callable[[str], str]:
    """Where the history named NAME lives: a file in the module's folder, or a schema of that
    name on the server (kept for the session: a history is made once)."""
    if backend == "sqlite":
        return lambda name: str(histories / f"{name}.evstore")
    server = request.getfixturevalue("postgres_server")
    request.getfixturevalue("private_cache")
    return lambda name: server.url(schema=name)


_made: set[str] = set()


def build(history_at: Callable[[str], str], system: System, seed: int, size: int, days: int,
          snapshot_every: int) -> str:
    """A history made by the system's seeder (`size` orders, loans, ...), with snapshots of
    its aggregates every `snapshot_every` events, and its read models built."""
    location = history_at(f"{system.name}_h{seed}_{size}_{days}_{snapshot_every}")
    if location not in _made:
        aggregates = [cls for cls in system.domain.aggregates.values() if cls.snapshot_every]
        old = [cls.snapshot_every for cls in aggregates]
        for cls in aggregates:
            cls.snapshot_every = snapshot_every
        try:
            with open_store(location, system=system, create=True) as store:
                system.seeder.seed(store, size=size, seed=seed, days=days, recent=False)
        finally:
            for cls, every in zip(aggregates, old, strict=True):
                cls.snapshot_every = every
        with Runner(location, system, run_sagas=False) as runner:
            runner.run_pending()
        _made.add(location)
    return location


def built_read_models(location: str) -> ReadModelDatabase:
    """The read models the runner built for the store at `location` (beside it, or on the
    server), opened read-only."""
    return open_read_models(location, False, read_only=True)


def saga_streams(store, system: System) -> list[str]:
    return [stream.stream_id for saga in system.sagas
            for stream in store.list_streams(saga.stream_type)]


def rows_table_of(system: System, saga: type[ProcessManager]):
    """The table of the read model that lists the instances of a saga."""
    return next(p.rows_table for p in system.projections()
                if isinstance(p, SagaInstancesProjection) and p.saga is saga)


HISTORY = st.tuples(st.integers(0, 5), st.integers(3, 40), st.integers(1, 20),
                    st.sampled_from([2, 5, 100]))


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(history=HISTORY, fraction=st.floats(0, 1), pick=st.integers(0, 10**6))
def test_every_aggregate_at_p_equals_a_full_replay(system, history_at, history, fraction, pick):
    location = build(history_at, system, *history)
    with open_store(location, system=system, read_only=True) as store:
        machine = TimeMachine(store, None, system)
        position = max(1, int(store.last_position() * fraction))
        streams = store.list_streams()
        for stream in (streams[pick % len(streams)], streams[(pick * 7 + 3) % len(streams)]):
            expected = replay(store, system, stream.stream_id, position)
            if not expected:
                continue  # the stream did not exist yet at P
            shown = machine.aggregate_at(stream.stream_id, position)
            assert shown.state == expected, (stream.stream_id, position)
            before = replay(store, system, stream.stream_id, shown.event.position - 1)
            assert shown.previous == before
            assert shown.changes == diff(before, expected)


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(history=HISTORY, fraction=st.floats(0, 1))
def test_every_read_model_at_p_equals_one_built_from_events_up_to_p(system, history_at,
                                                                   tmp_path_factory, history,
                                                                   fraction):
    location = build(history_at, system, *history)
    fresh_path = tmp_path_factory.mktemp("fresh") / "fresh.readmodels"
    with open_store(location, system=system, read_only=True) as store, \
            built_read_models(location) as built, \
            ReadModelDatabase(fresh_path) as fresh:
        position = int(store.last_position() * fraction)
        ProjectionEngine(UpTo(store, position), fresh, system.projections()).catch_up_all()
        for projection in system.projections():
            name = projection.name
            for table in projection.tables:
                assert read_rows(built, table, at_position=position, limit=None) == \
                    read_rows(fresh, table, limit=None), (name, table.name, position)


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(history=HISTORY, fraction=st.floats(0, 1), pick=st.integers(0, 10**6))
def test_sagas_at_p_equal_a_replay_of_their_streams(system, history_at, history, fraction,
                                                    pick):
    location = build(history_at, system, *history)
    with open_store(location, system=system, read_only=True) as store, \
            built_read_models(location) as built:
        machine = TimeMachine(store, built, system)
        position = max(1, int(store.last_position() * fraction))
        sagas = saga_streams(store, system)
        saga = sagas[pick % len(sagas)]
        expected = replay(store, system, saga, position)
        if not expected:
            return
        shown = machine.saga_at(saga, position)
        assert shown.status == expected["status"]
        assert [s.step for s in shown.steps] == list(expected["steps"])
        for step in shown.steps:  # no step is shown done by an event after P
            assert step.event_position is None or step.event_position <= position
        moment = machine.moment(position)
        listed = {row["saga_id"]: row["status"] for row in moment.sagas.rows}
        if saga in listed:
            assert listed[saga] == expected["status"]


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(history=HISTORY, fractions=st.lists(st.floats(0, 1), min_size=3, max_size=6),
       pick=st.integers(0, 10**6))
def test_saga_rows_at_p_agree_with_their_steps_at_p(system, history_at, history, fractions,
                                                    pick):
    """At every position around one saga's life (each event of its order's chain, and the
    position before it) and at random positions for a few sagas, the saga's row as of P and its
    steps as of P say the same: status, each step's status, counts and current step."""
    location = build(history_at, system, *history)
    with open_store(location, system=system, read_only=True) as store, \
            built_read_models(location) as built:
        machine = TimeMachine(store, built, system)
        last = store.last_position()
        sagas = saga_streams(store, system)
        saga = sagas[pick % len(sagas)]
        saga_instances = rows_table_of(system, system.saga_owning(
            store.stream_info(saga).stream_type))
        chain = store.events_by_correlation(store.read_stream(saga)[0].correlation_id)
        checks = [(saga, p) for event in chain for p in (event.position - 1, event.position)]
        for number, fraction in enumerate(fractions):
            position = max(1, int(last * fraction))
            rows = read_rows(built, saga_instances, at_position=position, limit=None)
            checks += [(row["saga_id"], position) for row in rows[number::max(1, len(rows) // 5)]]
        for saga_id, position in checks:
            row = read_rows(built, saga_instances, at_position=position,
                            where={"saga_id": saga_id})
            try:
                shown = machine.saga_at(saga_id, position)
            except StreamNotFoundError:
                assert not row, (saga_id, position)
                continue
            assert_row_says_what_its_steps_say(row[0], shown.status, shown.steps)


@settings(max_examples=10, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(history=HISTORY, fraction=st.floats(0, 1), page=st.integers(1, 30))
def test_read_model_pages_at_p_add_up_to_every_row_valid_then(system, history_at, history,
                                                             fraction, page):
    location = build(history_at, system, *history)
    with open_store(location, system=system, read_only=True) as store, \
            built_read_models(location) as built:
        machine = TimeMachine(store, built, system)
        position = max(1, int(store.last_position() * fraction))
        for projection in system.projections():
            name = projection.name
            if isinstance(projection, SagaInstancesProjection):
                continue
            rows, offset, more = [], 0, True
            while more:
                at = machine.read_model_at(name, position, page, offset)
                assert len(at.rows) <= page and (not at.more or len(at.rows) == page)
                rows += at.rows
                offset, more = offset + len(at.rows), at.more
            keys = projection.main_table.info["keys"]
            expected = read_rows(built, projection.main_table, at_position=position, limit=None)
            assert sorted(tuple(r[k] for k in keys) for r in rows) == \
                sorted(tuple(r[k] for k in keys) for r in expected), (name, position)
