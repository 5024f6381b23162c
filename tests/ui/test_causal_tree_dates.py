"""The cause-and-effect tree shows dates when its request spans days, and times alone when not."""

from __future__ import annotations

import json

from explorer.browsing.causality import CausalNode
from explorer.common.timestamps import parse_time
from explorer.store.records import RecordedEvent
from explorer.ui.models.causal_tree import CausalTreeModel
from explorer.ui.widgets.causality_panel import CausalityPanel


def event(position: int, when: str, command: str) -> RecordedEvent:
    metadata = json.dumps({"command_id": command, "command": "ship", "issued_by": "test"})
    return RecordedEvent(position, "order_1", "Order", position, f"e{position}", "OrderShipped",
                         1, parse_time(when), "request_1", {}, metadata)


def tree(*times: str) -> list[CausalNode]:
    """One command whose events happened at `times`."""
    events = [event(n, when, "c1") for n, when in enumerate(times, start=1)]
    command = CausalNode("command", "c1", "ship on order_1", issued_by="test")
    command.children = [CausalNode("event", e.event_id, e.event_type, e) for e in events]
    return [command]


def times_shown(model: CausalTreeModel) -> list[str]:
    command = model.index(0, 0)
    return [model.index(row, 1, command).data() for row in range(model.rowCount(command))]


def test_a_request_on_one_day_shows_times_alone(qtmodeltester):
    model = CausalTreeModel()
    model.set_tree(tree("2026-03-19T00:00:01Z", "2026-03-19T18:38:57.250Z"), "e2")
    qtmodeltester.check(model)
    assert times_shown(model) == ["00:00:01.000", "18:38:57.250"]
    assert model.index(0, 1).data() == ""  # the command has no time of its own


def test_a_request_spanning_days_shows_dates_so_it_reads_in_order(qtmodeltester):
    model = CausalTreeModel()
    model.set_tree(tree("2026-03-19T18:38:57Z", "2026-03-20T05:48:00Z", "2026-03-20T06:06:50Z"),
                   "e2")
    qtmodeltester.check(model)
    assert times_shown(model) == ["2026-03-19 18:38:57.000", "2026-03-20 05:48:00.000",
                                  "2026-03-20 06:06:50.000"]
    model.set_tree(tree("2026-03-21T10:00:00Z"), "e1")  # the next request: one day again
    assert times_shown(model) == ["10:00:00.000"]


def test_the_time_column_widens_for_dates_only(qtbot):
    panel = CausalityPanel()
    qtbot.add_widget(panel)
    panel.resize(500, 300)
    panel.show()
    one_day = tree("2026-03-19T08:00:00Z", "2026-03-19T09:00:00Z")
    two_days = tree("2026-03-19T23:59:00Z", "2026-03-20T00:01:00Z")
    header = panel.tree.header()
    panel.show_causality(one_day[0].children[0].event, None, one_day, 2)
    qtbot.waitUntil(lambda: header.sectionSize(1) > 0)
    narrow = header.sectionSize(1)
    panel.show_causality(two_days[0].children[1].event, None, two_days, 2)
    metrics = panel.tree.fontMetrics()
    qtbot.waitUntil(lambda: header.sectionSize(1) >= metrics.horizontalAdvance(
        "2026-03-20 00:01:00.000"))
    assert header.sectionSize(1) > narrow
