"""A find-when condition comparing a field with a value of another type than the field holds is
warned of (SQLite's order across types would answer it silently), naming the type seen and what
to write instead."""

from __future__ import annotations

import sqlalchemy as sa

from explorer.store.content_filter import FilterFields, parse_filter
from explorer.timetravel.conditions import (
    column_affinities,
    condition_warnings,
    parse_state_condition,
    row_fields,
)

STATES = [{"reserved": ["o1", "o2"], "on_hand": 3, "active": True}, {"reserved": [], "on_hand": 0}]


def test_a_list_compared_with_a_number_is_warned_of_with_what_to_write():
    warnings = condition_warnings(parse_state_condition("state.reserved > 0"), STATES)
    assert len(warnings) == 1
    assert "state.reserved holds lists, but 0 is a number" in warnings[0]
    assert "state.reserved > 0 matches nothing" in warnings[0]  # a list is no number
    assert "state.reserved[*] > 0" in warnings[0]


def test_text_against_numbers_and_booleans_against_numbers_are_warned_of():
    warnings = condition_warnings(parse_state_condition(
        'state.on_hand < "5" or state.active = 1'), STATES)
    assert any("Write the number without quotes: state.on_hand < 5" in w for w in warnings)
    assert any("state.active holds true or false" in w for w in warnings)


def test_matching_types_missing_fields_elements_and_exists_are_not_warned_of():
    for text in ("state.on_hand < 5", "state.reserved[*] = \"o1\"", "state.gone > 1",
                 "state.reserved exists", "state.on_hand = null",
                 'state.reserved contains "o1"'):
        assert condition_warnings(parse_state_condition(text), STATES) == [], text


def test_a_read_models_columns_convert_values_as_sqlite_does():
    table = sa.Table("orders", sa.MetaData(), sa.Column("order_id", sa.String),
                     sa.Column("status", sa.String), sa.Column("total", sa.Float),
                     info={"keys": ["order_id"], "values": ["status", "total"]})
    rows = [{"order_id": "o1", "status": "paid", "total": 120.0}]
    fields, affinities = row_fields(table), column_affinities(table)

    def warned(text: str) -> list[str]:
        return condition_warnings(parse_filter(text, fields), rows, root=None,
                                  affinities=affinities)

    assert warned('total > "500"') == [] and warned("status = 5") == []  # converted
    assert "total holds numbers" in warned('total > "lots"')[0]
    assert "every row that has it" in warned('total < "lots"')[0]


def test_a_read_model_column_of_booleans_compared_with_true_is_not_warned_of():
    """Its rows hold true and false (or 0 and 1, as SQLite keeps them): paid = true matches
    them, with no warning (found by helper P)."""
    condition = parse_filter("paid = true", FilterFields((), frozenset({"paid"}), "paid = true"))
    for rows in ([{"paid": True}, {"paid": False}], [{"paid": 1}, {"paid": 0}]):
        assert condition_warnings(condition, rows, root=None, affinities={"paid": "number"}) \
            == [], rows
