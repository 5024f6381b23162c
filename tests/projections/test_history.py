"""Finding a small versioned table's keys (ReadModelHistory, read key by key): every key found,
at the cost of one seek a key however many versions each has."""

from __future__ import annotations

import sqlalchemy as sa

from explorer.projections import ReadModelDatabase, versioned_table
from explorer.projections.history import ReadModelHistory
from tests.sqlite_steps import sql_steps


def daily(tmp_path, name: str, days: int, versions: int) -> tuple[ReadModelDatabase, sa.Table]:
    """A table keyed by (day, currency), each key with `versions` versions."""
    table = versioned_table(name, sa.MetaData(), [sa.Column("day", sa.Text),
                                                  sa.Column("currency", sa.Text)],
                            [sa.Column("revenue", sa.Integer)])
    database = ReadModelDatabase(tmp_path / f"{name}.readmodels")
    database.create_tables([table])
    rows = [(f"2026-01-{day:03d}", currency, version, version * 10 + 1,
             version * 10 + 11 if version < versions - 1 else None)
            for day in range(days) for currency in ("EUR", "USD") for version in range(versions)]
    with database.transaction() as db:
        db.executemany(f"INSERT INTO {name} (day, currency, revenue, valid_from, valid_to) "
                       "VALUES (?, ?, ?, ?, ?)", rows)
    return database, table


def test_a_keys_versions_are_not_read_to_find_the_next_key(tmp_path):
    steps, found = {}, {}
    for versions in (2, 400):
        database, table = daily(tmp_path, f"days_{versions}", 40, versions)
        history = ReadModelHistory(database)
        found[versions], steps[versions] = sql_steps(
            database.db, lambda: history._small_table_keys(table))  # noqa: B023 - called at once
        database.close()
    expected = [(f"2026-01-{day:03d}", currency)
                for day in range(40) for currency in ("EUR", "USD")]
    assert found[2] == found[400] == expected
    # (before: each seek stepped through every version of the key before it, 13x as many)
    assert steps[400] <= 2 * steps[2], steps


def test_a_row_added_since_the_keys_were_found_is_shown_at_once(tmp_path):
    """A small table's keys are taken as known for a few seconds; a row under a new key
    written meanwhile (a new customer, live) is shown at once, not after they pass (before,
    the window's view at the event that wrote it left the row out until the cursor moved
    again seconds later)."""
    database, table = daily(tmp_path, "days", 3, 2)
    history = ReadModelHistory(database)
    rows, _ = history.rows(table, "days", 100, 50)
    assert len(rows) == 6
    with database.transaction() as db:
        db.execute("INSERT INTO days (day, currency, revenue, valid_from, valid_to) "
                   "VALUES ('2026-02-001', 'EUR', 7, 30, NULL)")
    rows, _ = history.rows(table, "days", 100, 50)
    assert [(r["day"], r["currency"]) for r in rows[:1]] == [("2026-02-001", "EUR")]
    assert len(rows) == 7
    assert len(history.all_rows(table, 100)) == 7
    database.close()


def test_a_table_a_rebuild_dropped_the_indexes_of_is_not_read_whole_at_each_look(tmp_path):
    """While a rebuild has dropped a table's indexes (a file's, until it is done), telling
    whether its newest version changed would read every version at each look (the window
    looks at each status of the runner): its keys then last a few seconds, as they did."""
    steps = {}
    for versions in (2, 400):
        database, table = daily(tmp_path, f"rebuilt_{versions}", 10, versions)
        history = ReadModelHistory(database)
        with database.transaction():
            database.drop_indexes([table])  # (as ProjectionEngine.reset does on a file)
        history.rows(table, "rebuilt", 10**9, 50)
        rows, steps[versions] = sql_steps(
            database.db, lambda: history.rows(table, "rebuilt", 10**9, 50))  # noqa: B023
        assert len(rows[0]) == 20
        database.close()
    assert steps[400] <= 2 * steps[2], steps
