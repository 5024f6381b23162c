"""Find-when's row versions in memory (explorer.timetravel.row_arrays): when they are read,
what they leave to SQL, and that they answer as the scan in SQL does (the brute-force test in
test_when.py checks both against every position)."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
import sqlalchemy as sa

from explorer.projections import ReadModelDatabase, read_model_path, switches
from explorer.projections.versioned import versioned_table
from explorer.store.content_filter import parse_filter
from explorer.system.workspace import open_store
from explorer.timetravel import row_arrays, sorted_values
from explorer.timetravel.conditions import row_fields
from explorer.timetravel.machine import TimeMachine
from explorer.timetravel.row_arrays import RowArrays, kept_columns, read_row_arrays
from tests.systems.cases import CASES, seeded


@pytest.fixture(scope="module")
def shop(tmp_path_factory) -> Path:
    case = CASES["shop"]
    return seeded(tmp_path_factory.mktemp("arrays"), case.system, case.seed_size)


@pytest.fixture
def opened(shop):
    system = CASES["shop"].system
    with open_store(shop, system=system, read_only=True) as store, \
            ReadModelDatabase(read_model_path(str(shop), False), read_only=True) as readmodels:
        yield readmodels, TimeMachine(store, readmodels, system)


def condition(table: sa.Table, text: str):
    return parse_filter(text, row_fields(table)).tree


def test_the_versions_are_read_at_the_second_search_at_one_checkpoint(opened):
    readmodels, machine = opened
    table = machine.projections["order_summary"].main_table
    paid = condition(table, 'status = "paid"')
    assert row_arrays.row_arrays(readmodels, table, 40, paid) is None  # the first: in SQL
    kept = row_arrays.row_arrays(readmodels, table, 40, paid)
    assert isinstance(kept, RowArrays)
    assert row_arrays.row_arrays(readmodels, table, 40, condition(table, "total > 5")) is kept
    # the read model moved on: the versions kept are extended with those written since
    moved = row_arrays.row_arrays(readmodels, table, 41, paid)
    assert isinstance(moved, RowArrays) and moved is not kept
    assert row_arrays.row_arrays(readmodels, table, 41, paid) is moved
    # moved back (rebuilt, or another file): in SQL again, until it is searched twice there
    assert row_arrays.row_arrays(readmodels, table, 39, paid) is None
    assert row_arrays.row_arrays(readmodels, table, 39, paid) not in (None, kept, moved)


def test_no_more_versions_are_kept_than_the_bound_of_every_table_together(opened, monkeypatch):
    """Memory does not grow with the log: a table of more versions than fit in what the others
    leave of MAX_VERSIONS_KEPT is searched in SQL at every search, and one outgrowing it as the
    read model moves on is let go."""
    monkeypatch.setattr(row_arrays, "_MEMORY", row_arrays._Memory())
    readmodels, machine = opened
    orders = machine.projections["order_summary"].main_table
    stock = machine.projections["stock"].main_table
    order_versions = switches.version_count(readmodels, orders)
    stock_versions = switches.version_count(readmodels, stock)
    paid, low = condition(orders, 'status = "paid"'), condition(stock, "available < 5")
    monkeypatch.setattr(row_arrays, "MAX_VERSIONS_KEPT", order_versions - 1)
    for _ in range(3):
        assert row_arrays.row_arrays(readmodels, orders, 40, paid) is None
    # room for one table, not both: the first kept, the second searched in SQL
    monkeypatch.setattr(row_arrays, "MAX_VERSIONS_KEPT", order_versions + stock_versions - 1)
    assert row_arrays.row_arrays(readmodels, orders, 41, paid) is None
    assert isinstance(row_arrays.row_arrays(readmodels, orders, 41, paid), RowArrays)
    for _ in range(3):
        assert row_arrays.row_arrays(readmodels, stock, 41, low) is None
    # the read model moves on to more versions than fit: let go, its room given back
    monkeypatch.setattr(row_arrays, "MAX_VERSIONS_KEPT", order_versions - 1)
    assert row_arrays.row_arrays(readmodels, orders, 42, paid) is None
    kept = row_arrays._MEMORY.tables[readmodels]["order_summary"]
    assert kept.arrays is None and kept.versions == 0
    monkeypatch.setattr(row_arrays, "MAX_VERSIONS_KEPT", stock_versions)
    assert row_arrays.row_arrays(readmodels, stock, 42, low) is None  # (its first search here)
    assert isinstance(row_arrays.row_arrays(readmodels, stock, 42, low), RowArrays)


def test_a_condition_on_a_wide_column_is_left_to_sql(opened, monkeypatch):
    monkeypatch.setattr(row_arrays, "LOAD_AT", 1)
    readmodels, machine = opened
    table = machine.projections[machine.saga_read_models[0]].main_table
    assert "steps" not in kept_columns(table) and "status" in kept_columns(table)
    steps = condition(table, 'steps contains "reserve" and status = "completed"')
    assert row_arrays.row_arrays(readmodels, table, 1, steps) is None
    assert row_arrays.row_arrays(readmodels, table, 1, condition(table, "steps_done > 1"))


@pytest.mark.parametrize("text", ['status = "paid"', "total > 100 or item_count <= 1",
                                  'not (customer_name contains "AN")', "total != null",
                                  'total > " 100 "', 'not total < "abc"',
                                  'item_count = "\u0662"'])  # an Arabic-Indic 2: text to SQLite
def test_after_and_limits_give_what_the_scan_in_sql_gives(opened, text, monkeypatch):
    monkeypatch.setattr(sorted_values, "PIECE", 5)  # values sorted and numbered in pieces
    readmodels, machine = opened
    table = machine.projections["order_summary"].main_table
    parsed = condition(table, text)
    arrays = read_row_arrays(readmodels, table)
    last = machine.store.last_position()
    for after in (0, last // 3, last // 2):
        for limit in (None, 1, 7):
            in_sql = switches.ordered_row_switches(readmodels, table, parsed, after, limit=limit)
            assert arrays.switches(parsed, after, first_only=False, limit=limit) == in_sql
        first = switches.ordered_row_switches(readmodels, table, parsed, after, first_only=True)
        assert arrays.switches(parsed, after, first_only=True, limit=1) == first


def test_a_column_holding_other_values_than_numbers_and_text_is_not_kept():
    table = versioned_table("things", sa.MetaData(), [sa.Column("thing_id", sa.Text)],
                            [sa.Column("label", sa.Text), sa.Column("size", sa.Integer)])
    open_end = row_arrays.OPEN_END
    versions = [("b", 1, 4, b"\x00raw", 3), ("b", 4, open_end, "x", None),
                ("a", 2, open_end, "y", "big")]  # out of key order, sorted when read
    arrays = RowArrays(table, [versions], ["label", "size"])
    assert "label" not in arrays.columns and "size" in arrays.columns
    assert not arrays.answers(condition(table, 'label = "x"'))
    # numbers sort before text (SQLite's order): "big" > 2, 3 < 5
    assert arrays.switches(condition(table, "size > 2"), 0, first_only=False, limit=None) == [
        (1, ("b",), True), (2, ("a",), True), (4, ("b",), False)]
    assert arrays.switches(condition(table, "size < 5"), 0, first_only=True, limit=1) == [
        (1, ("b",), True)]


def test_contains_lowers_ascii_letters_alone_as_sqlite_like_does():
    import sqlite3

    from explorer.timetravel.conditions import contained_text
    connection = sqlite3.connect(":memory:")
    for value in ["Émile Zola", "émile", "ZOLA", "zoLa", "Straße", 25, 2.5]:
        for needle in ["É", "é", "ola", "OLA", "SS", "ß", "2.", "5"]:
            like = connection.execute("SELECT CAST(? AS TEXT) LIKE '%' || ? || '%'",
                                      (value, needle)).fetchone()[0]
            assert (contained_text(needle) in contained_text(value)) == bool(like), (value,
                                                                                     needle)


def test_reading_the_versions_says_how_far_it_is_and_can_be_cancelled(opened, monkeypatch):
    from explorer.common.cancel import Cancelled

    monkeypatch.setattr(row_arrays, "LOAD_AT", 1)
    monkeypatch.setattr(row_arrays, "version_batches",
                        lambda *args, **kw: switches.version_batches(*args, size=40, **kw))
    readmodels, machine = opened
    table = machine.projections["order_summary"].main_table
    total = switches.version_count(readmodels, table)
    calls: list[tuple[int, int]] = []
    paid = condition(table, 'status = "paid"')
    assert row_arrays.row_arrays(readmodels, table, 5, paid, lambda *call: calls.append(call))
    assert calls[0] == (0, total) and len(calls) == -(-total // 40)
    assert [done for done, _ in calls] == list(range(0, total, 40))

    def cancel(done: int, total: int) -> None:
        if done:
            raise Cancelled
    with pytest.raises(Cancelled):  # an earlier checkpoint (rebuilt): read again
        row_arrays.row_arrays(readmodels, table, 2, paid, cancel)
    assert row_arrays.row_arrays(readmodels, table, 2, paid) is not None  # read again


@pytest.mark.parametrize("needle", ["mile", "É", "", "a\0b", "1", ".5", "zz"])
def test_contains_is_looked_for_once_in_all_the_values_as_in_each(needle):
    from explorer.timetravel.conditions import contained_text
    from explorer.timetravel.row_arrays import _Texts
    values = [2, 2.5, "", "Émile", "a", "b", "a\0b", "EMILE", "zz", 15]
    texts = _Texts(values)
    wanted = contained_text(needle)
    assert texts.containing(wanted).tolist() == [wanted in contained_text(value)
                                                 for value in values]
    assert _Texts([]).containing(wanted).tolist() == []


SORTED_VALUES = ["b", "a\0", "a", "", "é", "z", "\U0001f600", "\uffff", "A", "a\0b", "10",
                 3, -2, 2.5, 2**62, 2**62 + 1, 1e300, -0.5, 0, None, "a ", "ab"]


@pytest.mark.parametrize("text_bytes", [sorted_values.TEXT_ARRAY_BYTES, 0])
@pytest.mark.parametrize("values", [SORTED_VALUES, [v for v in SORTED_VALUES if v != "a\0"],
                                    [v for v in SORTED_VALUES if type(v) is str],
                                    ["b", "a", "", "z", "A", "10", "a ", "ab", "~", " ", "0"],
                                    [v for v in SORTED_VALUES if type(v) is int],
                                    [v for v in SORTED_VALUES if type(v) is float], [None]])
def test_a_columns_values_are_in_sqlites_order_sorted_in_numpy_or_not(values, text_bytes,
                                                                      monkeypatch):
    import sqlite3

    monkeypatch.setattr(sorted_values, "PIECE", 3)
    monkeypatch.setattr(sorted_values, "TEXT_ARRAY_BYTES", text_bytes)
    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE TABLE t (v)")
    connection.executemany("INSERT INTO t VALUES (?)", [(v,) for v in values])
    in_sqlite = [v for (v,) in connection.execute("SELECT DISTINCT v FROM t WHERE v IS NOT NULL"
                                                  " ORDER BY v")]
    table = versioned_table("things", sa.MetaData(), [sa.Column("thing_id", sa.Integer)],
                            [sa.Column("label", sa.Text)])
    stored = values * 2  # each value met twice, by versions of different keys
    versions = [(number, 1, row_arrays.OPEN_END, value) for number, value in enumerate(stored)]
    column = RowArrays(table, [versions[:5], versions[5:]], ["label"]).columns["label"]
    assert column.values == in_sqlite
    assert column.numbers == sum(type(v) is not str for v in in_sqlite)
    assert [(column.values + [None])[code] for code in column.codes.tolist()] == stored


def as_of(versions: list[tuple], width: int, position: int) -> list[tuple]:
    """The versions as a read model's file held them at its checkpoint `position`."""
    open_end = row_arrays.OPEN_END
    return [(*row[:width], row[width], open_end if row[width + 1] > position else row[width + 1],
             *row[width + 2:]) for row in versions if row[width] <= position]


def same(arrays: RowArrays, other: RowArrays) -> None:
    assert arrays.key_count == other.key_count and arrays.size == other.size
    keys = range(arrays.key_count)
    assert list(map(arrays.key, keys)) == list(map(other.key, keys))
    for name in ("key_codes", "begins", "ends", "_same_key_next"):
        assert getattr(arrays, name).tolist() == getattr(other, name).tolist(), name
    assert arrays.columns.keys() == other.columns.keys()
    for name, column in arrays.columns.items():
        assert column.values == other.columns[name].values, name
        assert column.numbers == other.columns[name].numbers, name
        assert column.codes.tolist() == other.columns[name].codes.tolist(), name


@pytest.mark.parametrize("name", ["order_summary", "revenue_per_day", "stock", "sagas"])
def test_versions_extended_with_those_written_since_equal_all_of_them_read(opened, name,
                                                                          monkeypatch):
    monkeypatch.setattr(sorted_values, "PIECE", 7)
    readmodels, machine = opened
    table = machine.projections[name].main_table
    columns = kept_columns(table)
    width = len(table.info["keys"])
    versions = [row for batch in switches.version_batches(readmodels, table, columns,
                                                           row_arrays.OPEN_END)
                for row in batch]
    everything = read_row_arrays(readmodels, table)
    last = machine.store.last_position()
    for position in (0, 1, last // 3, last // 2, last - 1, last):
        then = RowArrays(table, [as_of(versions, width, position)], columns)
        extended = row_arrays.extended_row_arrays(readmodels, table, then)
        assert extended is not None
        same(extended, everything)
        # and extended again, with nothing written since
        again = row_arrays.extended_row_arrays(readmodels, table, extended)
        assert again is not None
        same(again, everything)
    # a table rebuilt meanwhile (fewer or more versions than these and the changes): None
    then = RowArrays(table, [as_of(versions, width, last // 2)], columns)
    changes = [row for batch in switches.version_batches(readmodels, table, columns,
                                                         row_arrays.OPEN_END,
                                                         since=then.through) for row in batch]
    assert then.extended(changes, len(versions) + 1) is None
    assert then.extended(changes, len(versions)) is not None


def test_versions_extended_answer_as_the_scan_in_sql(opened):
    readmodels, machine = opened
    table = machine.projections["order_summary"].main_table
    columns = kept_columns(table)
    versions = [row for batch in switches.version_batches(readmodels, table, columns,
                                                           row_arrays.OPEN_END)
                for row in batch]
    then = RowArrays(table, [as_of(versions, 1, machine.store.last_position() // 2)], columns)
    extended = row_arrays.extended_row_arrays(readmodels, table, then)
    assert extended is not None
    for text in ['status = "paid"', "total > 100 or item_count <= 1", "total != null"]:
        parsed = condition(table, text)
        assert extended.switches(parsed, 0, first_only=False, limit=None) == \
            switches.ordered_row_switches(readmodels, table, parsed, 0)


def test_versions_and_their_switches_keep_few_objects_for_the_collector_to_walk():
    """What is kept of the versions and a search's switches is arrays and flat lists, not a
    tuple a key or a switch: a hundred thousand tuples a worker made were walked by the
    window's next young collection, on its GUI thread (~45 ms on the sagas of a
    million-event store). The answers stay those of the versions."""
    table = versioned_table("things", sa.MetaData(), [sa.Column("thing_id", sa.Text)],
                            [sa.Column("size", sa.Integer)])
    keys = 20_000
    versions = [(f"thing_{n:05}", n + 1, keys + n + 1, 1) for n in range(keys)] + [
        (f"thing_{n:05}", keys + n + 1, row_arrays.OPEN_END, 9) for n in range(keys)]

    def tracked_made_by(make):
        gc.collect()
        before = len(gc.get_objects())
        made = make()
        return made, len(gc.get_objects()) - before

    arrays, made_reading = tracked_made_by(lambda: RowArrays(table, [versions], ["size"]))
    assert made_reading < 100 and arrays.key_count == keys
    columns, made_finding = tracked_made_by(lambda: arrays.switch_columns(
        condition(table, "size > 5"), 0, first_only=False, limit=None))
    assert made_finding < 20
    found = list(zip(*columns, strict=True))
    assert found == [(keys + n + 1, (f"thing_{n:05}",), True) for n in range(keys)]
