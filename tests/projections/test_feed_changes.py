"""A projection whose code reads other event types than its read model was built from (a type
added to or removed from `event_types` without a new version): the read model is rebuilt from
the first event, saying so, rather than shown as if the events of a type added had been
handled; read models opened read-only say what to do; another program's runner of other code
that rebuilt it is left alone; a what-if branch builds it itself. Read models made before the
types were kept are taken as they are. On a store file and on a PostgreSQL server."""

from __future__ import annotations

import logging
from typing import Any

import pytest
import sqlalchemy as sa

from explorer.projections import (
    Projection,
    ProjectionEngine,
    ReadModelDatabase,
    projection_state_of,
    read_model_path,
    read_rows,
    versioned_table,
)
from explorer.projections.branching import branch_read_models
from explorer.projections.database import ReadModelsOutdatedError, open_read_models
from explorer.store import RecordedEvent
from tests.projections.test_engine import shop

pytestmark = pytest.mark.backends

PLACED = frozenset({"OrderPlaced"})
BOTH = frozenset({"OrderPlaced", "CustomerRegistered"})


def counts(event_types: frozenset[str], version: int = 1) -> Projection:
    """A read model of how many events of each type it read (`counted`)."""
    table = versioned_table("counted", sa.MetaData(), [sa.Column("event_type", sa.Text)],
                            [sa.Column("events", sa.Integer)])

    class Counted(Projection):
        name = "counted"
        title = "Events counted"
        tables = (table,)

        def handle(self, event: RecordedEvent, writes: Any) -> None:
            row = writes.get("counted", event.event_type)
            writes.put("counted", (event.event_type,), events=(row or {"events": 0})["events"] + 1)

    Counted.event_types = event_types
    Counted.version = version
    return Counted()


def counted(engine: ProjectionEngine) -> dict[str, int]:
    return {row["event_type"]: row["events"] for row in engine.rows("counted")}


def build(store, service, event_types: frozenset[str] = PLACED) -> None:
    shop(service)
    with open_read_models(store.location, False) as db:
        engine = ProjectionEngine(store, db, [counts(event_types)])
        engine.catch_up_all()
        assert counted(engine) == {t: {"OrderPlaced": 3, "CustomerRegistered": 1}[t]
                                   for t in event_types}


@pytest.mark.parametrize("change", ["added", "removed"])
def test_a_projection_reading_other_event_types_is_rebuilt_saying_so(
        store, service, change, caplog):
    before, after = (PLACED, BOTH) if change == "added" else (BOTH, PLACED)
    build(store, service, before)
    with caplog.at_level(logging.WARNING), open_read_models(store.location, False) as db:
        engine = ProjectionEngine(store, db, [counts(after)])
        status = engine.statuses()[0]
        assert status.checkpoint == 0 and status.state == "rebuilding"
        assert status.note == (f"counted's event types changed (CustomerRegistered {change}) "
                               "without a new version: rebuilt from the first event")
        assert [r.getMessage() for r in caplog.records] == [
            f"{status.note} (raise its version when its event types or its handling change)."]
        engine.catch_up_all()
        assert counted(engine) == ({"OrderPlaced": 3, "CustomerRegistered": 1}
                                   if change == "added" else {"OrderPlaced": 3})
    with open_read_models(store.location, False) as db:  # rebuilt once, not at each start
        engine = ProjectionEngine(store, db, [counts(after)])
        assert engine.statuses()[0].note is None
        assert engine.statuses()[0].checkpoint == store.last_position()


def test_the_same_event_types_in_another_order_rebuild_nothing(store, service):
    build(store, service, BOTH)
    with open_read_models(store.location, False) as db:
        engine = ProjectionEngine(store, db, [counts(frozenset(reversed(sorted(BOTH))))])
        assert engine.statuses()[0].checkpoint == store.last_position()
        assert engine.statuses()[0].note is None


def test_a_new_version_reading_other_types_is_rebuilt_without_a_warning(store, service, caplog):
    build(store, service, PLACED)
    with caplog.at_level(logging.WARNING), open_read_models(store.location, False) as db:
        engine = ProjectionEngine(store, db, [counts(BOTH, version=2)])
        assert engine.statuses()[0].checkpoint == 0 and engine.statuses()[0].note is None
        assert not caplog.records
        engine.catch_up_all()
        assert counted(engine) == {"OrderPlaced": 3, "CustomerRegistered": 1}


def test_read_models_made_before_their_types_were_kept_are_taken_as_they_are(store, service):
    build(store, service, PLACED)
    with open_read_models(store.location, False) as db, db.transaction() as made_before:
        made_before.execute("DROP TABLE projection_feeds")
    with open_read_models(store.location, False) as db:
        engine = ProjectionEngine(store, db, [counts(PLACED)])
        assert engine.statuses()[0].checkpoint == store.last_position()
    with open_read_models(store.location, False) as db:  # kept from now on
        engine = ProjectionEngine(store, db, [counts(BOTH)])
        assert engine.statuses()[0].checkpoint == 0


def test_read_only_read_models_built_from_other_types_say_what_to_do(store, service):
    build(store, service, PLACED)
    with open_read_models(store.location, False, read_only=True) as db:
        with pytest.raises(ReadModelsOutdatedError) as refused:
            ProjectionEngine(store, db, [counts(BOTH)])
        said = str(refused.value)
        assert "counted's event types in " in said
        assert "(CustomerRegistered added)" in said
        assert "event-explorer-cli project STORE" in said and said.endswith("Nothing was changed.")
        ProjectionEngine(store, db, [counts(PLACED)])  # the code it was built by: shown
    with open_read_models(store.location, False) as db:  # nothing was rebuilt
        assert projection_state_of(db, "counted") == store.last_position()


def test_another_programs_rebuild_from_other_types_is_left_alone(store, service, caplog):
    build(store, service, PLACED)
    with open_read_models(store.location, False) as db:
        mine = ProjectionEngine(store, db, [counts(PLACED)])
        other = ProjectionEngine(store, db, [counts(BOTH)])  # started since: rebuilds it
        other.catch_up_all()
        service.execute("Order", "order_9", "place", {
            "customer_id": "cust_1", "total": 1.0,
            "items": [{"product_id": "prod_101", "quantity": 1, "price": 1.0}]})
        caplog.clear()  # (the other's rebuild said why)
        with caplog.at_level(logging.WARNING):
            assert mine.catch_up_all() == 0  # writes nothing into the other code's
        status = mine.statuses()[0]
        assert status.note == (
            "counted's read model was made again by another program, running other code of "
            "it, from other event types (this code's differ: CustomerRegistered removed); this "
            "one no longer writes it: its rows are that code's")
        assert [r.getMessage() for r in caplog.records] == [f"{status.note}."]
        other.catch_up_all()
        assert counted(other) == {"OrderPlaced": 4, "CustomerRegistered": 1}
        mine.rebuild("counted")  # the user's rebuild takes it back, with this code's types
        assert counted(mine) == {"OrderPlaced": 4}
        assert mine.statuses()[0].note is None


@pytest.mark.sqlite_only("a what-if branch's read models are a file")
def test_a_branch_copies_no_read_model_built_from_other_types(store, service, tmp_path):
    build(store, service, PLACED)
    source = read_model_path(store.location, False)
    for event_types, copied in ((PLACED, True), (BOTH, False)):
        target = tmp_path / f"branch-{len(event_types)}.readmodels"
        projection = counts(event_types)
        branch_read_models(source, target, [projection], store.last_position())
        with ReadModelDatabase(target) as db:
            rows = read_rows(db, projection.main_table)
            checkpoint = projection_state_of(db, "counted")
        assert (rows != [], checkpoint == store.last_position()) == (copied, copied)


def test_event_types_given_as_a_tuple_or_a_list_are_compared_as_a_set(store, service):
    """A projection may list its types in any collection (the system's checks take any): one
    given as a tuple failed to start once they changed (TypeError: tuple - set)."""
    build(store, service, PLACED)
    for event_types in (("CustomerRegistered", "OrderPlaced"), ["OrderPlaced"]):
        with open_read_models(store.location, False) as db:
            engine = ProjectionEngine(store, db, [counts(event_types)])  # type: ignore[arg-type]
            assert engine.statuses()[0].checkpoint == 0
            changed = "added" if len(event_types) == 2 else "removed"
            assert engine.statuses()[0].note == (
                f"counted's event types changed (CustomerRegistered {changed}) without a new "
                "version: rebuilt from the first event")
            engine.catch_up_all()


@pytest.mark.parametrize("other", ["event types", "version"])
def test_the_runner_of_other_code_lets_the_one_that_took_it_over_advance_it(
        store, service, other):
    """On a server each projection is advanced by the runner holding its lock: the runner whose
    read model another program's code took over (other event types, or a newer version) wrote
    nothing more but kept the lock, so the program that rebuilt it never could: it stayed empty
    for as long as the first ran. It lets go of it now (a file's runners share every one)."""
    from explorer.demo.system import SHOP
    from explorer.runtime.runner import Runner

    build(store, service, PLACED)
    taking = counts(BOTH) if other == "event types" else counts(PLACED, version=2)
    with Runner(store.location, SHOP, run_sagas=False, projections=[counts(PLACED)]) as first:
        first.run_pending()  # (it advances counted)
        with Runner(store.location, SHOP, run_sagas=False, projections=[taking]) as second:
            for _ in range(3):  # (passes taking turns)
                first.run_pending()
                second.run_pending()
            assert projection_state_of(second.db, "counted") == store.last_position()
            assert counted(second.engine) == {t: {"OrderPlaced": 3, "CustomerRegistered": 1}[t]
                                              for t in taking.event_types}
            assert first.status().projections[0].note is not None  # (it says why it stopped)


@pytest.mark.parametrize("other", ["event types", "version"])
def test_a_runner_advances_again_what_a_program_of_its_code_took_back(store, service, other):
    """A runner whose read model another program's code took over handed it over for good
    (7ef9cdf): once a program running this runner's code had started it over again (and
    stopped), no runner advanced it, though this one runs that code: it stayed behind, its
    status saying nothing. It is this runner's again, from where that program left it."""
    from explorer.demo.system import SHOP
    from explorer.runtime.runner import Runner

    build(store, service, PLACED)
    taking = counts(BOTH) if other == "event types" else counts(PLACED, version=2)
    with Runner(store.location, SHOP, run_sagas=False, projections=[counts(PLACED)]) as first:
        first.run_pending()
        with Runner(store.location, SHOP, run_sagas=False, projections=[taking]) as second:
            first.run_pending()  # (it hands counted over)
            second.run_pending()
        with Runner(store.location, SHOP, run_sagas=False,
                    projections=[counts(PLACED)]) as again:  # (this code: it starts it over)
            again.run_pending()
        service.execute("Order", "order_9", "place", {
            "customer_id": "cust_1", "total": 29.99,
            "items": [{"product_id": "prod_101", "quantity": 1, "price": 29.99}]})
        first.run_pending()
        assert projection_state_of(first.db, "counted") == store.last_position()
        assert counted(first.engine) == {"OrderPlaced": 4}
        assert first.status().projections[0].note is None


@pytest.mark.parametrize(("before", "after", "said"), [
    (frozenset(), PLACED, "from every event type to OrderPlaced"),
    (PLACED, frozenset(), "from OrderPlaced to every event type")])
def test_a_change_from_or_to_every_event_type_is_said_as_such(store, service, before, after,
                                                              said):
    """A projection declaring no event types reads every type's events: one whose types went
    from none to OrderPlaced alone was said to have had 'OrderPlaced added', as if it read
    more now rather than less (and 'OrderPlaced removed' the other way)."""
    shop(service)
    with open_read_models(store.location, False) as db:
        ProjectionEngine(store, db, [counts(before)]).catch_up_all()
    with open_read_models(store.location, False) as db:
        engine = ProjectionEngine(store, db, [counts(after)])
        assert engine.statuses()[0].note == (f"counted's event types changed ({said}) without "
                                             "a new version: rebuilt from the first event")


def test_a_read_model_other_code_started_over_again_is_looked_at_once(store, service,
                                                                     monkeypatch):
    """A runner asks, each pass, whether a projection it handed over was started over by its
    own code since: one that other code started over again is looked at (its tables read)
    once, not at every pass after."""
    from explorer.demo.system import SHOP
    from explorer.runtime.runner import Runner

    build(store, service, PLACED)
    with Runner(store.location, SHOP, run_sagas=False, projections=[counts(PLACED)]) as first:
        first.run_pending()
        with Runner(store.location, SHOP, run_sagas=False, projections=[counts(BOTH)]):
            first.run_pending()  # (it hands counted over)
        with Runner(store.location, SHOP, run_sagas=False, projections=[counts(BOTH)]) as other:
            other.engine.rebuild("counted")  # (other code starts it over again)
        looked: list[object] = []
        table_changes = type(first.db).table_changes
        monkeypatch.setattr(type(first.db), "table_changes",
                            lambda db, tables: looked.append(tables) or table_changes(db, tables))
        for _ in range(3):
            first.run_pending()
        assert len(looked) == 1 and "counted" in first.engine.handed_over
