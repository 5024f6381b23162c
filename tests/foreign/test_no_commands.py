"""`command` and `commands` with an eventsourcing application loaded: the store it wrote is
read-only here, and the message says so (not that an aggregate type is unknown, nor nothing)."""

from __future__ import annotations

from pathlib import Path

from explorer.system.application import NO_COMMANDS
from tests.cli.running import run
from tests.foreign.bank import write_bank
from tests.foreign.test_application_system import BANK, digest, side_files


def test_a_command_to_an_application_s_store_is_refused_saying_why(tmp_path: Path,
                                                                   capsys) -> None:
    path = tmp_path / "bank.db"
    ids = write_bank(path, accounts=1, credits=1)
    before = digest(path)
    code, out, err = run(capsys, "command", path, "Account", str(ids[0]), "credit",
                         "--system", BANK)
    assert code != 0 and out == ""
    assert err.strip() == f"error: The system Bank has no commands it can send here. {NO_COMMANDS}"
    assert digest(path) == before and side_files(path) == []


def test_commands_of_an_application_say_it_has_none_to_send(tmp_path: Path, capsys) -> None:
    path = tmp_path / "bank.db"
    write_bank(path, accounts=1, credits=1)
    for arguments in (["--system", BANK], [path, "--system", BANK]):
        code, out, err = run(capsys, "commands", *arguments)
        assert code != 0 and out == ""
        assert "has no commands it can send here" in err and "eventsourcing application" in err
