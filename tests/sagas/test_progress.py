"""The step table's fold: saga events, then the first events of the steps' commands."""

from __future__ import annotations

from explorer.demo import OrderFulfilment
from explorer.sagas.process import record_in
from explorer.sagas.progress import Progress, command_stored, statuses


def test_the_step_table_folds_saga_events_then_commands():
    class Record:
        status, reason = "new", None

        def __init__(self):
            self.steps = {}

    record = Record()
    step = {"step": "ship", "kind": "forward", "command_id": "c1"}
    record_in(record, {"status": "running", "schedule": [step, {**step, "step": "pay"},
                                                          {**step, "step": "tell"}]})
    assert Progress.of(statuses(record.steps)).current_step == "ship, pay, tell"
    assert command_stored(record.steps, "tell", OrderFulfilment, "EmailSent", "e1", 1)
    assert command_stored(record.steps, "ship", OrderFulfilment, "OrderShipped", "e2", 2)
    assert not command_stored(record.steps, "ship", OrderFulfilment, "OrderShipped", "e2", 2)
    record_in(record, {"outcomes": [{"step": "pay", "status": "rejected", "reason": "no"}],
                       "status": "failed", "reason": "pay was refused"})
    progress = Progress.of(statuses(record.steps))
    assert (record.status, record.reason) == ("failed", "pay was refused")
    assert (progress.done, progress.unconfirmed, progress.failed, progress.total,
            progress.current_step) == (1, 1, 1, 3, None)  # ship: the saga observes OrderShipped


def test_progress_counts_each_status_once_and_lists_the_pending_steps_in_order():
    progress = Progress.of({"a": "done", "b": "scheduled", "c": "compensated", "d": "failed",
                            "e": "rejected", "f": "unconfirmed", "g": "scheduled", "h": "done"})
    assert (progress.done, progress.compensated, progress.failed, progress.unconfirmed,
            progress.total, progress.pending) == (2, 1, 2, 1, 8, ("b", "g"))
    assert progress.current_step == "b, g"
    assert Progress.of({}) == Progress(0, 0, 0, 0, 0, ())
    assert Progress.of({}).current_step is None
