"""A required number field without a default starts at 0, or at the end of its range nearest 0:
one with no bounds started at its spin box's minimum (-1,000,000,000,000.00 for a number,
-2,147,483,646 for a whole number), which Send would have sent as typed. Found with a system
of one's own whose command took an `amount: Decimal` with no bounds."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from pydantic import Field

from explorer.domain import Command
from explorer.ui.widgets.command_form import CommandForm


class Adjust(Command):
    """Adjust a balance (a command made for this test)."""

    stream_type: ClassVar[str] = "Ledger"
    command_name: ClassVar[str] = "adjust"
    amount: float
    units: int
    money: Decimal
    at_least: float = Field(ge=5)
    at_most: int = Field(le=-3)
    maybe: float | None = None


def test_required_numbers_start_at_zero_or_the_end_of_their_range_nearest_it(qtbot):
    form = CommandForm()
    qtbot.add_widget(form)
    form.set_command(Adjust)
    assert form.values() == {"amount": 0.0, "units": 0, "money": 0.0, "at_least": 5.0,
                             "at_most": -3, "maybe": None}  # (maybe: empty)
    assert form.check() is not None, form.problems
