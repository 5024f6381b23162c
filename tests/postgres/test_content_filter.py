"""The content filter on a server matches what it matches on SQLite: the same cases
(tests/store/test_content_filter.py) run on a PostgreSQL store."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from explorer.store import EventStore, NewEvent
from explorer.store.content_filter import FilterFields, compile_condition, parse_filter
from tests.store.test_content_filter import (  # noqa: F401 (fixtures)
    AMOUNTS,
    ELEMENT_MATCHES,
    MATCHES,
    NUMERIC_TEXT_MATCHES,
    SPREAD_MATCHES,
    amounts,
    elements,
    filled,
    matching,
    spread,
)


@pytest.fixture
def store(store_url):
    with EventStore.open(store_url) as opened:
        yield opened


@pytest.mark.parametrize(("text", "positions"), MATCHES)
def test_filters_match_on_a_server_as_on_sqlite(filled, text, positions):  # noqa: F811
    assert matching(filled, text) == positions


@pytest.mark.parametrize(("text", "positions"), NUMERIC_TEXT_MATCHES)
def test_numeric_text_compares_with_numbers_on_a_server_as_on_sqlite(amounts, text,  # noqa: F811
                                                                     positions):
    assert matching(amounts, text) == positions


@pytest.mark.parametrize(("text", "positions"), ELEMENT_MATCHES)
def test_a_field_inside_a_lists_elements_is_read_on_a_server_as_on_sqlite(elements,  # noqa: F811
                                                                         text, positions):
    assert matching(elements, text) == positions


@pytest.mark.parametrize(("text", "positions"), SPREAD_MATCHES)
def test_every_item_is_an_objects_value_or_a_single_value_itself_on_a_server(
        spread, text, positions):  # noqa: F811
    assert matching(spread, text) == positions


def test_texts_sort_by_their_bytes_whatever_the_servers_locale(store):
    for stream_id in ("b", "B", "a", "_x", "Z"):
        store.append(stream_id, "T", [NewEvent("E", {})])
    assert [s.stream_id for s in store.list_streams()] == ["B", "Z", "_x", "a", "b"]


def test_a_read_model_column_of_text_compares_numbers_on_a_server_as_on_sqlite(admin,
                                                                                schema_name):
    table = sa.Table("ledger", sa.MetaData(schema=schema_name),
                     sa.Column("entry", sa.Integer), sa.Column("amount", sa.Text))
    rows = [(p, amount) for p, amount in enumerate(AMOUNTS, 1) if isinstance(amount, str)]
    admin.execute(f'CREATE SCHEMA "{schema_name}"')
    admin.execute(f'CREATE TABLE "{schema_name}".ledger (entry integer, amount text)')
    with admin.cursor() as cursor:
        cursor.executemany(f'INSERT INTO "{schema_name}".ledger VALUES (%s, %s)', rows)
    fields = FilterFields((), frozenset({"entry", "amount"}), "amount > 1")
    for text, positions in NUMERIC_TEXT_MATCHES:
        tree = parse_filter(text.replace("data.", ""), fields).tree
        query = sa.select(table.c.entry).where(
            compile_condition(tree, lambda name: (table.c[name], None, None))
        ).order_by(table.c.entry)
        sql = str(query.compile(dialect=postgresql.dialect(),
                                compile_kwargs={"literal_binds": True}))
        expected = [p for p in positions if isinstance(AMOUNTS[p - 1], str)]
        assert [row[0] for row in admin.execute(sql)] == expected, text


def test_texts_compare_by_their_bytes_in_a_database_of_another_collation(postgres_server, admin):
    """As on a store file (and as the store's columns do): jsonb compared the texts of a filter
    by the database's collation, so in one made for en-US data.name < "a" missed "B" (found by
    helper P)."""
    admin.execute("DROP DATABASE IF EXISTS filters_icu")
    admin.execute("CREATE DATABASE filters_icu TEMPLATE template0 LOCALE_PROVIDER icu "
                  "ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'")
    try:
        with EventStore.open(postgres_server.url("filters_icu", schema="s"), create=True) as store:
            store.append("s", "S", [NewEvent("E", {"name": name, "l": [name]})
                                    for name in ("B", "a", "b", "_x")])
            assert matching(store, 'data.name < "a"') == [1, 4]
            assert matching(store, 'data.name >= "a"') == [2, 3]
            assert matching(store, 'data.l[*] > "Z"') == [2, 3, 4]
            assert matching(store, 'data.l > "["') == [1, 2, 3, 4]
    finally:
        admin.execute("DROP DATABASE filters_icu WITH (FORCE)")
