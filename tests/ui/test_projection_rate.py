"""The projections list's Events/s: no stale rate for a projection caught up while nothing
arrives."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt

from explorer.projections import ProjectionStatus
from explorer.runtime.runner import RunnerStatus
from explorer.ui.models.projection_status import COLUMNS, ProjectionStatusModel

RATE = COLUMNS.index("Events/s")
BEHIND = ProjectionStatus("order_summary", "Order summary", 3000, 5000, 3000, "behind")
CAUGHT_UP = replace(BEHIND, checkpoint=5000, processed=5000, state="caught up")


def rate_shown(projection: ProjectionStatus, appended_per_s: float) -> str:
    model = ProjectionStatusModel()
    model.set_status(RunnerStatus(0.0, 5000, (projection,), (), appended_per_s,
                                  {"order_summary": 1828.0}))
    return model.index(0, RATE).data()


def test_a_caught_up_projection_shows_no_rate_while_no_events_arrive():
    assert rate_shown(CAUGHT_UP, 0.0) == "—"  # it said 1,828: its catching up's
    assert rate_shown(CAUGHT_UP, 40.0) == "1,828"  # keeping up with what arrives
    assert rate_shown(BEHIND, 0.0) == "1,828"  # catching up


def test_a_projections_note_is_its_states_tip():
    """(A projection whose tables were made again says so in its status's note; the list showed
    nothing of it.)"""
    note = "tasks's tables changed (column prio added) without a new version: rebuilt"
    model = ProjectionStatusModel()
    model.set_status(RunnerStatus(0.0, 5000, (replace(CAUGHT_UP, note=note),), (), 0.0, {}))
    state = model.index(0, COLUMNS.index("State"))
    assert state.data(Qt.ItemDataRole.ToolTipRole) == note
    assert state.data(Qt.ItemDataRole.FontRole).italic()
    model.set_status(RunnerStatus(0.0, 5000, (CAUGHT_UP,), (), 0.0, {}))
    assert model.index(0, COLUMNS.index("State")).data(Qt.ItemDataRole.ToolTipRole) is None
