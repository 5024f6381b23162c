"""The runner's status as `run --serve` sends it and the window reads it: a message written
before the status was read and written by pydantic (saved/status.json: a projection caught up,
one faulted with skipped events and a lag, one rebuilding; a saga; rates; a retry) reads back
whole and is written again as it was."""

from __future__ import annotations

import json
from pathlib import Path

from explorer.projections import Fault
from explorer.runtime.runner import RunnerStatus

SAVED = Path(__file__).parent / "saved" / "status.json"


def test_a_status_message_is_written_back_as_it_was_read():
    text = SAVED.read_text(encoding="utf-8")
    status = RunnerStatus.from_dict(json.loads(text))
    assert json.dumps(status.to_dict(), indent=2) + "\n" == text


def test_a_status_message_reads_as_typed_values():
    status = RunnerStatus.from_dict(json.loads(SAVED.read_text(encoding="utf-8")))
    caught_up, faulted, rebuilding = status.projections
    assert faulted.fault == Fault(901, "e901", "KeyError: 'sku'")
    assert faulted.skipped == (12, 40) and faulted.lag_events == 300
    assert faulted.lag_seconds == 3.142 and caught_up.fault is None
    assert rebuilding.state == "rebuilding" and rebuilding.rebuild_target is None
    saga, = status.sagas
    assert (saga.name, saga.checkpoint, saga.retries, saga.lag_events) == ("fulfilment", 1150,
                                                                           2, 50)
    assert status.handled_per_s == {"order_summary": 40.0, "fulfilment": 8.25}
    assert status.busy and status.sagas_enabled and "locked" in status.retrying
    assert status.others == ("`run`, pid 4321 on host build-1, started 12:01:05",)


def test_a_status_from_an_older_runner_takes_the_defaults():
    older = json.loads(SAVED.read_text(encoding="utf-8"))
    for key in ("handled_per_s", "busy", "sagas_enabled", "retrying", "others"):
        del older[key]
    for saga in older["sagas"]:
        del saga["retries"], saga["fault"]
    status = RunnerStatus.from_dict(older)
    assert (status.handled_per_s, status.busy, status.retrying, status.others) == (
        {}, False, None, ())
    assert status.sagas[0].retries == 0 and status.sagas[0].fault is None
