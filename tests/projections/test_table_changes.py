"""A projection whose tables changed shape (a column added or removed, another key): its
tables are made again and it is rebuilt from the first event, with or without a new version,
saying so; another projection's rows are left as they were; read models opened read-only say
what to do. On a store file and on a PostgreSQL server."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from explorer.demo.projections import StockProjection
from explorer.demo.system import SHOP
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
from explorer.projections.database import (
    ReadModelsOutdatedError,
    describe_changes,
    open_read_models,
)
from explorer.runtime.runner import RunnerStatus
from explorer.store import RecordedEvent
from tests.projections.test_engine import shop

pytestmark = pytest.mark.backends

BEFORE = ("order_id",), ("customer_id", "total")


def orders(keys: Sequence[str] = BEFORE[0], values: Sequence[str] = BEFORE[1],
           version: int = 1) -> Projection:
    """A read model of the orders placed, its table (`placed`) of these key and value
    columns (items: an order's item count, an integer; the others text or a number)."""
    kinds: dict[str, Any] = {"order_id": sa.Text, "customer_id": sa.Text, "total": sa.Float,
                             "items": sa.Integer}
    table = versioned_table("placed", sa.MetaData(), [sa.Column(k, kinds[k]) for k in keys],
                            [sa.Column(v, kinds[v]) for v in values])

    class Placed(Projection):
        name = "placed"
        title = "Orders placed"
        event_types = frozenset({"OrderPlaced"})
        tables = (table,)

        def handle(self, event: RecordedEvent, writes: Any) -> None:
            data = {**event.data, "items": len(event.data["items"])}
            writes.put("placed", tuple(data[k] for k in keys), **{v: data[v] for v in values})

    Placed.version = version
    return Placed()


CHANGES = {
    "added": (BEFORE[0], (*BEFORE[1], "items"), "column items added"),
    "removed": (BEFORE[0], BEFORE[1][:1], "column total removed"),
    "key": (("customer_id", "order_id"), ("total",), "key (order_id) now (customer_id, order_id)"),
}


def build_before(store, service) -> list[dict[str, Any]]:
    """The orders read model as first declared and the stock's, caught up; the stock's rows."""
    shop(service)
    with open_read_models(store.location, False) as db:
        engine = ProjectionEngine(store, db, [orders(), StockProjection()])
        engine.catch_up_all()
        assert [r["order_id"] for r in engine.rows("placed")] == ["order_1", "order_2", "order_3"]
        return stock_versions(db)


def stock_versions(db) -> list[dict[str, Any]]:
    table = StockProjection.tables[0]
    return [dict(row) for row in db.execute(sa.select(table).order_by(
        *table.primary_key.columns)).mappings()]


@pytest.mark.parametrize("bumped", [False, True], ids=["same-version", "new-version"])
@pytest.mark.parametrize("change", sorted(CHANGES))
def test_a_projection_whose_tables_changed_is_made_again_and_rebuilt(
        store, service, change, bumped, caplog):
    stock_before = build_before(store, service)
    keys, values, said = CHANGES[change]
    changed = orders(keys, values, version=2 if bumped else 1)
    with caplog.at_level(logging.WARNING), open_read_models(store.location, False) as db:
        engine = ProjectionEngine(store, db, [changed, StockProjection()])
        placed, stock = engine.statuses()
        assert placed.checkpoint == 0 and placed.state == "rebuilding"
        if bumped:
            assert placed.note == (f"placed's tables changed ({said}) with its version 2: "
                                   "rebuilt from the first event")
            assert not caplog.records
        else:
            assert placed.note == (f"placed's tables changed ({said}) without a new version: "
                                   "rebuilt from the first event")
            assert [r.getMessage() for r in caplog.records] == [
                f"{placed.note} (raise its version when its tables or its handling change)."]
        assert stock.note is None and stock.checkpoint == store.last_position()
        sent = RunnerStatus(0.0, store.last_position(), (placed, stock), (), 0.0).to_dict()
        assert [p.note for p in RunnerStatus.from_dict(sent).projections] == [placed.note, None]
        engine.catch_up_all()
        assert engine.statuses()[0].state == "caught up"
        rows = engine.rows("placed")
        assert [r["order_id"] for r in rows] == ["order_1", "order_2", "order_3"]
        assert list(rows[0]) == [*keys, *values]
        assert rows[1]["customer_id"] == "cust_1"
        if "items" in values:
            assert [r["items"] for r in rows] == [1, 1, 1]
        assert stock_versions(db) == stock_before  # not one version of another's changed
    with open_read_models(store.location, False) as db:  # made again once, not each time
        engine = ProjectionEngine(store, db, [changed, StockProjection()])
        assert engine.statuses()[0].note is None
        assert engine.statuses()[0].checkpoint == store.last_position()


def test_a_rebuild_makes_tables_changed_since_again(store, service):
    build_before(store, service)
    with open_read_models(store.location, False) as db:
        engine = ProjectionEngine(store, db, [orders(*CHANGES["added"][:2])])
        # another program's runner, of the code before, made them as it declares them
        ProjectionEngine(store, db, [orders()]).catch_up_all()
        engine.rebuild("placed")
        assert engine.statuses()[0].note == ("placed's tables changed (column items added) "
                                             "without a new version: rebuilt from the first "
                                             "event")
        assert [r["items"] for r in engine.rows("placed")] == [1, 1, 1]


def test_read_only_read_models_whose_tables_changed_say_what_to_do(store, service):
    build_before(store, service)
    changed = orders(*CHANGES["added"][:2])
    with open_read_models(store.location, False, read_only=True) as db:
        before = stock_versions(db)
        with pytest.raises(ReadModelsOutdatedError) as refused:
            ProjectionEngine(store, db, [changed])
        assert "placed's tables in " in str(refused.value)
        assert "(column items added)" in str(refused.value)
        assert "event-explorer-cli project STORE" in str(refused.value)
        assert "Nothing was changed." in str(refused.value)
        with pytest.raises(ReadModelsOutdatedError, match=r"The table placed in .* \(column "
                           r"items added\), and the read models are opened read-only"):
            read_rows(db, changed.main_table)
        assert stock_versions(db) == before
    with open_read_models(store.location, False) as db:  # nothing was made again
        assert [r["order_id"] for r in read_rows(db, orders().main_table)] == [
            "order_1", "order_2", "order_3"]


def test_writable_read_models_another_programs_code_made_say_so(store, service):
    """(Review: a read on writable read models whose tables another program's other code made
    said that they were opened read-only.)"""
    build_before(store, service)
    changed = orders(*CHANGES["added"][:2])
    with open_read_models(store.location, False) as db, \
            pytest.raises(ReadModelsOutdatedError) as refused:
        read_rows(db, changed.main_table)
    said = str(refused.value)
    assert "(column items added), as another program running other code made them" in said
    assert "read-only" not in said and said.endswith("Nothing was changed.")


def test_tables_made_as_declared_are_never_found_changed(store, service):
    """Every table of a system's read models (the sagas' too), just made, matches its
    declaration as the database reports it back: nothing is rebuilt at each start."""
    shop(service)
    with open_read_models(store.location, False) as db:
        ProjectionEngine(store, db, SHOP.projections()).catch_up_all()
        tables = [t for p in SHOP.projections() for t in p.tables]
        assert len(tables) > 5
        assert db.table_changes(tables) == {}


@pytest.mark.sqlite_only("a what-if branch's read models are a file")
@pytest.mark.parametrize("code", ["same", "added", "key", "new-version"])
def test_a_branch_copies_only_read_models_its_code_built(store, service, tmp_path, code):
    build_before(store, service)
    projection = (orders() if code == "same" else orders(version=2) if code == "new-version"
                  else orders(*CHANGES[code][:2]))
    target = tmp_path / "branch.readmodels"
    source = read_model_path(store.location, False)
    branch_read_models(source, target, [projection], store.last_position())
    with ReadModelDatabase(target) as db:
        rows = read_rows(db, projection.main_table)
        checkpoint = projection_state_of(db, "placed")
    if code == "same":
        assert [r["order_id"] for r in rows] == ["order_1", "order_2", "order_3"]
        assert checkpoint == store.last_position()
    else:  # another version's rows, or tables of another shape: the branch builds its own
        assert rows == [] and checkpoint == 0


def test_a_change_is_said_by_column_and_key_and_types_by_what_they_hold():
    before = orders().main_table
    found = {c.name: c.type for c in before.columns}
    key = [c.name for c in before.primary_key.columns]
    dialect = postgresql.dialect()
    assert describe_changes(before, found, key, dialect) == ""
    retyped = {**found, "total": postgresql.DOUBLE_PRECISION(), "order_id":
               sa.VARCHAR(20)}  # (the server's words for what was declared)
    assert describe_changes(before, retyped, key, dialect) == ""
    assert describe_changes(before, {**found, "total": sa.Text()}, key, dialect) == (
        "column total now FLOAT, not TEXT")
    wider = orders(("customer_id", "order_id"), ("total", "items")).main_table
    assert describe_changes(wider, found, key, dialect) == (
        "column items added, key (order_id) now (customer_id, order_id)")
