"""A command that records events and then raises (a rule checked as it goes) leaves a unit of
work's aggregate as it was: its cached aggregate kept the events that were never appended, so
the next command decided on them, and appended them with its own (found writing a seeder of my
own: a bin refused as full after a refusal that had added nothing)."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

from explorer.domain import (
    Aggregate,
    Command,
    CommandService,
    DomainError,
    DomainModel,
    UnitOfWork,
    applies,
)
from explorer.store import EventStore


class Bin(Aggregate):
    stream_type = "Bin"

    def __init__(self, stream_id: str) -> None:
        super().__init__(stream_id)
        self.items = 0

    def add(self, count: int) -> None:
        for _ in range(count):  # the rule checked as it goes: some recorded before a refusal
            if self.items >= 3:
                raise DomainError(f"Bin {self.id} is full.")
            self._record("ItemAdded", n=1)

    @applies("ItemAdded")
    def _added(self, data: dict[str, Any]) -> None:
        self.items += 1


class Add(Command):
    stream_type: ClassVar[str] = "Bin"
    command_name: ClassVar[str] = "add"
    creates_stream: ClassVar[bool | None] = None
    count: int


DOMAIN = DomainModel("bins", [Bin], [Add])


@pytest.mark.parametrize("flushed_first", [False, True])
def test_a_refused_command_leaves_the_units_aggregate_as_it_was(tmp_path, flushed_first):
    with EventStore.open(tmp_path / "bins.evstore", create=True) as store:
        unit = UnitOfWork(CommandService(store, DOMAIN), fresh=True)
        unit.execute("Bin", "b1", "add", {"count": 1}, timestamp_us=1)
        if flushed_first:
            unit.flush()
        unit.execute("Bin", "b1", "add", {"count": 1}, timestamp_us=2)
        with pytest.raises(DomainError, match="full"):
            unit.execute("Bin", "b1", "add", {"count": 5}, timestamp_us=3)
        assert unit.aggregate("Bin", "b1").items == 2
        unit.execute("Bin", "b1", "add", {"count": 1}, timestamp_us=4)  # was refused as full
        unit.flush()
        assert [e.version for e in store.read_stream("b1")] == [1, 2, 3]
        assert unit.aggregate("Bin", "b1").version == 3
