"""Who may do what to a store on a server: read-only roles and transactions, the immutable log,
and a password that is used to connect but never shown, kept or written anywhere."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from explorer.store import EventStore, NewEvent, ReadOnlyStoreError, StoreOpenError

ROOT = Path(__file__).resolve().parents[2]


def test_a_role_that_may_only_select_reads_and_opens_read_only(postgres_server, store_url,
                                                                schema_name, admin):
    with EventStore.open(store_url) as writer:
        writer.append("o", "Order", [NewEvent("Placed", {"total": 5})])
    role = f"reader_{schema_name}"
    admin.execute(f"CREATE ROLE {role} LOGIN")
    admin.execute(f"GRANT USAGE ON SCHEMA {schema_name} TO {role}")
    admin.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA {schema_name} TO {role}")
    url = postgres_server.url(user=role, schema=schema_name)
    with EventStore.open(url, read_only=True) as reader:
        assert [e.data for e in reader.read_all()] == [{"total": 5}]
        assert reader.list_streams()[0].stream_id == "o"
        with pytest.raises(ReadOnlyStoreError, match="read-only"):
            reader.append("o", "Order", [NewEvent("Shipped", {})])
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):  # the server refuses too
            reader._db.execute("SELECT pg_advisory_xact_lock(1); CREATE TABLE x (y int)")
    with EventStore.open(url) as opened:  # asked for writing: read-only, saying why
        assert opened.read_only
        assert f"the role {role} may not write" in opened.read_only_reason
        with pytest.raises(ReadOnlyStoreError):
            opened.save_checkpoint("runner", 1)


def test_a_read_only_open_of_a_schema_without_a_store_changes_nothing(postgres_server, admin):
    url = postgres_server.url(schema="nothing_here")
    with pytest.raises(StoreOpenError, match="No store in the schema nothing_here"):
        EventStore.open(url, read_only=True)
    assert admin.execute("SELECT to_regnamespace('nothing_here')").fetchone()[0] is None


def test_the_server_refuses_to_change_or_delete_stored_events(store_url, schema_name, admin):
    with EventStore.open(store_url) as store:
        store.append("o", "Order", [NewEvent("Placed", {"total": 5})])
    for statement in (f"UPDATE {schema_name}.events SET data = '{{}}'",
                      f"DELETE FROM {schema_name}.events",
                      f"TRUNCATE {schema_name}.events",
                      f"DELETE FROM {schema_name}.event_hashes"):
        with pytest.raises(psycopg.errors.RaiseException, match="immutable"):
            admin.execute(statement)
    with EventStore.open(store_url, read_only=True) as store:
        assert store.event_count() == 1


def test_bad_urls_are_refused_saying_what_to_write(postgres_server):
    for url, said in [("postgresql://127.0.0.1:1/db", "Cannot connect to postgresql://"),
                      (postgres_server.url(schema="Bad-Name"), "cannot be a store's schema"),
                      ("postgresql://host", "names no database")]:
        with pytest.raises(StoreOpenError, match=said):
            EventStore.open(url)


def test_a_password_is_used_but_never_shown_kept_or_written(postgres_server, admin, tmp_path,
                                                            schema_name):
    password = "s3cret-Pa55word-never-on-disk"
    user = postgres_server.password_user
    admin.execute(f"CREATE ROLE {user} LOGIN PASSWORD '{password}'")
    admin.execute(f"GRANT CREATE ON DATABASE postgres TO {user}")
    try:
        url = postgres_server.url(user=user, password=password, schema=schema_name)
        with pytest.raises(StoreOpenError) as refused:
            EventStore.open(postgres_server.url(user=user, password="wrong", schema=schema_name))
        assert "wrong" not in str(refused.value) and "password" in str(refused.value)
        with EventStore.open(url) as store:
            store.append("o", "Order", [NewEvent("Placed", {})])
            shown = [store.location, store.name, repr(store), str(store.read_only_reason)]
        assert not any(password in text for text in shown)
        assert store.location == postgres_server.url(user=user, schema=schema_name)
        # The command line with the password in the URL, and with it in PGPASSWORD; everything
        # the runs wrote (settings, caches, logs, read models) searched for it.
        home = tmp_path / "home"
        env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / "config"),
               "XDG_CACHE_HOME": str(home / "cache"), "XDG_DATA_HOME": str(home / "data"),
               "XDG_STATE_HOME": str(home / "state")}
        bare = postgres_server.url(user=user, schema=schema_name)
        outputs = []
        for arguments, extra in [(["summary", url], {}), (["project", url, "--system", "shop"], {}),
                                 (["events", bare], {"PGPASSWORD": password})]:
            done = subprocess.run([sys.executable, "-m", "explorer", *arguments], cwd=tmp_path,
                                  env={**env, **extra}, capture_output=True, text=True,
                                  timeout=120, check=False)
            assert done.returncode == 0, done.stderr
            outputs += [done.stdout, done.stderr]
        assert not any(password in output for output in outputs)
        written = [path for path in tmp_path.rglob("*") if path.is_file()]
        assert written  # the runs did write their files (read models, caches)
        assert not [path for path in written if password.encode() in path.read_bytes()]
    finally:
        admin.execute(f"DROP OWNED BY {user} CASCADE")
        admin.execute(f"DROP ROLE {user}")


def test_a_password_no_url_or_environment_gives_is_asked_for_once(postgres_server, admin,
                                                                   schema_name, monkeypatch):
    from explorer.store import postgres_url

    monkeypatch.delenv("PGPASSWORD", raising=False)
    monkeypatch.setenv("PGPASSFILE", "/nonexistent")
    user, password = postgres_server.password_user, "asked-Pa55"
    admin.execute(f"CREATE ROLE {user} LOGIN PASSWORD '{password}'")
    admin.execute(f"GRANT CREATE ON DATABASE postgres TO {user}")
    monkeypatch.setattr(postgres_url, "_passwords", {})  # none remembered from other tests
    url = postgres_server.url(user=user, schema=schema_name)
    try:
        with pytest.raises(StoreOpenError, match="no password supplied"):
            EventStore.open(url)  # nobody to ask
        asked = []
        postgres_url.ask_for_passwords_with(lambda shown: asked.append(shown) or password)
        with EventStore.open(url) as store:  # asked once; its workers' connections are not
            store.append("o", "Order", [NewEvent("Placed", {})])
            with EventStore.open(url, read_only=True) as reader:
                assert reader.last_position() == 1
        assert asked == [url] and password not in store.location
    finally:
        postgres_url.ask_for_passwords_with(None)
        admin.execute(f"DROP OWNED BY {user} CASCADE")
        admin.execute(f"DROP ROLE {user}")


def test_appends_read_committed_whatever_the_roles_default(postgres_server, store_url,
                                                           schema_name, admin):
    """An append reads the log's end after its lock is granted, in a statement of its own: only
    READ COMMITTED sees the commit of the append that held the lock. A role whose transactions
    default to REPEATABLE READ still appends so (failed before: the snapshot of the call's
    start, the end of the log before the other append)."""
    with EventStore.open(store_url) as made:
        made.append("o", "Order", [NewEvent("Placed", {})])
    role = f"repeatable_{schema_name}"
    admin.execute(f"CREATE ROLE {role} LOGIN")
    admin.execute(f"ALTER ROLE {role} SET default_transaction_isolation = 'repeatable read'")
    admin.execute(f"GRANT USAGE, CREATE ON SCHEMA {schema_name} TO {role}")
    admin.execute(f"GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA {schema_name} TO {role}")
    admin.execute(f"GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA {schema_name} TO {role}")
    with EventStore.open(postgres_server.url(user=role, schema=schema_name)) as store:
        assert store._server.execute("SHOW transaction_isolation").fetchone()[0] \
            == "read committed"
        store.append("o", "Order", [NewEvent("Paid", {})], 1)
    assert [e.position for e in EventStore.open(store_url).read_all()] == [1, 2]


def test_a_role_that_may_not_make_the_append_function_uses_the_stores_earlier_one(
        postgres_server, store_url, schema_name, admin):
    """A store made by an earlier version has its server-side append: a role that may not
    create this version's calls that one (the same rows), not the plain append."""
    from explorer.store import postgres_append
    from explorer.store.check import check_store

    with EventStore.open(store_url) as made:
        made.append("o", "Order", [NewEvent("Placed", {})])
    earlier = postgres_append.EARLIER[0]
    admin.execute(f"DROP FUNCTION {schema_name}.{postgres_append.FUNCTION}")
    admin.execute(postgres_append._FUNCTION_SQL.format(
        name=f"{schema_name}.{earlier}", schema=schema_name).replace(
        postgres_append.FUNCTION, earlier))
    role = f"no_create_{schema_name}"
    admin.execute(f"CREATE ROLE {role} LOGIN")
    admin.execute(f"GRANT USAGE ON SCHEMA {schema_name} TO {role}")
    admin.execute(f"GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA {schema_name} TO {role}")
    admin.execute(f"GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA {schema_name} TO {role}")
    with EventStore.open(postgres_server.url(user=role, schema=schema_name)) as store:
        assert store._append_call == postgres_append.call(earlier)  # (failed before: None)
        store.append("o", "Order", [NewEvent("Paid", {})], 1)
        assert check_store(store).ok
    assert [e.event_type for e in EventStore.open(store_url).read_all()] == ["Placed", "Paid"]
