"""A projection reads only the event fields it names (Projection.event_fields): the rest come
as None. Each of the demo shop's projections and saga instances, given only the fields it
names, makes the same read model, every version of every row, as given every field: a field
it uses but does not name would show here as a difference."""

from __future__ import annotations

from explorer.demo.system import SHOP
from explorer.projections import ProjectionEngine, ReadModelDatabase
from tests.projections.seeded_shop import shop_store_fixtures

seeded, shop_store = shop_store_fixtures("event_fields", orders=80, days=4)


def every_row(database: ReadModelDatabase, projections) -> dict[str, list[tuple]]:
    return {table.name: sorted(database.db.execute(f'SELECT * FROM "{table.name}"').fetchall(),
                               key=repr)
            for projection in projections for table in projection.tables}


def test_the_shops_projections_read_every_field_they_use(shop_store, tmp_path):
    named = SHOP.projections()
    assert any(projection.event_fields is not None for projection in named)
    everything = SHOP.projections()
    for projection in everything:
        projection.event_fields = None  # (this instance only: every field)
    made = {}
    for label, projections in (("named", named), ("every", everything)):
        with ReadModelDatabase(tmp_path / f"{label}.db") as database:
            ProjectionEngine(shop_store, database, projections).catch_up_all()
            made[label] = every_row(database, projections)
    assert made["named"] == made["every"]
    assert sum(len(rows) for rows in made["named"].values()) > 500

