"""Two code versions of one projection over one store's read models (review finding 5): a
runner of the old code still going when one of the new code starts (two windows, a window and
`run`, before and after an upgrade). Both keep the read model in the same tables, so the last one
to start owns them: the new version starts the read model over, and the old one must then leave
it alone, never writing its rows into the read model the new code is making."""

from __future__ import annotations

import pytest

from explorer.demo.projections import StockProjection
from explorer.projections import ProjectionEngine
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
