"""No projection may name a table as one of the read models' own (review: a projection table
named `projection_resets` was dropped and made again as the projection's when its shape changed,
and the engine ended in a traceback; named `projection_state`, every checkpoint would go)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from explorer.demo.seed import seed_store
from explorer.demo.system import SHOP
from explorer.domain import DefinitionError
from explorer.projections import Projection, Writes, versioned_table
from explorer.projections.reserved import OWN_MARKS, OWN_TABLES, reserved_table_name
from explorer.runtime.runner import Runner
from explorer.store import RecordedEvent
from explorer.system import System
from explorer.system.workspace import open_store


def projection_keeping(table_name: str) -> type[Projection]:
    class Kept(Projection):
        name = "kept"
        tables = (versioned_table(table_name, sa.MetaData(), [sa.Column("k", sa.Text)],
                                  [sa.Column("v", sa.Text)]),)

        def handle(self, event: RecordedEvent, writes: Writes) -> None:
            """(Never run here.)"""

    return Kept


@pytest.mark.parametrize("name", [*sorted(OWN_TABLES), "Projection_State", "sqlite_stat1",
                                  "orders__search", "orders__search_data", "orders__probe"])
def test_a_projection_naming_a_table_as_the_read_models_own_is_refused(name):
    kept = projection_keeping(name)
    with pytest.raises(DefinitionError, match=f"The projection kept of Mine keeps a table named "
                                              f"'{name}', which no projection may use"):
        System(name="mine", title="Mine", domain=SHOP.domain, projections=lambda: [kept()])
    assert reserved_table_name("orders") is None


def test_the_reserved_names_are_every_table_of_a_read_model_file_but_the_projections(tmp_path):
    path = tmp_path / "shop.evstore"
    with open_store(path, system=SHOP, create=True) as store:
        seed_store(store, orders=5, seed=2)
    with Runner(str(path), SHOP) as runner:
        runner.run_pending()
        declared = {t.name for p in SHOP.projections() for t in p.tables}
        held = set(sa.inspect(runner.db.engine).get_table_names())
    others = {name for name in held - declared if not any(m in name for m in OWN_MARKS)}
    assert others <= OWN_TABLES, others - OWN_TABLES
