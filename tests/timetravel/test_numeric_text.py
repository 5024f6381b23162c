"""Conditions on states compare numeric text with numbers as the content filter does in SQL:
the same cases (tests/store/test_content_filter.py), on states evaluated in Python."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from explorer.projections import ReadModelDatabase, switches
from explorer.projections.versioned import versioned_table
from explorer.store.content_filter import parse_filter
from explorer.store.numeric_text import compare_keys, decimal_key, number_key
from explorer.timetravel.conditions import (
    column_affinities,
    parse_state_condition,
    predicate,
    row_fields,
)
from explorer.timetravel.row_arrays import OPEN_END, RowArrays
from tests.store.test_content_filter import AMOUNTS, NUMERIC_TEXT_MATCHES


@pytest.mark.parametrize(("text", "positions"), NUMERIC_TEXT_MATCHES)
def test_a_state_condition_matches_what_the_filter_matches(text, positions):
    holds = predicate(parse_state_condition(text.replace("data.", "state.")))
    assert [p for p, amount in enumerate(AMOUNTS, 1) if holds({"amount": amount})] == positions


@pytest.mark.parametrize(("condition", "balance", "holds"), [
    ("state.balance > 1000000", "0.00", False),
    ("state.balance < 5", "0.00", True),
    ("state.balance > 5", "abc", False),
    ("not state.balance > 5", "abc", False),
    ("state.balance < 0", "-1.5e3", True),
    ("state.balance > 1234567890123456789", "1234567890123456789.000000001", True),
    ("state.balance = 0.3", "0.30000000000000001", False),
    ("state.balance = 0.1", "0.100", True),
    ("state.items[*] > 2", None, True),
])
def test_numeric_text_in_a_state_is_its_number_exactly(condition, balance, holds):
    state = {"balance": balance, "items": ["1", "2.5", "x"]}
    assert predicate(parse_state_condition(condition))(state) is holds


def test_keys_order_decimals_as_decimals():
    texts = ["-1e3", "-999.9", "-0.5", "-0", "0.00", "1e-9999999999999999999999", "0.1",
             "0.10001", "2", "1E+1", "10.5", "99999999999999999999.5", "1e99999999999999999999"]
    keys = [decimal_key(t) for t in texts]
    for i, a in enumerate(keys):
        for j, b in enumerate(keys):
            expected = 0 if {i, j} == {3, 4} or i == j else (i > j) - (i < j)
            assert compare_keys(a, b) == expected, (texts[i], texts[j])
    assert [decimal_key(t) for t in ("5 ", ".5", "5.", "1e", "--1", "0x10", "")] == [None] * 7
    assert number_key(0.1) == decimal_key("0.1")


def test_a_read_model_column_of_text_compares_numbers_alike_in_sql_in_memory_and_in_python(
        tmp_path):
    table = versioned_table("ledger", sa.MetaData(), [sa.Column("entry", sa.Integer)],
                            [sa.Column("amount", sa.Text), sa.Column("count", sa.Integer)])
    rows = [(p, amount) for p, amount in enumerate(AMOUNTS, 1) if isinstance(amount, str)]
    with ReadModelDatabase(tmp_path / "ledger.readmodels") as readmodels:
        readmodels.create_tables([table])
        with readmodels.transaction() as db:
            db.executemany("INSERT INTO ledger (entry, amount, count, valid_from) "
                           "VALUES (?, ?, 1, ?)", [(p, amount, p) for p, amount in rows])
        arrays = RowArrays(table, [[(p, p, OPEN_END, amount, 1) for p, amount in rows]],
                           ["amount", "count"])
        holds = column_affinities(table)
        for text, positions in NUMERIC_TEXT_MATCHES:
            parsed = parse_filter(text.replace("data.", ""), row_fields(table))
            expected = [p for p in positions if isinstance(AMOUNTS[p - 1], str)]
            in_sql = [p for p, _, became in
                      switches.ordered_row_switches(readmodels, table, parsed.tree) if became]
            in_memory = [p for p, _, became in
                         arrays.switches(parsed.tree, 0, first_only=False, limit=None) if became]
            in_python = [p for p, amount in rows
                         if predicate(parsed, None, holds)({"amount": amount})]
            assert (in_sql, in_memory, in_python) == (expected, expected, expected), text
