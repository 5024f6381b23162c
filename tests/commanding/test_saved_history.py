"""A console history saved by an earlier version loads whole and is written back as it was:
the file in saved/ was written before the history's entries were read and written by pydantic
(every kind of outcome; a conflict's events in between; problems; a command that changed
nothing; an expected version; a favourite; entries with and without their store)."""

from __future__ import annotations

import json
from pathlib import Path

from explorer.commanding.history import History
from explorer.commanding.sending import CommandRequest, EventMark, Outcome, OutcomeKind
from explorer.demo import DEMO_DOMAIN

SAVED = Path(__file__).parent / "saved" / "history.json"


def test_a_saved_history_is_written_back_as_it_was_read():
    text = SAVED.read_text(encoding="utf-8")
    saved = json.loads(text)
    history = History.from_list(saved, DEMO_DOMAIN)
    assert len(history.entries) == len(saved) == 12
    assert json.dumps(history.to_list(), indent=2, ensure_ascii=False) + "\n" == text


def test_a_saved_history_reads_as_typed_values():
    history = History.from_list(json.loads(SAVED.read_text(encoding="utf-8")), DEMO_DOMAIN)
    kinds = [entry.outcome.kind for entry in history.entries]
    assert set(kinds) == set(OutcomeKind) and all(type(k) is OutcomeKind for k in kinds)
    conflict = next(e for e in history.entries if e.outcome.kind == OutcomeKind.CONFLICT)
    assert conflict.request.expected_version == 1 and conflict.store == "/shop.evstore"
    assert conflict.outcome.between == (EventMark(3, "OrderItemAdded"),
                                        EventMark(4, "OrderItemAdded"))
    assert (conflict.outcome.expected, conflict.outcome.actual) == (1, 3)
    placed = next(e for e in history.entries if e.request.command == "place")
    assert placed.outcome.positions == (2,) and placed.outcome.event_types == ("OrderPlaced",)
    assert placed.request.data["card_number"] == "•••• 0002"
    invalid = [e.outcome for e in history.entries if e.outcome.problems]
    assert [p.field for p in invalid[0].problems] == ["carrier", "tracking"]
    assert [e.favourite for e in history.entries].count(True) == 1


def test_each_outcome_saves_only_the_fields_that_apply_to_it():
    done = Outcome(OutcomeKind.EVENTS, "ok", (5,), ("A",), 1)
    assert done.to_dict() == {"kind": "events", "message": "ok", "positions": [5],
                              "event_types": ["A"], "version": 1}
    nothing = Outcome(OutcomeKind.EVENTS, "changed nothing", version=3)
    assert nothing.to_dict() == {"kind": "events", "message": "changed nothing"}
    stale = Outcome(OutcomeKind.CONFLICT, "changed", expected=1, actual=1)
    assert stale.to_dict() == {"kind": "conflict", "message": "changed", "expected": 1,
                               "actual": 1}
    assert CommandRequest("Order", "o", "cancel").to_dict() == {
        "stream_type": "Order", "stream_id": "o", "command": "cancel", "data": {}}
    assert CommandRequest("Order", "o", "cancel", expected_version=0).to_dict()[
        "expected_version"] == 0


def test_an_entry_that_is_not_an_outcome_is_dropped():
    saved = json.loads(SAVED.read_text(encoding="utf-8"))
    saved[0]["outcome"]["kind"] = "exploded"
    saved[1]["request"]["stream_id"] = None
    saved[2]["outcome"]["between"] = [{"position": "third", "event_type": "X"}]
    assert len(History.from_list(saved, DEMO_DOMAIN).entries) == len(saved) - 3
