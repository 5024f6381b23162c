"""A read model's rows are listed in the same order on a server as in a store file: texts by
their bytes, whatever the database's collation, and its indexes serve that order."""

from __future__ import annotations

import pytest

from explorer.demo import DEMO_DOMAIN
from explorer.demo.projections import shop_projections
from explorer.demo.system import SHOP
from explorer.domain import CommandService
from explorer.projections import ProjectionEngine, history, read_rows
from explorer.projections.changes import ReadModelChanges
from explorer.projections.database import open_read_models
from explorer.projections.history import ReadModelHistory
from explorer.projections.switches import version_batches
from explorer.projections.versioned import current_rows, key_order
from explorer.sagas.backoff import TRANSIENT_ERRORS
from explorer.store.compiled import CompiledStatement
from explorer.system.workspace import open_store
from explorer.timetravel.row_arrays import OPEN_END, extended_row_arrays, read_row_arrays
from tests.conftest import place_order

IDS = ["a_b", "A", "ab", "B", "_x", "b"]
"""Order ids that en-US (ICU) sorts otherwise than their bytes: a_b, _x, A, ab, b, B."""


@pytest.fixture
def icu_database(postgres_server, admin):
    """A database made for en-US (ICU): texts sorted by the locale, not by their bytes."""
    admin.execute("DROP DATABASE IF EXISTS readmodels_icu")
    admin.execute("CREATE DATABASE readmodels_icu TEMPLATE template0 LOCALE_PROVIDER icu "
                  "ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'")
    yield "readmodels_icu"
    admin.execute("DROP DATABASE readmodels_icu WITH (FORCE)")


def listed(location) -> tuple[list[str], list[str], ProjectionEngine]:
    """The order ids order_summary lists (its first page, and searched for "order"), with the
    store's read models kept open (the engine: close its db)."""
    with open_store(location, system=SHOP, create=True) as store:
        if not store.last_position():
            service = CommandService(store, DEMO_DOMAIN, issued_by="test")
            for order_id in IDS:
                place_order(service, order_id)
        db = open_read_models(store.location, False)
        engine = ProjectionEngine(store, db, shop_projections())
        engine.catch_up_all()
        table = engine.projection("order_summary").main_table
        rows = [row["order_id"] for row in read_rows(db, table)]
        searched = [row["order_id"] for row in read_rows(db, table, search="cust_456")]
        return rows, searched, engine


def plan(engine: ProjectionEngine) -> str:
    """How the server reads order_summary's first page (sequential scans and sorts ruled out
    where an index can serve: a sort left is one no index serves)."""
    table = engine.projection("order_summary").main_table
    db = engine.db
    sql = str(current_rows(table).order_by(*key_order(table)).limit(200).compile(
        dialect=db.engine.dialect, compile_kwargs={"literal_binds": True}))
    db.db.execute("SET enable_seqscan = off")
    db.db.execute("SET enable_sort = off")
    try:
        return "\n".join(line for (line,) in db.db.execute(f"EXPLAIN {sql}").fetchall())
    finally:
        db.db.execute("RESET enable_seqscan")
        db.db.execute("RESET enable_sort")


def test_a_read_model_lists_its_rows_in_the_same_order_as_a_store_file(
        postgres_server, icu_database, schema_name, tmp_path, private_cache):
    """On a server, rows in key order followed the database's collation: in one made for
    en-US, order_summary listed _x, a_b, A, ab, b, B where a store file lists A, B, _x, a_b,
    ab, b (reported by a reviewer)."""
    on_file, searched_on_file, engine = listed(tmp_path / "shop.evstore")
    engine.db.close()
    assert on_file == sorted(IDS) == searched_on_file
    url = postgres_server.url(icu_database, schema=schema_name)
    on_server, searched_on_server, engine = listed(url)
    try:
        assert on_server == on_file
        assert searched_on_server == on_file
        assert "Sort" not in plan(engine)  # the table's index serves the order
    finally:
        engine.db.close()


def test_the_rows_changed_between_two_positions_are_in_the_same_order_as_in_a_store_file(
        postgres_server, icu_database, schema_name, tmp_path, private_cache, monkeypatch):
    """The Compare tab's changed rows: its first page was sorted here by the keys' bytes
    (ReadModelChanges.summary), the next ones by the server in its collation, so a page could
    repeat rows of the first or leave some out. A table of the database's collation (made
    before, read by a window that opened the read models read-only, which leaves it so)."""
    monkeypatch.setattr(history, "SMALL_TABLE", 0)  # (read by the server, as a big table)
    url = postgres_server.url(icu_database, schema=schema_name)
    _rows, _searched, engine = listed(url)
    try:
        with engine.db.transaction() as db:
            db.execute(f'ALTER TABLE "{schema_name}_readmodels".order_summary ALTER COLUMN '
                       'order_id TYPE TEXT COLLATE "default"')
        changes = ReadModelChanges(ReadModelHistory(engine.db))
        table = engine.projection("order_summary").main_table
        last = engine.store.last_position()
        assert [c.key["order_id"] for c in changes.rows(table, 0, last)] == sorted(IDS)
        assert [c.key["order_id"] for c in changes.rows(table, 0, last, offset=2, limit=2)] \
            == sorted(IDS)[2:4]
        _counts, first = changes.summary(table, 0, last, 2)
        assert [c.key["order_id"] for c in first] == sorted(IDS)[:2]
    finally:
        engine.db.close()


def test_a_read_model_made_before_gets_its_texts_in_byte_order(
        postgres_server, icu_database, schema_name, private_cache):
    """A read model's table made with the database's collation (before its text columns were
    made COLLATE "C") gets that collation at the next start: its index then serves the order,
    which it did not (every current row sorted for each page)."""
    url = postgres_server.url(icu_database, schema=schema_name)
    _rows, _searched, engine = listed(url)
    models = f'"{schema_name}_readmodels"'
    with engine.db.transaction() as db:  # as made before
        db.execute(f'ALTER TABLE {models}.order_summary ALTER COLUMN order_id TYPE TEXT '
                   'COLLATE "default"')
    assert "Sort" in plan(engine)
    engine.db.close()
    rows, _searched, engine = listed(url)
    try:
        assert rows == sorted(IDS)
        assert "Sort" not in plan(engine)
    finally:
        engine.db.close()


def test_find_when_reads_a_read_model_s_versions_in_byte_order(
        postgres_server, icu_database, schema_name, private_cache):
    """Find-when keeps a read model's versions in memory in key order, as SQLite orders keys,
    and bisects them by key when the read model moves on (RowArrays.extended): read from a
    table of the database's collation (made before, opened read-only), they came in the
    server's order, and the versions written since were not found among them (read all
    again, or their ends put on other versions)."""
    url = postgres_server.url(icu_database, schema=schema_name)
    _rows, _searched, engine = listed(url)
    engine.db.close()
    with open_store(url, system=SHOP) as store:
        db = open_read_models(store.location, False)
        try:
            engine = ProjectionEngine(store, db, shop_projections())
            with db.transaction() as sql:  # as made before
                sql.execute(f'ALTER TABLE "{schema_name}_readmodels".order_summary ALTER '
                            'COLUMN order_id TYPE TEXT COLLATE "default"')
            table = engine.projection("order_summary").main_table
            keys = [row[0] for batch in version_batches(db, table, [], OPEN_END)
                    for row in batch]
            assert keys == sorted(IDS)
            arrays = read_row_arrays(db, table)
            service = CommandService(store, DEMO_DOMAIN, issued_by="test")
            for order_id in IDS:
                service.execute("Order", order_id, "cancel", {"reason": "x"})
            engine.catch_up_all()
            extended = extended_row_arrays(db, table, arrays)
            assert extended is not None
            assert versions(extended) == versions(read_row_arrays(db, table))
        finally:
            db.close()


def versions(arrays) -> list[tuple]:
    return sorted((arrays.key(int(code)), int(begin), int(end)) for code, begin, end
                  in zip(arrays.key_codes, arrays.begins, arrays.ends, strict=True))


def test_a_search_ignores_the_case_of_every_letter_as_in_a_store_file(
        postgres_server, icu_database, schema_name, tmp_path, private_cache):
    """A read model's search on a server (ILIKE) ignored the case of ASCII letters alone once
    its text columns were COLLATE "C" (12bb8db): 'élodie' found no Élodie and 'москва' no
    Москва, which a store file's search index finds. It folds them in the database's
    collation, as before."""
    customers = {"order_1": "Élodie", "order_2": "Москва"}

    def searched(location, text: str) -> list[str]:
        with open_store(location, system=SHOP, create=True) as store:
            if not store.last_position():
                service = CommandService(store, DEMO_DOMAIN, issued_by="test")
                for order_id, customer in customers.items():
                    place_order(service, order_id, customer_id=customer)
            db = open_read_models(store.location, False)
            try:
                engine = ProjectionEngine(store, db, shop_projections())
                engine.catch_up_all()
                table = engine.projection("order_summary").main_table
                return [row["order_id"] for row in read_rows(db, table, search=text)]
            finally:
                db.close()

    url = postgres_server.url(icu_database, schema=schema_name)
    for location in (tmp_path / "shop.evstore", url):
        assert searched(location, "élodie") == ["order_1"], location
        assert searched(location, "МОСКВА") == ["order_2"], location
        assert searched(location, "ÉLODIE москва") == [], location


def test_a_reader_goes_on_reading_once_another_engine_orders_its_texts_by_bytes(
        postgres_server, icu_database, schema_name, private_cache):
    """The server prepares a statement a connection sends often (psycopg: from the fifth
    time), and a prepared statement whose rows' collation changed fails: once another process's
    engine gave a table made before its texts COLLATE "C" (12bb8db), a reader open meanwhile
    (a window's, another runner's) failed at each read of it with 'cached plan must not change
    result type', until it was closed. It reads again (its statements read through SQLAlchemy,
    and those it runs compiled)."""
    url = postgres_server.url(icu_database, schema=schema_name)
    _rows, _searched, engine = listed(url)
    with engine.db.transaction() as db:  # as made before
        db.execute(f'ALTER TABLE "{schema_name}_readmodels".order_summary ALTER COLUMN '
                   'order_id TYPE TEXT COLLATE "default"')
    engine.db.close()
    table = engine.projection("order_summary").main_table
    with open_store(url, system=SHOP) as store:
        readers = [open_read_models(store.location, False, read_only=True) for _ in range(2)]
        through_sa, compiled = readers
        page = CompiledStatement(current_rows(table).order_by(*key_order(table)),
                                 compiled.engine.dialect)
        try:
            for _ in range(6):  # (prepared by the server now)
                assert len(read_rows(through_sa, table)) == len(IDS)
                assert len(compiled.db.execute(page.sql, page.args()).fetchall()) == len(IDS)
            _rows, _searched, engine = listed(url)  # its texts in byte order now
            engine.db.close()
            assert [row["order_id"] for row in read_rows(through_sa, table)] == sorted(IDS)
            assert [row[0] for row in compiled.db.execute(page.sql, page.args())] == sorted(IDS)
        finally:
            for reader in readers:
                reader.close()


def test_a_runner_goes_on_once_another_engine_orders_its_texts_by_bytes(
        postgres_server, admin, schema_name, private_cache):
    """A runner's pass runs its statements in a transaction: one the server prepared before
    another process's engine gave the table its texts COLLATE "C" (12bb8db) was refused
    ('cached plan must not change result type'), and taken for the projection's fault: its
    read model stopped, 'FeatureNotSupported ... (in handle, projections.py)', until retried by
    hand. The pass is now tried again, as a lock held too long is (a transient failure), and
    goes through."""
    url = postgres_server.url(schema=schema_name)
    with open_store(url, system=SHOP, create=True) as store:
        service = CommandService(store, DEMO_DOMAIN, issued_by="test")
        place_order(service, "order_0")
        running = open_read_models(store.location, False)
        try:
            engine = ProjectionEngine(store, running, shop_projections())
            engine.catch_up_all()
            admin.execute(f'ALTER TABLE "{schema_name}_readmodels".order_summary ' + ", ".join(
                f'ALTER COLUMN {name} TYPE TEXT COLLATE "default"' for name in (
                    "order_id", "customer_id", "customer_name", "status", "currency")))
            for number in range(1, 8):  # (its statements prepared by the server now)
                place_order(service, f"order_{number}")
                engine.catch_up_all()
            starting = open_read_models(store.location, False)  # its texts in byte order
            ProjectionEngine(store, starting, shop_projections())
            starting.close()
            place_order(service, "order_8")
            with pytest.raises(TRANSIENT_ERRORS):
                engine.catch_up_all()
            engine.catch_up_all()  # (tried again)
            assert all(status.fault is None for status in engine.statuses())
            table = engine.projection("order_summary").main_table
            assert [row["order_id"] for row in read_rows(running, table)] == [
                f"order_{number}" for number in range(9)]
        finally:
            running.close()


def test_a_read_model_made_before_with_a_view_on_it_is_kept_as_it_is(
        postgres_server, admin, schema_name, private_cache):
    """A table made before 12bb8db gets its texts COLLATE "C" when an engine prepares it (an
    ALTER of their type), which the server refuses for a column a view reads ('cannot alter
    type of a column used by a view or rule'): a view a team made on a read model (a report's,
    a dashboard's) stopped every runner and window at its start. The table is kept as it is
    (its rows still listed in byte order, each page sorted), and the engine starts."""
    url = postgres_server.url(schema=schema_name)
    _rows, _searched, engine = listed(url)
    engine.db.close()
    models = f'"{schema_name}_readmodels"'
    admin.execute(f'ALTER TABLE {models}.order_summary ALTER COLUMN order_id TYPE TEXT '
                  'COLLATE "default"')  # (as made before)
    admin.execute(f"CREATE VIEW {models}.report AS SELECT order_id FROM {models}.order_summary")
    rows, searched, engine = listed(url)
    engine.db.close()
    assert rows == sorted(IDS) == searched
    assert admin.execute(f"SELECT count(*) FROM {models}.report").fetchone() == (len(IDS),)
