"""Searching read models: by id or any column, from an index the engine keeps up to date (on a
store file; on a PostgreSQL server, the rows' columns are searched without an index)."""

from __future__ import annotations

import sqlite3

import pytest

from explorer.demo.projections import order_summary, shop_projections, stock
from explorer.projections import (
    ProjectionEngine,
    ReadModelDatabase,
    SearchNotReadyError,
    count_rows,
    read_model_path,
    read_rows,
)
from explorer.projections.database import SCHEMA_VERSION, open_read_models
from explorer.projections.engine import _view as view
from explorer.projections.search import index_names, search_terms
from tests.projections.test_engine import shop

pytestmark = pytest.mark.backends
FTS5 = "about the SQLite file's FTS5 index (the server searches the rows' columns)"


@pytest.fixture
def engine(store):
    db = open_read_models(store.location, False)
    engine = ProjectionEngine(store, db, shop_projections())
    yield engine
    db.close()


def found(engine, text, table=order_summary, **options):
    rows = read_rows(engine.db, table, search=text, **options)
    assert count_rows(engine.db, table, where=options.get("where"), search=text) == len(rows)
    return [row[table.info["keys"][0]] for row in rows]


def test_what_the_user_types_becomes_a_safe_prefix_query():
    assert search_terms("order_00") == '"order 00"*'
    assert search_terms("  compens   prod-105 ") == '"compens"* AND "prod 105"*'
    assert search_terms('a"b OR NEAR(') == '"a b"* AND "OR"* AND "NEAR"*'  # never FTS syntax
    assert search_terms("") is None and search_terms(" -_ ") is None and search_terms(None) is None


def test_rows_are_found_by_id_or_any_column_as_typed(service, engine):
    shop(service, orders=12)
    engine.catch_up_all()
    assert found(engine, "order_1") == ["order_1", "order_10", "order_11", "order_12"]
    assert found(engine, "order_1 ") == found(engine, "order_1")
    assert found(engine, "ada") == sorted(f"order_{i}" for i in range(1, 13))  # customer name
    assert found(engine, "59.98") == ["order_2"]  # a number, in a value column
    assert found(engine, "placed order_7") == ["order_7"]  # every word must match
    assert found(engine, "cust_1", where={"status": "paid"}) == []
    assert found(engine, "shipped") == []
    assert found(engine, "prod_1", table=stock) == ["prod_101"]
    assert found(engine, "", table=stock) == ["prod_101"]  # nothing typed: every row


def test_the_index_follows_changes_and_deletions(service, engine):
    shop(service, orders=3)
    engine.catch_up_all()
    assert found(engine, "paid") == []
    service.execute("Order", "order_2", "mark_paid", {"payment_id": "p", "amount": 59.98})
    engine.catch_up_all()
    assert found(engine, "paid") == ["order_2"]
    assert found(engine, "placed") == ["order_1", "order_3"]  # the old value is gone
    with engine.db.transaction():  # a projection deleting a row: the writer's delete
        writer = engine._runtimes["order_summary"].writers["order_summary"]
        writer.delete(("order_3",), engine.store.last_position() + 1)
        writer.flush()
    assert found(engine, "placed") == ["order_1"]
    assert found(engine, "order_3") == []


@pytest.mark.sqlite_only("the FTS5 index is dropped and rebuilt; the server's search needs "
                         "none: while rebuilding it reads the rows as a plain read does")
def test_a_rebuild_drops_the_index_and_builds_it_again_once_caught_up(service, engine,
                                                                      monkeypatch):
    shop(service, orders=5)
    engine.catch_up_all()
    ready = []
    original = engine._apply_chunk

    def chunk(*args):
        try:  # while rebuilding, a search says it is not ready yet
            found(engine, "order")
            ready.append(True)
        except SearchNotReadyError as error:
            assert "not possible yet" in str(error) and "Try again" in str(error)
            ready.append(False)
        return original(*args)

    monkeypatch.setattr(engine, "_apply_chunk", chunk)
    engine.chunk = 3
    engine.rebuild("order_summary")
    assert ready and not any(ready)
    assert found(engine, "order") == [f"order_{i}" for i in range(1, 6)]


@pytest.mark.sqlite_only(FTS5)
def test_read_models_from_before_search_get_their_index_at_the_next_catch_up(service, store):
    shop(service, orders=4)
    path = read_model_path(store.location, False)
    with ReadModelDatabase(path) as db:
        ProjectionEngine(store, db, shop_projections()).catch_up_all()
        with db.transaction():  # as a file written before search existed
            for table in (order_summary, stock):
                for name in index_names(table):
                    db.db.execute(f'DROP TABLE "{name}"')
    with ReadModelDatabase(path) as db:
        engine = ProjectionEngine(store, db, shop_projections())
        with pytest.raises(SearchNotReadyError):
            read_rows(db, order_summary, search="order")
        assert engine.catch_up_all() == 0
        assert len(read_rows(db, order_summary, search="order")) == 4


@pytest.mark.sqlite_only(FTS5)
def test_a_search_uses_the_index_not_a_scan_of_the_rows(service, engine):
    shop(service, orders=3)
    engine.catch_up_all()
    statement = view(engine.db, order_summary, None, {"status": "placed"}, "order_1")
    sql = str(statement.compile(compile_kwargs={"literal_binds": True}))
    steps = [row[3] for row in engine.db.db.execute(f"EXPLAIN QUERY PLAN {sql}")]
    assert steps[0].startswith(f"SCAN {index_names(order_summary)[0]} VIRTUAL TABLE"), steps
    assert all(step.startswith("SEARCH") for step in steps[1:]), steps  # look-ups, no scans


def test_a_search_of_the_past_is_refused_with_a_reason(service, engine):
    shop(service, orders=1)
    engine.catch_up_all()
    with pytest.raises(ValueError, match="current rows only"):
        read_rows(engine.db, order_summary, at_position=2, search="order")


@pytest.mark.sqlite_only(FTS5)
def test_the_index_is_committed_with_the_rows(service, engine, store):
    shop(service, orders=2)
    engine.catch_up_all()
    other = sqlite3.connect(read_model_path(store.location, False))
    fts, _ids = index_names(order_summary)
    try:
        assert other.execute(f'SELECT count(*) FROM "{fts}"').fetchone()[0] == 2
    finally:
        other.close()


@pytest.mark.sqlite_only(FTS5)
def test_read_models_of_another_schema_version_with_search_indexes_are_rebuilt(service, engine):
    """Dropping every table of an older file: a search index's own tables go with it, and are
    not dropped twice (which made such a file fail to open)."""
    shop(service, orders=3)
    engine.catch_up_all()
    assert found(engine, "order_2") == ["order_2"]
    engine.db.db.execute(f"PRAGMA user_version = {SCHEMA_VERSION - 1}")
    engine.db.close()
    with ReadModelDatabase(read_model_path(service.store.location, False)) as reopened:
        assert reopened.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        names = {name for (name,) in reopened.db.execute("SELECT name FROM sqlite_master")}
        assert "order_summary" not in names and index_names(order_summary)[0] not in names
        engine = ProjectionEngine(service.store, reopened, shop_projections())
        engine.catch_up_all()
        assert found(engine, "order_2") == ["order_2"]
