"""The check that a saga's row in the sagas read model says what its step view says."""

from __future__ import annotations

import json

from explorer.sagas.steps import DISPLAY


def assert_row_says_what_its_steps_say(row, status, views):
    """The row's status, counts, current step and step statuses are those of the saga's step
    view. (Not a test module, so each check says itself what differed.)"""
    shown = [view.status for view in views]
    pending = [view.step for view in views if view.status == "pending"]
    said = {"status": status, "current_step": ", ".join(pending) or None,
            "steps_done": shown.count("done"), "steps_total": len(views),
            "steps_compensated": shown.count("compensated"),
            "steps_failed": shown.count("failed"), "steps_unconfirmed": shown.count("unconfirmed")}
    in_row = {column: row[column] for column in said}
    assert in_row == said, f"{row['saga_id']}: the row says {in_row}, its steps {said}"
    steps = {name: DISPLAY[status] for name, status in json.loads(row["steps"]).items()}
    viewed = {view.step: view.status for view in views}
    assert steps == viewed, f"{row['saga_id']}: the row's steps {steps}, the step view {viewed}"
