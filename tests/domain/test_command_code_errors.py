"""A command whose own code raises something other than DomainError (a bug of the system's: a
KeyError in an event handler, an event type no handler applies, a method the command calls by
default that the aggregate lacks) is said to be one, naming the stream, the command and the
line, and nothing is stored. Found with a system of one's own: the command line ended in a
traceback (`command`, `script`), and a ValueError was shown as if a business rule said it."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

from explorer.commanding.sending import CommandRequest, OutcomeKind, send
from explorer.domain import (
    Aggregate,
    Command,
    CommandCodeError,
    CommandService,
    DomainError,
    DomainModel,
    applies,
)
from explorer.system import System
from explorer.system.workspace import open_store
from tests.cli.running import run


class Crate(Aggregate):
    stream_type = "Crate"

    def __init__(self, stream_id: str) -> None:
        super().__init__(stream_id)
        self.items = 0

    def fill(self) -> None:
        self._record("CrateFilled", items=1)

    def crack(self) -> None:
        raise ValueError("a plain mistake")

    def spill(self) -> None:
        self._record("CrateSpilled", items=1)

    def lose(self) -> None:
        self._record("CrateLost")  # no handler applies it

    def refuse(self) -> None:
        raise DomainError("Crates are never refused twice.")

    @applies("CrateFilled")
    def _filled(self, data: dict[str, Any]) -> None:
        self.items += data["items"]

    @applies("CrateSpilled")
    def _spilled(self, data: dict[str, Any]) -> None:
        self.items -= data["count"]  # the event says "items": a KeyError


def _command(name: str) -> type[Command]:
    return type(name.title(), (Command,), {
        "__annotations__": {"stream_type": ClassVar[str], "command_name": ClassVar[str],
                            "creates_stream": ClassVar[bool | None]},
        "stream_type": "Crate", "command_name": name, "creates_stream": None,
        "__module__": __name__})


COMMANDS = [_command(name) for name in ("fill", "crack", "spill", "lose", "refuse", "stack")]
SYSTEM = System(name="crates", domain=DomainModel("crates", [Crate], COMMANDS))
SPEC = f"{__name__}:SYSTEM"


@pytest.fixture
def store(tmp_path) -> str:
    path = str(tmp_path / "crates.evstore")
    with open_store(path, system=SYSTEM, create=True) as opened:
        CommandService(opened, SYSTEM.domain).execute("Crate", "c1", "fill", {})
    return path


@pytest.mark.parametrize(("command", "said"), [
    ("crack", "ValueError: a plain mistake (in crack, "),
    ("spill", "KeyError: 'count' (in _spilled, "),
    ("lose", "TypeError: Crate has no handler for CrateLost (in lose, ")])
def test_a_fault_of_the_commands_code_names_the_stream_the_command_and_the_line(
        store, command, said):
    with open_store(store, system=SYSTEM) as opened:
        with pytest.raises(CommandCodeError) as raised:
            CommandService(opened, SYSTEM.domain).execute("Crate", "c1", command, {})
        assert opened.last_position() == 1  # nothing stored
    text = str(raised.value)
    assert text.startswith(f"Crate c1's command {command} failed in the system's code: {said}")
    assert f"{__file__} line " in text and "Nothing was stored" in text


def test_a_command_whose_aggregate_lacks_the_method_it_calls_says_so(store):
    with open_store(store, system=SYSTEM) as opened, pytest.raises(
            CommandCodeError, match=r"Crate c1's command stack cannot run: Stack calls the "
            r"aggregate's method stack\(\) by default, and Crate has none\. Add that method, or "
            r"give Stack a run"):
        CommandService(opened, SYSTEM.domain).execute("Crate", "c1", "stack", {})


def test_a_refusal_is_still_a_refusal(store):
    with open_store(store, system=SYSTEM) as opened, pytest.raises(
            DomainError, match="never refused twice"):
        CommandService(opened, SYSTEM.domain).execute("Crate", "c1", "refuse", {})


@pytest.mark.parametrize("command", ["crack", "spill", "lose", "stack"])
def test_the_command_line_says_it_in_one_line(store, capsys, command):
    code, out, err = run(capsys, "command", store, "Crate", "c1", command, "--system", SPEC)
    assert code == 1 and out == ""
    assert err.startswith(f"error: Crate c1's command {command} ") and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_the_console_gets_an_outcome_not_an_exception(store):
    with open_store(store, system=SYSTEM) as opened:
        outcome = send(CommandService(opened, SYSTEM.domain),
                       CommandRequest("Crate", "c1", "spill"), SYSTEM)
    assert outcome.kind is OutcomeKind.FAILED
    assert "KeyError: 'count'" in outcome.message


def test_engine_messages_give_no_examples_of_the_shops(store):
    # (a warehouse's user read "A stream id is needed, e.g. order_789." and "type a word or an
    # id (order_0870), a prefix (order_08*)")
    from explorer.projections.fulltext import SearchTextError, search_query

    with open_store(store, system=SYSTEM) as opened, pytest.raises(DomainError) as raised:
        CommandService(opened, SYSTEM.domain).execute("Crate", " ", "fill", {})
    with pytest.raises(SearchTextError) as searched:
        search_query('"')
    for said in (str(raised.value), str(searched.value)):
        assert "order_" not in said and "e.g." not in said, said
