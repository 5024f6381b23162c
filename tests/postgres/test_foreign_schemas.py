"""A store is made only where no other application's tables are (nor in a store's read models'
schema), and a schema of other tables is never read as a store: each refused in one line,
nothing made or changed on the server (its catalog, before and after, says so)."""

from __future__ import annotations

import pytest

from explorer.projections.postgres_readmodels import ServerReadModels
from explorer.store import EventStore, NewEvent, StoreOpenError
from tests.cli.running import run
from tests.postgres.refusals import catalog, refused_in_one_line


@pytest.fixture
def foreign_events(admin, schema_name):
    """The schema of another application holding its own table named `events`, with a row."""
    admin.execute(f"CREATE SCHEMA {schema_name}")
    admin.execute(f"CREATE TABLE {schema_name}.events (id serial PRIMARY KEY, payload text)")
    admin.execute(f"INSERT INTO {schema_name}.events (payload) VALUES ('theirs')")
    return schema_name


def test_create_beside_another_applications_events_table_makes_nothing(
        capsys, postgres_server, admin, foreign_events):
    url = postgres_server.url(schema=foreign_events)
    before = catalog(admin, foreign_events, f"{foreign_events}_readmodels")
    said = refused_in_one_line(capsys, "create", url, "--system", "shop")
    assert f"Cannot make a store in the schema {foreign_events}" in said
    assert "events (columns id, payload)" in said and "another schema" in said
    assert catalog(admin, foreign_events, f"{foreign_events}_readmodels") == before
    # (no trigger of ours on their table: the other application still changes its rows)
    admin.execute(f"UPDATE {foreign_events}.events SET payload = 'changed'")
    admin.execute(f"TRUNCATE {foreign_events}.events")


def test_seed_and_copy_into_a_schema_with_other_tables_make_nothing(
        capsys, tmp_path, postgres_server, admin, schema_name):
    admin.execute(f"CREATE SCHEMA {schema_name}")
    admin.execute(f"CREATE TABLE {schema_name}.important (x int)")
    admin.execute(f"CREATE VIEW {schema_name}.report AS SELECT 1 AS one")
    url = postgres_server.url(schema=schema_name)
    before = catalog(admin, schema_name, f"{schema_name}_readmodels")
    said = refused_in_one_line(capsys, "seed", url, "--orders", "3")
    assert "important; report (a view)" in said
    source = tmp_path / "source.evstore"
    with EventStore.open(source, create=True) as store:
        store.append("o", "Order", [NewEvent("Placed", {"total": 5})])
    assert "important" in refused_in_one_line(capsys, "copy", source, url)
    assert catalog(admin, schema_name, f"{schema_name}_readmodels") == before


def test_reading_a_schema_of_other_tables_says_which_in_one_line(
        capsys, postgres_server, admin, foreign_events):
    url = postgres_server.url(schema=foreign_events)
    before = catalog(admin, foreign_events)
    for command in ("summary", "check", "events"):
        said = refused_in_one_line(capsys, command, url)
        assert "is not an Event Explorer store" in said
        assert "events (columns id, payload)" in said
    assert catalog(admin, foreign_events) == before


def test_a_store_marker_beside_another_applications_events_is_not_read_as_a_store(
        capsys, postgres_server, admin, foreign_events):
    """What an earlier version left: its store_meta (and marker) made beside their events."""
    admin.execute(f"CREATE TABLE {foreign_events}.store_meta (key text PRIMARY KEY, "
                  "value text NOT NULL)")
    admin.execute(f"INSERT INTO {foreign_events}.store_meta VALUES "
                  "('schema', 'event-explorer-store'), ('schema_version', '3')")
    url = postgres_server.url(schema=foreign_events)
    before = catalog(admin, foreign_events)
    for args in (("summary", url), ("check", url), ("create", url, "--system", "shop")):
        said = refused_in_one_line(capsys, *args)
        assert "events (columns id, payload)" in said, said
    assert catalog(admin, foreign_events) == before


def test_a_stores_read_models_schema_is_no_stores_schema(capsys, postgres_server, admin,
                                                         schema_name):
    store_url = postgres_server.url(schema=schema_name)
    with EventStore.open(store_url) as store:
        store.append("o", "Order", [NewEvent("Placed", {"total": 5})])
    ServerReadModels(store_url).close()  # (made when its projections first run)
    taken = f"{schema_name}_readmodels"
    url = postgres_server.url(schema=taken)
    before = catalog(admin, taken)
    said = refused_in_one_line(capsys, "create", url, "--system", "shop")
    assert f"the read models of the store in the schema {schema_name}" in said
    assert "readmodel_meta" in said
    assert f"the read models of the store in the schema {schema_name}" in \
        refused_in_one_line(capsys, "summary", url)
    assert catalog(admin, taken) == before
    unused = postgres_server.url(schema=f"{schema_name}_x_readmodels")  # (no such store yet)
    assert "NAME_readmodels holds the read models" in \
        refused_in_one_line(capsys, "create", unused, "--system", "shop")
    assert not catalog(admin, f"{schema_name}_x_readmodels")


def test_an_empty_schema_and_an_existing_store_are_opened_as_before(
        capsys, postgres_server, admin, schema_name):
    admin.execute(f"CREATE SCHEMA {schema_name}")  # (made by an administrator, empty)
    url = postgres_server.url(schema=schema_name)
    code, _out, err = run(capsys, "create", url, "--system", "shop")
    assert code == 0, err
    with EventStore.open(url) as store:
        store.append("o", "Order", [NewEvent("Placed", {"total": 5})])
    code, out, err = run(capsys, "summary", url, "--json")
    assert code == 0 and '"last_position": 1' in out, err


def test_other_tables_in_the_read_models_schema_are_never_dropped(capsys, postgres_server, admin,
                                                                  schema_name):
    store_url = postgres_server.url(schema=schema_name)
    with EventStore.open(store_url) as store:
        store.append("o", "Order", [NewEvent("Placed", {"total": 5})])
    theirs = f"{schema_name}_readmodels"
    admin.execute(f"CREATE SCHEMA {theirs}")
    admin.execute(f"CREATE TABLE {theirs}.important (x int)")
    admin.execute(f"INSERT INTO {theirs}.important VALUES (1)")
    before = catalog(admin, theirs)
    with pytest.raises(StoreOpenError, match=r"holds tables that are not read models' "
                                             r"\(important\)\. Nothing was changed"):
        ServerReadModels(store_url)
    assert "(important)" in refused_in_one_line(capsys, "project", store_url, "--system", "shop")
    assert catalog(admin, theirs) == before
    assert admin.execute(f"SELECT x FROM {theirs}.important").fetchall() == [(1,)]
