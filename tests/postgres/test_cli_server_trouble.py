"""A subcommand on a server store whose server fails it mid-way (its session ended by an
administrator or a restart, a statement cancelled by a statement_timeout) says so in one line,
naming what happened and what to do, and exits 1: no traceback."""

from __future__ import annotations

from explorer.store.postgres import PostgresStore
from tests.cli.running import run, seed_shop


def test_a_session_ended_mid_command_is_said_in_one_line(capsys, monkeypatch, postgres_server,
                                                         schema_name, admin):
    seed_shop(postgres_server.url(schema=schema_name), 3, 1)
    role = f"ended_{schema_name}"
    admin.execute(f"CREATE ROLE {role} LOGIN")
    admin.execute(f"GRANT USAGE ON SCHEMA {schema_name} TO {role}")
    admin.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA {schema_name} TO {role}")
    read = PostgresStore.stream_types

    def ended_first(store):  # (its session ended and no new one allowed: a read is otherwise
        admin.execute(f"ALTER ROLE {role} NOLOGIN")  # sent again on a new connection)
        admin.execute("SELECT pg_terminate_backend(%s)", (store._pid,))
        return read(store)

    monkeypatch.setattr(PostgresStore, "stream_types", ended_first)
    try:
        code, out, err = run(capsys, "summary", postgres_server.url(user=role,
                                                                    schema=schema_name))
    finally:
        admin.execute(f"DROP OWNED BY {role}")
        admin.execute(f"DROP ROLE {role}")
    assert code == 1
    assert err.startswith("error: The connection to the PostgreSQL server was lost while "
                          "`summary` ran (terminating connection due to administrator command)")
    assert "Check that the server runs, then run the command again." in err
    assert "Traceback" not in err and len(err.splitlines()) == 1


def test_a_statement_the_server_cancels_is_said_with_what_to_do(capsys, monkeypatch, store_url):
    seed_shop(store_url, 3, 1)

    def too_slow(store):  # (a statement_timeout set for the role, the database or the URL)
        store._server.execute("SET statement_timeout = 1")
        store._server.execute("SELECT pg_sleep(2)")

    monkeypatch.setattr(PostgresStore, "stream_types", too_slow)
    code, out, err = run(capsys, "summary", store_url)
    assert code == 1
    assert err.startswith("error: The PostgreSQL server cancelled a statement of `summary` "
                          "(canceling statement due to statement timeout)")
    assert "statement_timeout" in err.split(")", 1)[1]  # what to raise, and where
    assert "Traceback" not in err and len(err.splitlines()) == 1
