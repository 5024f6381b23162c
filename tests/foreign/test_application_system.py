"""`--system package.module:MyApplication`: a stream's state is the application's own rebuild."""

from __future__ import annotations

import hashlib
from decimal import Decimal
from pathlib import Path
from uuid import UUID

import orjson
import pytest

from explorer.domain.repository import Repository
from explorer.system.application import STATE_ERROR, ApplicationSystem
from explorer.system.discovery import load_system
from explorer.system.workspace import open_store
from explorer.timetravel.machine import TimeMachine
from tests.cli.running import run
from tests.foreign.bank import XOR_TOPIC, bank, write_bank

BANK = "tests.foreign.bank:Bank"


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def side_files(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.iterdir() if p.name != path.name)


def expected(app, account_id: UUID, version: int) -> dict:
    """The application's own aggregate at `version`, as the explorer shows values."""
    account = app.repository.get(account_id, version=version)
    return {"owner": account.owner, "opened_on": account.opened_on.isoformat(),
            "ref": str(account.ref), "branch": {"_type_": "point_as_list", "_data_": [3, 4]},
            "balance": str(account.balance)}


def test_states_are_the_applications_own_rebuild_at_every_version(tmp_path: Path) -> None:
    path = tmp_path / "bank.db"
    ids = write_bank(path, accounts=2, credits=4)
    before = digest(path)
    system = load_system(BANK)
    assert isinstance(system, ApplicationSystem) and system.registry is None
    with open_store(path, system=system, read_only=True) as store, bank(path) as app:
        repository = Repository(store, system.domain)
        for version in (1, 2, 3, 4, 5):  # before and after the application's snapshot at 3
            state = repository.load_existing(str(ids[0]), at_version=version).aggregate.state()
            assert state == expected(app, ids[0], version)
            assert Decimal(state["balance"]) == app.repository.get(
                ids[0], version=version).balance
        assert state["balance"] == "4.40"  # exact: the Decimal's own digits
        machine = TimeMachine(store, None, system)
        moment = machine.aggregate_at(str(ids[1]), store.read_stream(str(ids[1]))[2].position)
        assert moment.state == expected(app, ids[1], 3)
        assert [(c.path, c.before, c.after) for c in moment.changes] == [
            ("balance", "1.10", "2.20")]
    system.domain.reader.close()
    assert digest(path) == before and side_files(path) == []


def test_the_cli_state_command_shows_the_applications_state(tmp_path: Path, capsys) -> None:
    path = tmp_path / "bank.db"
    ids = write_bank(path, accounts=1, credits=3)
    code, out, err = run(capsys, "state", path, str(ids[0]), "--at-version", "3",
                         "--system", BANK, "--json")
    assert code == 0, err
    shown = orjson.loads(out)
    assert shown["state"]["balance"] == "2.20" and shown["generic"] is False
    with bank(path) as app:
        assert shown["state"] == expected(app, ids[0], 3)


def test_an_encrypted_file_is_read_with_the_cipher_key_option(
        tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "secret.db"
    ids = write_bank(path, accounts=1, credits=2, CIPHER_TOPIC=XOR_TOPIC, CIPHER_KEY="k3y")
    monkeypatch.delenv("CIPHER_KEY", raising=False)
    monkeypatch.setenv("CIPHER_TOPIC", XOR_TOPIC)
    code, out, _ = run(capsys, "events", path, "--json")
    assert code == 0 and "encrypted" in out and "1.10" not in out
    code, out, _ = run(capsys, "state", path, str(ids[0]), "--system", BANK, "--json")
    assert code == 0
    assert "could not rebuild" in orjson.loads(out)["state"][STATE_ERROR]  # said, not crashed
    code, out, _ = run(capsys, "events", path, "--json", "--cipher-key", "k3y")
    assert code == 0 and "1.10" in out and "encrypted" not in out
    code, out, err = run(capsys, "state", path, str(ids[0]), "--system", BANK, "--json",
                         "--cipher-key", "k3y")
    assert code == 0, err
    assert orjson.loads(out)["state"]["balance"] == "2.20"


@pytest.mark.parametrize("cipher", [False, True], ids=["zlib", "encrypted_zlib"])
def test_a_compressed_file_is_rebuilt_by_an_application_whose_environment_names_no_compressor(
        tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch, cipher: bool) -> None:
    """The application's COMPRESSOR_TOPIC is in its own environment (its deployment's), not
    here: its rows say they are zlib's, as the explorer reads them, so its rebuild decompresses
    them too. Before, every state said 'MapperDeserialisationError: ... 'utf-8' codec can't
    decode byte 0x9c', with its key given or without a cipher at all."""
    path = tmp_path / "zipped.db"
    settings = {"COMPRESSOR_TOPIC": "eventsourcing.compressor:ZlibCompressor"}
    if cipher:
        settings.update(CIPHER_TOPIC=XOR_TOPIC, CIPHER_KEY="k3y")
        monkeypatch.setenv("CIPHER_TOPIC", XOR_TOPIC)
    ids = write_bank(path, accounts=1, credits=4, **settings)
    monkeypatch.delenv("COMPRESSOR_TOPIC", raising=False)
    monkeypatch.delenv("CIPHER_KEY", raising=False)
    key = ["--cipher-key", "k3y"] if cipher else []
    for version, balance in ((2, "1.10"), (5, "4.40")):  # before and after its snapshot
        code, out, err = run(capsys, "state", path, str(ids[0]), "--system", BANK, "--json",
                             "--at-version", str(version), *key)
        assert code == 0, err
        assert orjson.loads(out)["state"].get("balance") == balance, out


def test_a_state_the_application_cannot_rebuild_says_so_in_its_heading(
        tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "secret.db"
    ids = write_bank(path, accounts=1, credits=1, CIPHER_TOPIC=XOR_TOPIC, CIPHER_KEY="k3y")
    monkeypatch.delenv("CIPHER_KEY", raising=False)
    code, out, _ = run(capsys, "state", path, str(ids[0]), "--system", BANK)
    heading = out.splitlines()[0]
    assert code == 0 and heading.endswith("(Bank's repository could not rebuild it)"), heading
