"""Opening the `eventsourcing` library's PostgreSQL tables: read-only, decoded, live, untouched.

The library's own Bank application (tests/foreign/bank.py) writes to the throwaway server with
its PostgreSQL recorder; the store opened on the schema reads what it wrote.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from decimal import Decimal
from uuid import UUID

import pytest

from explorer.store.errors import ReadOnlyStoreError
from explorer.store.event_store import EventStore
from explorer.store.foreign.postgres_library import READ_ONLY_REASON, PostgresLibraryStore
from explorer.store.records import NewEvent
from explorer.store.watch import AppendWatcher
from tests.foreign.bank import Bank


@pytest.fixture
def bank_app(postgres_server, schema_name, admin) -> Iterator[Bank]:
    """The Bank on the server, its tables in the schema `schema_name` (named after it:
    bank_events, bank_snapshots)."""
    admin.execute(f"CREATE SCHEMA {schema_name}")
    app = Bank(env={"PERSISTENCE_MODULE": "eventsourcing.postgres",
                    "POSTGRES_DBNAME": "postgres", "POSTGRES_HOST": "127.0.0.1",
                    "POSTGRES_PORT": str(postgres_server.port),
                    "POSTGRES_USER": postgres_server.superuser, "POSTGRES_PASSWORD": "",
                    "POSTGRES_SCHEMA": schema_name})
    try:
        yield app
    finally:
        app.close()


def heard(watcher: AppendWatcher, within_s: float = 10.0) -> int | None:
    """The watcher's next news, looked for until `within_s` passes: a commit's notification
    reaches the store's connection a moment after the commit returns."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        news = watcher.poll()
        if news is not None:
            return news
    return None


def tables(admin, schema: str) -> list[str]:
    return [name for (name,) in admin.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = %s "
        "ORDER BY table_name", (schema,)).fetchall()]


def test_the_library_tables_open_read_only_decoded_as_its_files_are(bank_app, store_url,
                                                                    schema_name, admin):
    ids = [bank_app.open_account(f"owner{n}") for n in range(2)]
    for _ in range(4):
        for account_id in ids:
            bank_app.credit(account_id, Decimal("1.10"))
    before = tables(admin, schema_name)
    with EventStore.open(store_url) as store:  # asked for writing: the library's, read-only
        assert isinstance(store, PostgresLibraryStore)
        assert store.read_only and store.read_only_reason == READ_ONLY_REASON
        assert store.layout.events_table == "bank_events"
        assert store.layout.snapshots_table == "bank_snapshots"
        events = list(store.read_all())
        assert [e.position for e in events] == list(range(1, 11))
        opened = events[0]
        account = bank_app.repository.get(UUID(opened.stream_id))
        assert opened.stream_id == str(account.id)  # a UUID with dashes
        assert (opened.stream_type, opened.event_type, opened.version) == (
            "Account", "Opened", 1)
        assert opened.data["ref"] == str(account.ref)
        assert opened.data["opened_on"] == "2024-01-02"
        assert opened.timestamp == account.created_on
        credits = [e for e in events if e.stream_id == opened.stream_id][1:]
        assert [e.data for e in credits] == [{"amount": "1.10"}] * 4  # exact, as stored
        assert sum(Decimal(e.data["amount"]) for e in credits) == account.balance
        assert sorted(s.stream_id for s in store.list_streams()) == sorted(map(str, ids))
        assert store.event_types() == ["Credited", "Opened"]
        assert [e.version for e in store.read_stream(opened.stream_id)] == [1, 2, 3, 4, 5]
        snapshot = store.latest_snapshot(opened.stream_id)
        assert snapshot is not None and snapshot.version == 3
        assert '"balance":"2.20"' in snapshot.state_json
        with pytest.raises(ReadOnlyStoreError):
            store.append("x", "T", [NewEvent("Nope", {})])
    assert tables(admin, schema_name) == before  # no store made beside the library's tables


def test_new_events_arrive_live(bank_app, store_url):
    first = bank_app.open_account("first")
    with EventStore.open(store_url, read_only=True) as store:
        watcher = AppendWatcher(store)
        assert watcher.poll() is None
        second = bank_app.open_account("second")
        bank_app.credit(first, Decimal("12.345"))
        assert heard(watcher) == 3
        latest = list(store.read_all(2))
        assert [(e.stream_id, e.event_type) for e in latest] == [
            (str(second), "Opened"), (str(first), "Credited")]
        assert latest[-1].data == {"amount": "12.345"}
        assert {s.stream_id: s.version for s in store.list_streams()} == {
            str(first): 2, str(second): 1}


def test_a_role_that_may_only_select_reads_them(postgres_server, bank_app, schema_name, admin):
    bank_app.open_account("only")
    role = f"reader_{schema_name}"
    admin.execute(f"CREATE ROLE {role} LOGIN")
    admin.execute(f"GRANT USAGE ON SCHEMA {schema_name} TO {role}")
    admin.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA {schema_name} TO {role}")
    with EventStore.open(postgres_server.url(user=role, schema=schema_name)) as store:
        assert isinstance(store, PostgresLibraryStore)
        assert [e.event_type for e in store.read_all()] == ["Opened"]


def test_a_follower_s_tracking_rows_are_read_as_its_followers(postgres_server, schema_name,
                                                              admin, store_url):
    """The Auditor follows the Bank (the library's System and runner), both in one schema:
    the Auditor's log opens with the Bank's log beside it, and its tracking rows say how far it
    followed the Bank, and how far behind the Bank's log's end it is."""
    from eventsourcing.system import SingleThreadedRunner, System

    from tests.foreign.bank import Auditor

    admin.execute(f"CREATE SCHEMA {schema_name}")
    env = {"PERSISTENCE_MODULE": "eventsourcing.postgres", "POSTGRES_DBNAME": "postgres",
           "POSTGRES_HOST": "127.0.0.1", "POSTGRES_PORT": str(postgres_server.port),
           "POSTGRES_USER": postgres_server.superuser, "POSTGRES_PASSWORD": "",
           "POSTGRES_SCHEMA": schema_name}
    runner = SingleThreadedRunner(System(pipes=[[Bank, Auditor]]), env=env)
    runner.start()
    try:
        for n in range(3):
            runner.get(Bank).open_account(f"owner{n}")
    finally:
        runner.stop()
    assert "auditor_tracking" in tables(admin, schema_name)
    with EventStore.open(store_url) as store:
        assert store.layout.events_table == "auditor_events"
        assert store.followers() == [{"name": "Bank", "position": 3, "log": "bank_events",
                                      "lag": 0}]
        assert store.followers(leader_last=5) == [{"name": "Bank", "position": 3, "log": None,
                                                   "lag": 2}]
        bank = Bank(env=env)  # the Bank alone: the Auditor falls behind
        try:
            bank.open_account("late")
        finally:
            bank.close()
        assert store.followers()[0]["lag"] == 1  # read again from the server each time


def test_the_log_s_end_is_asked_for_only_when_its_channel_was_heard(bank_app, store_url):
    """The library NOTIFYs the channel named after its log table as it inserts: the store
    listens there, and a look with nothing heard asks the server nothing."""
    account = bank_app.open_account("first")
    with EventStore.open(store_url, read_only=True) as store:
        asked = []
        execute = store._source.execute

        def counted(query, *args, **kwargs):
            asked.append(query)
            return execute(query, *args, **kwargs)

        store._source.execute = counted
        watcher = AppendWatcher(store)
        assert watcher.poll() is None
        for _ in range(3):
            assert watcher.poll() is None
        assert store._log_end not in asked  # nothing heard: the server not asked
        bank_app.credit(account, Decimal("1"))
        assert heard(watcher) == 2  # heard, asked once, copied
        assert asked.count(store._log_end) == 1
        assert [e.event_type for e in store.read_all(2)] == ["Credited"]


def test_an_open_copies_only_the_rows_its_mirror_does_not_hold(bank_app, store_url,
                                                                 monkeypatch):
    from explorer.store.foreign import postgres_library

    copied = []
    original = postgres_library._originator
    monkeypatch.setattr(postgres_library, "_originator",
                        lambda value: copied.append(value) or original(value))
    ids = [bank_app.open_account(f"owner{n}") for n in range(3)]
    with EventStore.open(store_url) as store:
        first = [(e.event_id, e.position) for e in store.read_all()]
        mirror = postgres_library.mirror_path(store.server, store.layout)
    assert len(copied) == 3 and mirror.stat().st_mode & 0o077 == 0  # private
    copied.clear()
    bank_app.credit(ids[0], Decimal("2"))
    with EventStore.open(store_url) as store:  # the mirror's last row checked, one row copied
        assert [(e.event_id, e.position) for e in store.read_all()][:3] == first
        assert store.last_position() == 4 and store.event_at(4).event_type == "Credited"
    assert len(copied) == 2


def test_a_mirror_of_other_rows_is_copied_again_whole(bank_app, store_url, schema_name, admin,
                                                      postgres_server):
    """The library's tables made again (other rows at the same notification ids): what the
    mirror held is dropped, not shown."""
    bank_app.open_account("before")
    with EventStore.open(store_url) as store:
        before = [e.stream_id for e in store.read_all()]
    admin.execute(f"DROP SCHEMA {schema_name} CASCADE")
    admin.execute(f"CREATE SCHEMA {schema_name}")
    again = Bank(env={"PERSISTENCE_MODULE": "eventsourcing.postgres",
                      "POSTGRES_DBNAME": "postgres", "POSTGRES_HOST": "127.0.0.1",
                      "POSTGRES_PORT": str(postgres_server.port),
                      "POSTGRES_USER": postgres_server.superuser, "POSTGRES_PASSWORD": "",
                      "POSTGRES_SCHEMA": schema_name})
    try:
        made = [str(again.open_account(f"after{n}")) for n in range(2)]
    finally:
        again.close()
    with EventStore.open(store_url) as store:
        assert [e.stream_id for e in store.read_all()] == made != before


def test_a_cache_folder_that_cannot_be_written_copies_into_a_temporary_file(
        bank_app, store_url, tmp_path, monkeypatch):
    from explorer.store.foreign import postgres_library

    blocked = tmp_path / "a-file-not-a-folder"
    blocked.write_text("")
    monkeypatch.setattr(postgres_library, "mirror_path",
                        lambda server, layout: blocked / "library" / "mirror.sqlite")
    bank_app.open_account("only")
    with EventStore.open(store_url) as store:
        assert [e.event_type for e in store.read_all()] == ["Opened"]


def test_the_cipher_key_given_decrypts_the_server_s_rows(postgres_server, schema_name, admin,
                                                          store_url, monkeypatch, capsys):
    """--cipher-key (and the window's, kept for the URL) decrypts as on the library's files:
    it was not passed on to a server's store, whose rows all said "encrypted"."""
    from explorer.store.foreign.library_store import remember_cipher_key
    from tests.cli.running import run
    from tests.foreign.bank import XOR_TOPIC

    admin.execute(f"CREATE SCHEMA {schema_name}")
    app = Bank(env={"PERSISTENCE_MODULE": "eventsourcing.postgres",
                    "POSTGRES_DBNAME": "postgres", "POSTGRES_HOST": "127.0.0.1",
                    "POSTGRES_PORT": str(postgres_server.port),
                    "POSTGRES_USER": postgres_server.superuser, "POSTGRES_PASSWORD": "",
                    "POSTGRES_SCHEMA": schema_name,
                    "CIPHER_TOPIC": XOR_TOPIC, "CIPHER_KEY": "k3y"})
    try:
        account = app.open_account("ann")
        app.credit(account, Decimal("2.50"))
    finally:
        app.close()
    monkeypatch.delenv("CIPHER_KEY", raising=False)
    monkeypatch.setenv("CIPHER_TOPIC", XOR_TOPIC)
    with EventStore.open(store_url, read_only=True) as store:  # no key: said encrypted
        assert [e.data for e in store.read_all()] == [{"_stored_": "encrypted"}] * 2
    with EventStore.open(store_url, read_only=True, cipher_key="k3y") as store:
        assert [e.data.get("amount") for e in store.read_all()] == [None, "2.50"]
        assert store.cipher_key == "k3y"
    code, out, err = run(capsys, "events", store_url, "--json", "--cipher-key", "k3y")
    assert code == 0, err
    assert '"amount":"2.50"' in out and "encrypted" not in out
    remember_cipher_key(store_url, "k3y")  # the window's: its workers open with the URL alone
    with EventStore.open(store_url, read_only=True) as store:
        assert [e.data.get("amount") for e in store.read_all()] == [None, "2.50"]


def test_an_export_of_encrypted_rows_without_the_key_warns_as_of_a_file(
        postgres_server, schema_name, admin, store_url, monkeypatch, tmp_path, capsys):
    """The warning a file's export gives (its events written without their data and time) was
    not given for a server's schema, which export did not open to check."""
    from tests.cli.running import run
    from tests.foreign.bank import XOR_TOPIC

    admin.execute(f"CREATE SCHEMA {schema_name}")
    app = Bank(env={"PERSISTENCE_MODULE": "eventsourcing.postgres",
                    "POSTGRES_DBNAME": "postgres", "POSTGRES_HOST": "127.0.0.1",
                    "POSTGRES_PORT": str(postgres_server.port),
                    "POSTGRES_USER": postgres_server.superuser, "POSTGRES_PASSWORD": "",
                    "POSTGRES_SCHEMA": schema_name,
                    "CIPHER_TOPIC": XOR_TOPIC, "CIPHER_KEY": "k3y"})
    try:
        app.open_account("ann")
    finally:
        app.close()
    monkeypatch.delenv("CIPHER_KEY", raising=False)
    monkeypatch.setenv("CIPHER_TOPIC", XOR_TOPIC)
    code, _, err = run(capsys, "export", store_url, tmp_path / "events.jsonl")
    assert code == 0 and "warning:" in err and "no key was given" in err, err
