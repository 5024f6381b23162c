"""A domain with two sagas: both inherit ProcessManager's own event types (a helper found that a
domain could not hold two, 'event type StepSettled is registered twice'); two aggregates that
each declare a type of the same name are refused, naming both."""

from __future__ import annotations

from typing import Any

import pytest

from explorer.domain import Aggregate, DomainModel, applies
from explorer.domain.model import DefinitionError
from explorer.sagas import ProcessManager
from explorer.sagas.process import Observed


def saga(name: str) -> type[ProcessManager]:
    class Saga(ProcessManager):
        stream_type = name.title()
        observes = frozenset({"Noted"})

        @classmethod
        def saga_id_for(cls, event: Observed) -> str | None:
            return None

        def observe(self, event: Observed) -> None:
            pass

        def rejected(self, step: str, reason: str, at: int) -> None:
            pass

    Saga.name = name
    Saga.__qualname__ = name.title()
    return Saga


class Note(Aggregate):
    stream_type = "Note"

    @applies("Noted")
    def _noted(self, data: dict[str, Any]) -> None:
        pass


class Memo(Aggregate):
    stream_type = "Memo"

    @applies("Noted")
    def _noted(self, data: dict[str, Any]) -> None:
        pass


def test_two_sagas_share_their_bases_event_types():
    domain = DomainModel("two", [Note, saga("alpha"), saga("beta")], [])
    assert sum(spec.name == "StepSettled" for spec in domain.registry) == 1
    assert set(domain.aggregates) == {"Note", "Alpha", "Beta"}


def test_two_aggregates_declaring_one_event_type_are_refused_by_name():
    with pytest.raises(DefinitionError, match="The domain clash's aggregates Note and Memo each "
                                              "declare an event type named 'Noted'"):
        DomainModel("clash", [Note, Memo], [])
