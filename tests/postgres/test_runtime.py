"""Read models on the server: those of a server store live in a schema beside its events (that
they are those a store file gets, the suites run on both backends show: tests/projections,
tests/timetravel/test_fidelity.py), opened read-only before they are built they say so, and a
role that may not make their schema is told what to grant."""

from __future__ import annotations

import pytest

from explorer.projections import read_rows
from explorer.projections.database import ReadModelsMissingError, open_read_models
from explorer.projections.postgres_readmodels import ServerReadModels
from explorer.runtime.runner import Runner
from explorer.store import StoreOpenError
from explorer.system.discovery import load_system
from explorer.system.workspace import open_store

SHOP = load_system("shop")


def seeded(location, size=12) -> str:
    with open_store(location, system=SHOP, create=True) as store:
        SHOP.seeder.seed(store, size=size, seed=5, days=10, recent=False)
    return str(location)


def test_read_models_live_in_a_schema_beside_the_events(store_url, admin, schema_name):
    with Runner(seeded(store_url), SHOP, run_sagas=False) as runner:
        runner.run_pending()
        assert isinstance(runner.db, ServerReadModels)
        assert read_rows(runner.db, SHOP.projections()[0].main_table, search="order", limit=5)
    tables = {name for (name,) in admin.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = %s", (f"{schema_name}_readmodels",))}
    assert {"projection_state", *(table.name for projection in SHOP.projections()
                                  for table in projection.tables)} <= tables


def test_read_models_not_built_yet_say_so(store_url):
    seeded(store_url, size=2)
    with pytest.raises(ReadModelsMissingError, match="run the projections first"):
        open_read_models(store_url, False, read_only=True)


def test_a_role_that_may_not_make_the_read_models_schema_is_told_what_to_grant(
        postgres_server, admin, schema_name):
    seeded(postgres_server.url(schema=schema_name), size=2)
    user, password = postgres_server.password_user, "r3adm0dels"
    admin.execute(f"CREATE ROLE {user} LOGIN PASSWORD '{password}'")
    try:
        admin.execute(f"GRANT USAGE ON SCHEMA {schema_name} TO {user}")
        admin.execute(f"GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA {schema_name} "
                      f"TO {user}")
        url = postgres_server.url(user=user, password=password, schema=schema_name)
        with pytest.raises(StoreOpenError, match=f"CREATE SCHEMA {schema_name}_readmodels "
                                                 "AUTHORIZATION"):
            Runner(url, SHOP, run_sagas=False)
        admin.execute(f"CREATE SCHEMA {schema_name}_readmodels AUTHORIZATION {user}")
        with Runner(url, SHOP, run_sagas=False) as runner:  # made for it: it serves
            runner.run_pending()
            assert isinstance(runner.db, ServerReadModels)
    finally:
        admin.execute(f"DROP OWNED BY {user}")
        admin.execute(f"DROP ROLE {user}")


def test_a_role_not_granted_the_read_models_another_role_made_is_told_what_to_do(
        postgres_server, admin, schema_name, monkeypatch):
    """A team: one role made the read models (the first `run`); another, which may write the
    events, runs the projections too. Without rights on their schema, or with rights on its
    tables alone (an index is made only by its table's owner), it is told what to grant, or
    to open the store read-only; before, the first ended 'permission denied for schema' with
    nothing to do, the second in a traceback ('must be owner of table order_summary'). A
    superuser's role is never what to grant (a member may SET ROLE to it: it was, 'GRANT
    postgres TO role'): the schema, derived data, is dropped and made again by the team."""
    with Runner(seeded(postgres_server.url(schema=schema_name), size=2), SHOP,
                run_sagas=False) as runner:  # (by a superuser)
        runner.run_pending()
    role, other = f"team_{schema_name}", f"team2_{schema_name}"
    models = f"{schema_name}_readmodels"
    try:
        for name in (role, other):
            admin.execute(f"CREATE ROLE {name} LOGIN")
            admin.execute(f"GRANT USAGE ON SCHEMA {schema_name} TO {name}")
            admin.execute(f"GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA {schema_name} "
                          f"TO {name}")
        url = postgres_server.url(user=role, schema=schema_name)
        told = (f"The read models of .* live in the schema {models}, which another role made: "
                f"the role {role} may not use it .* Its owner, {postgres_server.superuser}, is "
                f"a superuser, whose role is not to be granted .*DROP SCHEMA {models} CASCADE.*"
                f"run the projections as {role}.* open the store read-only")
        with pytest.raises(StoreOpenError, match=told) as refused:
            Runner(url, SHOP, run_sagas=False)
        assert "GRANT" not in str(refused.value).replace(f"grant them {role}", "")
        admin.execute(f"GRANT USAGE ON SCHEMA {models} TO {role}")
        admin.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "
                      f"{models} TO {role}")
        with pytest.raises(StoreOpenError, match=told.replace("use it", "change its tables")):
            Runner(url, SHOP, run_sagas=False)
        admin.execute(f"DROP SCHEMA {models} CASCADE")  # as the message says
        admin.execute(f"CREATE SCHEMA {models} AUTHORIZATION {role}")  # (it may make none)
        with Runner(url, SHOP, run_sagas=False) as runner:
            runner.run_pending()
            assert isinstance(runner.db, ServerReadModels)
        url = postgres_server.url(user=other, schema=schema_name).replace(f"{other}@", "")
        monkeypatch.setenv("PGUSER", other)  # the team's next role, not named in the URL:
        # named as the server says (it was 'the role you connect as', 'GRANT ... TO you ...')
        told = (f"the role {other} may not use it .* GRANT {role} TO {other}.* open the store "
                "read-only")
        with pytest.raises(StoreOpenError, match=told):
            Runner(url, SHOP, run_sagas=False)
        admin.execute(f"GRANT {role} TO {other}")  # as the message says
        with Runner(url, SHOP, run_sagas=False) as runner:
            runner.run_pending()
            assert isinstance(runner.db, ServerReadModels)
    finally:
        for name in (other, role):
            admin.execute(f"DROP OWNED BY {name}")
            admin.execute(f"DROP ROLE {name}")
