"""On a dark desktop theme (a dark palette) the window's own colours stay readable: its icons'
lines, the panels and rows it tints, and the events after the time-travel cursor are drawn for
the palette, not dark on dark or light on light."""

from __future__ import annotations

import re

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QGuiApplication, QPalette

from explorer.timetravel.machine import FieldChange
from explorer.ui import settings
from explorer.ui.compare.models import ComparisonTable
from explorer.ui.icons import icon
from explorer.ui.models.moment_rows import SINCE, MomentRowsModel
from explorer.ui.tones import TINT_TEXT
from explorer.ui.widgets.aggregate_pane import rich_label
from explorer.ui.widgets.change_tree import ChangeTree, change_summary
from tests.ui.conftest import WAIT_MS, opened_window, wait_for_moment, wait_for_page

DARK = {QPalette.ColorRole.Window: "#2b2b2b", QPalette.ColorRole.WindowText: "#e0e0e0",
        QPalette.ColorRole.Base: "#1e1e1e", QPalette.ColorRole.AlternateBase: "#262626",
        QPalette.ColorRole.Text: "#e0e0e0", QPalette.ColorRole.Button: "#353535",
        QPalette.ColorRole.ButtonText: "#e0e0e0"}


@pytest.fixture
def dark_palette(qapp):
    light = QPalette(QGuiApplication.palette())
    dark = QPalette(light)
    for role, colour in DARK.items():
        dark.setColor(role, QColor(colour))
    qapp.setPalette(dark)
    yield dark
    qapp.setPalette(light)


def inked(image) -> list[QColor]:
    """The colours of an image's drawn (opaque) pixels."""
    return [c for c in (image.pixelColor(x, y) for x in range(image.width())
                        for y in range(image.height())) if c.alpha() > 200]


def test_the_icons_lines_are_light_on_a_dark_palette(dark_palette):
    for name in ("back", "open", "step-forward", "clear", "command"):
        drawn = inked(icon(name).pixmap(24, 24).toImage())
        assert drawn, name
        assert max(c.lightness() for c in drawn) > 160, name  # not dark slate on dark grey


def test_the_icons_keep_their_colours_on_a_light_palette(qapp):
    drawn = inked(icon("back").pixmap(24, 24).toImage())
    assert max(c.lightness() for c in drawn) < 100  # dark slate, as drawn


def test_the_welcome_is_dark_behind_light_text_on_a_dark_palette(qtbot, seeded, dark_palette):
    settings.remember_welcome_seen(False)
    window = opened_window(qtbot, seeded)
    try:
        welcome = window.help.welcome
        assert welcome.isVisible()
        background = welcome.grab().toImage().pixelColor(welcome.width() - 30, 4)
        assert background.lightness() < 100, background.name()  # the text is light
    finally:
        window.close()
        settings.remember_welcome_seen(True)


def shown(brush, palette: QPalette, role=QPalette.ColorRole.Text) -> QColor:
    """The colour a cell's text is drawn in: its brush's, else the palette's."""
    if isinstance(brush, QBrush) and brush.style() != Qt.BrushStyle.NoBrush:
        return brush.color()
    return palette.color(role)


def test_events_after_the_cursor_stand_apart_on_a_dark_palette(dark_palette, window):
    model = window.event_model
    model.set_cursor(1)
    later = shown(model.data(model.index(1, 0), Qt.ItemDataRole.ForegroundRole), dark_palette)
    text = dark_palette.color(QPalette.ColorRole.Text)
    assert text.lightness() - later.lightness() > 80, later.name()  # faded, not near white


def test_a_changed_field_reads_dark_on_its_light_tint_on_a_dark_palette(qtbot, dark_palette):
    tree = ChangeTree()
    qtbot.add_widget(tree)
    tree.show_changes({"status": "completed", "total": 3},
                      [FieldChange("status", "changed", "running", "completed")])
    item = tree.topLevelItem(0)
    for column in range(3):
        tint = item.background(column).color()
        assert tint.lightness() - shown(item.foreground(column), dark_palette).lightness() > 120


def test_a_row_changed_at_the_cursor_reads_dark_on_its_tint_on_a_dark_palette(dark_palette):
    model = MomentRowsModel()
    model.set_rows([{"order_id": "order_1", "status": "paid", SINCE: 7},
                    {"order_id": "order_2", "status": "paid", SINCE: 3}], changed_at=7)
    tint = model.data(model.index(0, 0), Qt.ItemDataRole.BackgroundRole).color()
    text = shown(model.data(model.index(0, 0), Qt.ItemDataRole.ForegroundRole), dark_palette)
    assert tint.lightness() - text.lightness() > 120
    assert model.data(model.index(1, 0), Qt.ItemDataRole.ForegroundRole) is None  # untinted


def test_a_compared_change_reads_dark_on_its_tint_on_a_dark_palette(dark_palette):
    model = ComparisonTable(["stream", "events"], lambda item: item, lambda item: "added")
    model.show(1, [("order_1", "3")])
    tint = model.data(model.index(0, 0), Qt.ItemDataRole.BackgroundRole).color()
    text = shown(model.data(model.index(0, 0), Qt.ItemDataRole.ForegroundRole), dark_palette)
    assert tint.lightness() - text.lightness() > 120


def test_the_find_when_bar_is_dark_behind_light_text_on_a_dark_palette(dark_palette, window):
    window.find_when_action.trigger()
    bar = window.find_when
    assert bar.isVisible()
    background = bar.grab().toImage().pixelColor(bar.width() - 4, bar.height() // 2)
    assert background.lightness() < 100, background.name()  # its title's text is light


def test_notes_and_counts_stay_readable_on_a_dark_palette(dark_palette, window):
    # they were drawn in a fixed mid grey, #616161: 2.3:1 on a dark grey
    window_colour = dark_palette.color(QPalette.ColorRole.Window)
    grey = rich_label("As of the cursor", grey=True)  # As of Cursor's notes
    for label in (window.timeline.legend, window.detail.subheader, window.causality.summary,
                  grey):
        colour = QColor(re.search(r"color: (#[0-9a-f]{6})", label.styleSheet()).group(1))
        assert colour.lightness() - window_colour.lightness() > 90, (label, colour.name())


def test_rows_written_at_the_cursor_are_counted_dark_on_their_tint(dark_palette, travelling,
                                                                  qtbot):
    window = travelling
    model = window.event_model
    wait_for_page(qtbot, window, 0)
    events = [model.event_at(row) for row in range(100)]
    placed = next(e.position for e in events if e is not None and e.event_type == "OrderPlaced")
    window.travel.go_to(placed)
    wait_for_moment(qtbot, window, placed)
    panel = window.moment_panel
    qtbot.waitUntil(lambda: "written by the event" in panel.read_model_note.text(),
                    timeout=WAIT_MS)
    note = panel.read_model_note.text()
    badge = note[note.rindex("<span", 0, note.index("written by the event")):]
    assert "background:#fff59d" in badge and f"color:{TINT_TEXT}" in badge, badge


def test_change_counts_read_dark_on_their_tints(dark_palette):
    # "2 changed, 1 added" in As of Cursor, an upcast's caption and Compare: the palette's light
    # text (or a muted grey) on a light yellow, green or pink
    summary = change_summary([FieldChange("a", "changed", 1, 2), FieldChange("b", "added", None, 1),
                              FieldChange("c", "removed", 1, None)])
    spans = re.findall(r"<span style='([^']*)'>", summary)
    assert len(spans) == 3 and all(f"color:{TINT_TEXT}" in style for style in spans), summary


def test_grey_notes_written_in_rich_text_are_light_on_a_dark_palette(qtbot, dark_palette):
    """The notes a label writes in rich text (a filter's state, a search's, a console's) take
    the palette's muted grey, not the light palette's: #616161 on a dark grey is 2.3:1."""
    from explorer.ui.console.target import describe
    from explorer.ui.tones import MUTED, muted
    from explorer.ui.widgets.content_filter_state import ContentFilterState

    state = ContentFilterState()
    qtbot.addWidget(state)
    state._say("scanning: 1,000 of 2,000 events")
    assert muted() != MUTED and f"color:{muted()}" in state.text()
    assert MUTED not in state.text() and f"color:{muted()}" in describe(_NoTarget())


class _NoTarget:
    target = command = None

    @staticmethod
    def refusal() -> None:
        return None


def test_the_plots_are_dark_with_light_ink_on_a_dark_palette(qtbot, dark_palette):
    """The timeline's plot (and the watches' and the monitor's) was white on a dark window,
    its marks drawn #212121: a glaring box; it takes the palette's base and text."""
    from explorer.ui.widgets.monitor_history import MonitorHistory
    from explorer.ui.widgets.monitor_panel import MonitorPanel
    from explorer.ui.widgets.timeline_plot import TimelinePlot

    base = dark_palette.color(QPalette.ColorRole.Base)
    timeline = TimelinePlot()
    qtbot.addWidget(timeline)
    monitor = MonitorPanel(MonitorHistory())
    qtbot.addWidget(monitor)
    for plot in (timeline, monitor.rate_plot):
        assert plot.backgroundBrush().color().lightness() < 100
        ink = plot.getPlotItem().getAxis("bottom").textPen().color()
        assert ink.lightness() - base.lightness() > 120, ink.name()
    assert timeline.marks.opts["brush"].color().lightness() > 150
    timeline.switch_axis(False)  # the other axis, made anew: inked too
    assert timeline.getPlotItem().getAxis("bottom").textPen().color().lightness() > 150


def test_the_plots_stay_white_on_a_light_palette(qtbot, qapp):
    from explorer.ui.widgets.timeline_plot import TimelinePlot

    timeline = TimelinePlot()
    qtbot.addWidget(timeline)
    assert timeline.backgroundBrush().color().name() == "#ffffff"
