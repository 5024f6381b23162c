"""`--system package.module:MyApplication` on the library's PostgreSQL tables: a stream's state
is the application's own rebuild, as on its SQLite files."""

from __future__ import annotations

from decimal import Decimal

import orjson

from explorer.domain.repository import Repository
from explorer.system.discovery import load_system
from explorer.system.workspace import open_store
from tests.cli.running import run
from tests.foreign.test_application_system import BANK, expected
from tests.postgres.test_library_store import bank_app, tables  # noqa: F401 - the fixture


def test_states_on_a_server_are_the_applications_own_rebuild(bank_app, store_url,  # noqa: F811
                                                            schema_name, admin, private_cache):
    account = bank_app.open_account("owner")
    for _ in range(4):  # snapshots at versions 3 (and 6): the repository starts from one
        bank_app.credit(account, Decimal("1.10"))
    before = tables(admin, schema_name)
    system = load_system(BANK)
    with open_store(store_url, system=system, read_only=True) as store:
        repository = Repository(store, system.domain)
        for version in (1, 3, 5):
            state = repository.load_existing(str(account), at_version=version).aggregate.state()
            assert state == expected(bank_app, account, version)
    system.domain.reader.close()
    assert tables(admin, schema_name) == before


def test_the_cli_state_command_reads_a_server_with_the_application(
        bank_app, store_url, private_cache, capsys) -> None:  # noqa: F811
    account = bank_app.open_account("owner")
    bank_app.credit(account, Decimal("2.50"))
    code, out, err = run(capsys, "state", store_url, str(account), "--system", BANK, "--json")
    assert code == 0, err
    shown = orjson.loads(out)
    assert shown["state"] == expected(bank_app, account, 2) and shown["generic"] is False
    assert shown["state"]["balance"] == "2.50"


def test_without_a_cache_folder_the_state_says_why_it_cannot_be_rebuilt(
        bank_app, store_url, tmp_path, monkeypatch) -> None:  # noqa: F811
    from explorer.store.foreign import postgres_library
    from explorer.system.application import STATE_ERROR

    blocked = tmp_path / "a-file-not-a-folder"
    blocked.write_text("")
    monkeypatch.setattr(postgres_library, "mirror_path",
                        lambda server, layout: blocked / "library" / "mirror.sqlite")
    account = bank_app.open_account("owner")
    system = load_system(BANK)
    with open_store(store_url, system=system, read_only=True) as store:
        state = Repository(store, system.domain).load_existing(str(account)).aggregate.state()
    system.domain.reader.close()
    assert "private temporary file" in state[STATE_ERROR]


def test_check_of_a_server_s_tables_does_not_claim_sqlite_s_integrity(
        bank_app, store_url, private_cache, capsys) -> None:  # noqa: F811
    bank_app.open_account("owner")
    code, out, err = run(capsys, "check", store_url)
    assert code == 0, err
    assert "eventsourcing library" in out and "no hash chain" in out
    assert "SQLite" not in out and "the server keeps its own pages" in out
