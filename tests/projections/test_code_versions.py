"""Two code versions of one projection over one store's read models (review finding 5): a
runner of the old code still going when one of the new code starts (two windows, a window and
`run`, before and after an upgrade). Both keep the read model in the same tables, so the last one
to start owns them: the new version starts the read model over, and the old one must then leave
it alone, never writing its rows into the read model the new code is making."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from explorer.demo.projections import StockProjection
from explorer.projections import ProjectionEngine, versioned_table
from explorer.projections.database import open_read_models
from tests.projections.test_engine import shop

pytestmark = pytest.mark.backends


class StockV2(StockProjection):
    """The next version of the stock projection: its rows tell themselves from the old
    version's (a product's name ends in " (v2)")."""

    version = 2

    def handle(self, event, writes):
        super().handle(event, writes)
        row = writes.get("stock", event.stream_id)
        if not row["name"].endswith(" (v2)"):
            writes.put("stock", (event.stream_id,), **{**row, "name": f"{row['name']} (v2)"})


def test_an_old_code_version_leaves_the_read_model_a_new_one_took_over(service, store):
    shop(service)
    with open_read_models(store.location, False) as old_db, \
            open_read_models(store.location, False) as new_db:
        old = ProjectionEngine(store, old_db, [StockProjection()])
        old.catch_up_all()
        assert old.rows("stock")[0]["name"] == "Widget"
        new = ProjectionEngine(store, new_db, [StockV2()])  # starts the read model over
        assert new.statuses()[0].checkpoint == 0
        service.execute("Inventory", "prod_101", "receive_stock", {"quantity": 5})
        assert old.catch_up("stock") == 0  # the old runner's next round: nothing written
        new.catch_up("stock")
        old.catch_up("stock")
        [row] = new.rows("stock")
        assert row["name"] == "Widget (v2)" and row["on_hand"] == 55
        assert new.statuses()[0].processed == 2  # each event handled once, by the new code


def test_an_old_code_version_stops_even_when_the_new_one_starts_meanwhile(service, store,
                                                                         monkeypatch):
    # the new version starts just after the old one has read where it stands (both at 0)
    shop(service)
    with open_read_models(store.location, False) as old_db, \
            open_read_models(store.location, False) as new_db:
        old = ProjectionEngine(store, old_db, [StockProjection()])
        started: list[ProjectionEngine] = []
        state = old._state

        def new_version_starts_meanwhile(name):
            read = state(name)
            if not started:
                started.append(ProjectionEngine(store, new_db, [StockV2()]))
            return read

        monkeypatch.setattr(old, "_state", new_version_starts_meanwhile)
        assert old.catch_up("stock") == 0
        [new] = started
        new.catch_up("stock")
        [row] = new.rows("stock")
        assert row["name"] == "Widget (v2)" and row["on_hand"] == 50


class FailingStock(StockProjection):
    """The old code, with a bug: it fails on a product's second event."""

    def handle(self, event, writes):
        if writes.get("stock", event.stream_id) is not None:
            raise RuntimeError("old code bug")
        super().handle(event, writes)


def test_an_old_code_versions_fault_is_not_recorded_on_the_new_ones_read_model(
        service, store, monkeypatch):
    """The old code fails in a chunk; the new version starts between that chunk's rollback
    and the transaction recording the fault: the fault and the rows before it are the old
    code's, and the new read model keeps neither (failed before: its checkpoint moved on, the
    old rows in it, and the old code's fault on it)."""
    shop(service)
    service.execute("Inventory", "prod_101", "receive_stock", {"quantity": 5})
    with open_read_models(store.location, False) as old_db, \
            open_read_models(store.location, False) as new_db:
        old = ProjectionEngine(store, old_db, [FailingStock()])
        started = []
        discard = old._discard

        def new_version_starts_meanwhile(runtime):
            discard(runtime)
            if not started:  # (after the chunk rolled back, before the fault is recorded)
                started.append(ProjectionEngine(store, new_db, [StockV2()]))
        monkeypatch.setattr(old, "_discard", new_version_starts_meanwhile)
        old.catch_up("stock")
        [new] = started
        status = new.statuses()[0]
        assert status.fault is None and status.checkpoint == 0 and new.rows("stock") == []


def test_an_old_code_version_may_not_rebuild_the_new_ones_read_model(service, store):
    shop(service)
    with open_read_models(store.location, False) as old_db, \
            open_read_models(store.location, False) as new_db:
        old = ProjectionEngine(store, old_db, [StockProjection()])
        new = ProjectionEngine(store, new_db, [StockV2()])
        new.catch_up("stock")
        made = new.rows("stock")
        with pytest.raises(ValueError, match="version 2 of its code.*Nothing was emptied"):
            old.rebuild("stock")  # (an old window's Rebuild: emptied it before)
        assert new.rows("stock") == made and new.statuses()[0].checkpoint > 0


def test_a_read_model_emptied_by_another_engine_is_made_again_from_nothing(service, store):
    """Another window's Rebuild empties the read model under an engine that remembers its
    rows: that engine forgets them, so the rows are made again as they were (failed before:
    added to what it remembered, 55 on hand became 110)."""
    shop(service)
    service.execute("Inventory", "prod_101", "receive_stock", {"quantity": 5})
    with open_read_models(store.location, False) as a_db, \
            open_read_models(store.location, False) as b_db:
        a = ProjectionEngine(store, a_db, [StockProjection()])
        b = ProjectionEngine(store, b_db, [StockProjection()])
        b.catch_up("stock")
        made = b.rows("stock")
        a.reset("stock")
        b.catch_up("stock")
        assert b.rows("stock") == made


def test_an_old_code_versions_status_says_that_another_version_keeps_the_read_model(service,
                                                                                   store,
                                                                                   caplog):
    """(Helper G: a plug-in's `run` of the old code, left going while `project` of the new one
    took the read model over, said 'tickets caught up' on and on, as did the old code's window:
    its rows were the new code's, which it no longer wrote.)"""
    shop(service)
    with open_read_models(store.location, False) as old_db, \
            open_read_models(store.location, False) as new_db:
        old = ProjectionEngine(store, old_db, [StockProjection()])
        old.catch_up_all()
        assert old.statuses()[0].note is None
        new = ProjectionEngine(store, new_db, [StockV2()])
        new.catch_up("stock")
        old.catch_up("stock")
        old.catch_up("stock")
        [status] = old.statuses()
        assert status.note == ("stock is kept by version 2 of its code, started since by "
                               "another program; this one runs version 1 and no longer writes "
                               "it: its rows are version 2's")
        assert new.statuses()[0].note is None
    # (said once on stderr too, where `run` of the old code shows its status lines)
    assert [r.getMessage() for r in caplog.records if "is kept by" in r.getMessage()] == [
        f"{status.note}."]


stock_with_unit = versioned_table("stock", sa.MetaData(), [sa.Column("product_id", sa.Text)], [
    sa.Column("name", sa.Text), sa.Column("on_hand", sa.Integer),
    sa.Column("reserved", sa.Integer), sa.Column("available", sa.Integer),
    sa.Column("unit", sa.Text)])


class StockWithUnit(StockProjection):
    """Other code of the stock projection at the same version: a column more (a plug-in's
    change made without raising its version, which the engine warns of)."""

    tables = (stock_with_unit,)

    def handle(self, event, writes):
        super().handle(event, _WithUnit(writes))


class _WithUnit:
    def __init__(self, writes):
        self.writes = writes

    def get(self, table, *key):
        return self.writes.get(table, *key)

    def put(self, table, key, **values):
        self.writes.put(table, key, **{**values, "unit": "pcs"})


def test_an_old_code_whose_tables_another_code_made_again_leaves_them_alone(service, store,
                                                                           caplog):
    """(Helper G: a plug-in's `run` of one version, its projection's tables made again by
    `project` of the next (a column removed, the version not raised), ended in a traceback at
    the next event: 'sqlite3.OperationalError: no such column: tickets.issued_at'.)"""
    shop(service)
    with open_read_models(store.location, False) as old_db, \
            open_read_models(store.location, False) as new_db:
        old = ProjectionEngine(store, old_db, [StockProjection()])
        old.catch_up_all()
        new = ProjectionEngine(store, new_db, [StockWithUnit()])  # makes the tables again
        new.catch_up("stock")
        service.execute("Inventory", "prod_101", "receive_stock", {"quantity": 5})
        assert old.catch_up("stock") == 0  # (raised before: no such column: stock.unit)
        new.catch_up("stock")
        [row] = new.rows("stock")
        assert row["unit"] == "pcs" and row["on_hand"] == 55
        [status] = old.statuses()
        assert status.note == ("stock's tables were made again otherwise by another program, "
                               "running other code of it (this code's tables differ: column "
                               "unit removed); this one no longer writes them: their rows are "
                               "that code's")
        old.rebuild("stock")  # (its Rebuild makes them its own again)
        assert "unit" not in old.rows("stock")[0]
        assert old.statuses()[0].note.startswith("stock's tables changed (column unit removed)")
        assert old.rows("stock")[0]["on_hand"] == 55
    assert [r.getMessage() for r in caplog.records if "made again otherwise" in r.getMessage()] == [
        f"{status.note}."]
