"""A stored string too long to lay out is shown cut, with its length: the event's tree and JSON
text, and the aggregate's state as of the cursor (found by helper H: selecting a store's one
event, whose data held a 50 MB string, froze the window for more than a minute as Qt laid the
string out, first in the JSON view, then in the As of Cursor tree). Copy as JSON copies the
whole event."""

from __future__ import annotations

from PySide6.QtGui import QGuiApplication

from explorer.store.records import RecordedEvent
from explorer.ui.models.json_tree import SHOWN_TEXT_MAX
from explorer.ui.widgets.change_tree import VALUE, ChangeTree
from explorer.ui.widgets.event_detail import EventDetail

LONG = "x" * 3_000_000
CUT = f"{'x' * SHOWN_TEXT_MAX}… (3,000,000 characters in all)"


def test_a_long_string_is_shown_cut_and_copied_whole(qtbot, qtmodeltester):
    detail = EventDetail()
    qtbot.addWidget(detail)
    event = RecordedEvent(1, "big_1", "Blob", 1, "e-1", "BlobStored", 1, 1_775_412_007_582_000,
                          None, {"blob": LONG, "n": 1}, None)
    detail.show_event(event)
    model = detail.tree_model
    qtmodeltester.check(model)
    data = model.index(0, 0)
    assert model.index(0, 1, data).data() == f'"{CUT}"'
    assert model.index(1, 1, data).data() == "1"
    text = detail.json.toPlainText()
    assert f'"blob": "{CUT}",' in text and len(text) < SHOWN_TEXT_MAX + 1_000
    detail.copy_button.click()
    assert LONG in QGuiApplication.clipboard().text()


def test_a_long_string_in_a_state_is_shown_cut(qtbot):
    tree = ChangeTree()
    qtbot.addWidget(tree)
    tree.show_changes({"blob": LONG, "short": "y"}, [], expand_all=True)
    shown = {tree.topLevelItem(n).text(0): tree.topLevelItem(n).text(VALUE)
             for n in range(tree.topLevelItemCount())}
    assert shown == {"blob": CUT, "short": "y"}
