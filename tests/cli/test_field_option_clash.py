"""A command's field named like one of the `command` subcommand's own options (`data`, `help`,
`json`, `system`, `expected_version`, ...) gets `--field-NAME`: both it and the subcommand's
option work, `--help` lists it, and `--data JSON` gives it by its name."""

from __future__ import annotations

from typing import Any, ClassVar

import orjson
import pytest

from explorer.cli.fields import field_parser
from explorer.domain import Aggregate, Command, DomainModel, applies
from explorer.system import System
from explorer.system.workspace import open_store
from tests.cli.running import run


class Note(Aggregate):
    stream_type = "Note"

    def write(self, data: str, help: str, system: str, expected_version: int,
              text: str) -> None:
        self._record("NoteWritten", data=data, help=help, system=system,
                     expected_version=expected_version, text=text)

    @applies("NoteWritten")
    def _written(self, data: dict[str, Any]) -> None:
        pass


class Write(Command):
    """Write a note whose fields are named like the command line's options."""

    stream_type: ClassVar[str] = "Note"
    command_name: ClassVar[str] = "write"
    creates_stream: ClassVar[bool | None] = True
    data: str = "d0"
    help: str = "h0"
    system: str = "s0"
    expected_version: int = 0
    text: str = "t0"


SYSTEM = System(name="notes", domain=DomainModel("notes", aggregates=[Note], commands=[Write]))
SPEC = "tests.cli.test_field_option_clash:SYSTEM"


@pytest.fixture
def store(tmp_path) -> str:
    path = str(tmp_path / "notes.evstore")
    open_store(path, system=SYSTEM, create=True).close()
    return path


def _written(store: str, stream_id: str) -> dict[str, Any]:
    with open_store(store, system=SYSTEM, read_only=True) as opened:
        event, = opened.read_stream(stream_id)
    return event.data


def test_clashing_fields_get_field_options():
    options = {action.dest: action.option_strings for action in
               field_parser(Write, "command")._actions}
    assert options["data"] == ["--field-data"] and options["help"] == ["--field-help"]
    assert options["system"] == ["--field-system"]
    assert options["expected_version"] == ["--field-expected-version"]
    assert options["text"] == ["--text"]


def test_data_json_gives_clashing_fields_by_name(store, capsys):
    data = orjson.dumps({"data": "d", "help": "h", "system": "s"}).decode()
    code, _out, err = run(capsys, "command", store, "Note", "n1", "write", "--system", SPEC,
                          "--data", data)
    assert code == 0, err
    assert _written(store, "n1") == {"data": "d", "help": "h", "system": "s",
                                     "expected_version": 0, "text": "t0"}


def test_field_options_and_the_subcommands_own_work_together(store, capsys):
    code, out, err = run(capsys, "command", store, "Note", "n2", "write", "--system", SPEC,
                         "--field-data", "fd", "--data", '{"data": "ignored", "help": "h"}',
                         "--field-expected-version", "7", "--expected-version", "0",
                         "--field-system", "fs", "--json")
    assert code == 0, err
    assert orjson.loads(out)["events"]  # --json is the subcommand's
    assert _written(store, "n2") == {"data": "fd", "help": "h", "system": "fs",
                                     "expected_version": 7, "text": "t0"}


def test_help_lists_the_field_options(store, capsys):
    code, out, _err = run(capsys, "command", store, "Note", "n3", "write", "--system", SPEC,
                          "--help")
    assert code == 0
    for option in ("--field-data", "--field-help", "--field-system", "--field-expected-version",
                   "--text", "--data JSON", "--expected-version VERSION"):
        assert option in out
