"""The projections list keeps each projection's name readable: the column the name is in is as
wide as the names, whatever the other columns hold (a faulted projection's long lag)."""

from __future__ import annotations

from explorer.projections.engine import Fault, ProjectionStatus
from explorer.runtime.runner import RunnerStatus
from explorer.ui.widgets.projections_panel import ProjectionsPanel


def test_a_faulted_projections_name_is_not_squeezed_out_by_its_lag(qtbot):
    """(Helper G: in a 1400x900 window the list showed 'T…' and 'B…' under a header 'ject' for
    'Tickets' and 'Booking sagas' once one of them faulted 4 minutes behind: the name's column
    stretched into what the state, checkpoint and lag columns left, about 25 pixels.)"""
    panel = ProjectionsPanel(None)  # (no store: only its list is looked at)
    qtbot.add_widget(panel)
    panel.list.setFixedWidth(405)  # its width in a 1400x900 window
    panel.show()
    statuses = (
        ProjectionStatus("tickets", "Tickets", 6, 35, 0, "faulted", lag_seconds=248.0,
                         fault=Fault(7, "e7", "UnicodeEncodeError: 'ascii' codec ...")),
        ProjectionStatus("bookings", "Booking sagas", 35, 35, 35, "caught up"))
    panel.status_model.set_status(RunnerStatus(at=0.0, last_position=35, projections=statuses,
                                               sagas=(), appended_per_s=0.0))
    qtbot.waitUntil(lambda: panel.list.columnWidth(4) > 0)
    metrics = panel.list.fontMetrics()
    assert panel.list.columnWidth(0) >= metrics.horizontalAdvance("Booking sagas")
    header = panel.list.horizontalHeader()
    assert header.sectionSize(0) >= metrics.horizontalAdvance("Projection")
