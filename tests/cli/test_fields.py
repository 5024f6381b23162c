"""A command's options on the command line come from the same form description as the window's."""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar, Literal

import pytest
from pydantic import BaseModel, Field

from explorer.cli.fields import field_parser
from explorer.domain import Command
from explorer.domain.forms import form_of
from explorer.system.discovery import load_system


class Address(BaseModel):
    street: str
    city: str


class Relocate(Command):
    """Move a depot (a command made for these tests)."""

    stream_type: ClassVar[str] = "Depot"
    command_name: ClassVar[str] = "relocate"
    address: Address = Field(description="Where it goes")
    mode: Literal["road"] = "road"
    floors: int = Field(default=1, gt=0, le=40, description="How high")


def _options(command) -> dict[str, str]:
    parser = field_parser(command, "explorer command")
    return {action.dest: action.help for action in parser._actions if action.option_strings
            and action.dest != "help"}


@pytest.mark.parametrize("name", ["shop", "library"])
def test_every_command_offers_the_fields_of_its_form(name):
    domain = load_system(name).domain
    for commands in domain.commands.values():
        for command in commands.values():
            assert list(_options(command)) == [spec.name for spec in form_of(command)]


def test_a_nested_field_keeps_its_description_and_a_single_choice_is_offered():
    options = _options(Relocate)
    assert options["address"] == "Where it goes (required)"  # its $ref dropped it before
    assert options["mode"] == "one of road; default 'road'"  # form_of failed on a const
    assert options["floors"] == "How high (> 0; <= 40; default 1)"
    args = field_parser(Relocate, "x").parse_args(
        ["--address", '{"street": "1 Quay", "city": "Hull"}', "--floors", "3"])
    assert vars(args) == {"address": {"street": "1 Quay", "city": "Hull"}, "floors": 3}


class Restock(Command):
    """Restock a depot (a command made for these tests)."""

    stream_type: ClassVar[str] = "Depot"
    command_name: ClassVar[str] = "restock"
    received_on: str = Field(description="When")
    crates: list[int] = Field(default_factory=list, description="Crate numbers")


def test_the_help_names_only_fields_it_renamed_and_gives_an_example_of_the_commands_own():
    help_text = " ".join(field_parser(Restock, "x").format_help().split())
    assert "--received-on TEXT" in help_text
    assert "fields named like" not in help_text  # it listed every field with an underscore
    assert "prod_101" not in help_text  # the shop's field, whatever the command
    assert "Lists and objects take JSON, e.g. --crates '[1]'" in help_text
    plain = " ".join(field_parser(_Plain, "x").format_help().split())
    assert "take JSON" not in plain  # no list or object field: nothing to show


class _Plain(Command):
    stream_type: ClassVar[str] = "Depot"
    command_name: ClassVar[str] = "close"
    note: str = ""


class Schedule(Command):
    """Schedule a delivery (a command made for these tests)."""

    stream_type: ClassVar[str] = "Depot"
    command_name: ClassVar[str] = "schedule"
    starts_at: datetime = Field(description="When it starts (UTC)")
    day: date


def test_a_date_and_a_date_and_times_option_say_how_to_write_them():
    """(Helper G: `--starts-at TEXT  When it starts (UTC) (required)`, then `--starts-at
    2026-10-01` refused: 'invalid datetime separator, expected T, t, _ or space'.)"""
    help_text = " ".join(field_parser(Schedule, "x").format_help().split())
    assert ("--starts-at DATETIME When it starts (UTC) (a date and time, e.g. "
            "2026-03-19T09:30:00Z; required)") in help_text
    assert "--day DATE a date, e.g. 2026-03-19; required" in help_text
    args = field_parser(Schedule, "x").parse_args(
        ["--starts-at", "2026-03-19T09:30:00Z", "--day", "2026-03-19"])
    assert vars(args) == {"starts_at": "2026-03-19T09:30:00Z", "day": "2026-03-19"}
    Schedule.parse(vars(args))  # (what the help shows is what the command takes)


class Adjust(Command):
    stream_type: ClassVar[str] = "Account"
    command_name: ClassVar[str] = "adjust"
    amount: int | float
    bonus: int | float | None = None


def test_an_option_taking_an_int_or_a_float_takes_any_number():
    """(`--amount 2.5` was refused: '--amount needs a whole number, not '2.5''.)"""
    args = field_parser(Adjust, "x").parse_args(["--amount", "2.5", "--bonus", "3"])
    assert Adjust.parse(vars(args)) == Adjust(amount=2.5, bonus=3)
