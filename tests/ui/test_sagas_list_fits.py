"""The Sagas tab's list shows what a user reads it for without scrolling sideways: each saga's id,
its correlation key (the shop's order_id, a library loan's loan_id), its status and its steps
("5/10 done, 4 compensated"), whole, in the window's default split at 1400x900 and at 1024x700.
A long id is cut in the middle to make room, and whole on hover."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QByteArray, Qt

from explorer.system.discovery import load_system
from explorer.system.workspace import open_store
from explorer.ui import settings
from tests.ui.conftest import WAIT_MS, opened_window
from tests.ui.test_saga_count import counted_sagas_panel

LIBRARY = load_system("library")
SIZES = [(1400, 900), (1024, 700)]


def shown_list(window, qtbot, size: tuple[int, int], total: str):
    window.resize(*size)
    panel = window.sagas_panel
    window.bottom_tabs.setCurrentIndex(window.tab_of(panel))
    qtbot.waitUntil(lambda: panel.count_label.text() == total, timeout=30_000)
    model = panel.list_model
    qtbot.waitUntil(lambda: model.row(0) is not None, timeout=WAIT_MS)
    return panel


def assert_fits(panel, qtbot, key: str) -> None:
    """The id, the key, the status and the steps are in view, each as wide as its widest
    text shown (but the id and the key, which may be cut in the middle)."""
    view, model = panel.list, panel.list_model
    wanted = ["saga_id", key, "status", "steps"]
    assert model.columns[:4] == wanted
    metrics = view.fontMetrics()
    rows = model.loaded_rows(100)

    def fits() -> None:
        width = view.viewport().width()
        steps = model.columns.index("steps")
        right = view.columnViewportPosition(steps) + view.columnWidth(steps)
        assert right <= width, f"the steps column ends at {right} px, the list at {width} px"
        for name in ("status", "steps"):
            column = model.columns.index(name)
            texts = [name] + [model.index(r, column).data() for r in range(len(rows))]
            widest = max(metrics.horizontalAdvance(text) for text in texts)
            assert view.columnWidth(column) >= widest + 8, (name, view.columnWidth(column),
                                                            widest)
        assert view.horizontalScrollBar().value() == 0

    qtbot.waitUntil(fits, timeout=WAIT_MS)
    first = model.index(0, 0)
    assert first.data(Qt.ItemDataRole.ToolTipRole) == rows[0]["saga_id"]  # whole on hover


@pytest.mark.parametrize("size", SIZES)
def test_the_shop_s_sagas_list_shows_id_order_status_and_steps_whole(window, qtbot, size):
    """(At 1400x900 the steps column began at 440 px of a 465 px list: "5/10 done, 4 compensa"
    and the rest by scrolling sideways.)"""
    counted_sagas_panel(window, qtbot)
    panel = shown_list(window, qtbot, size, "300 sagas")
    assert_fits(panel, qtbot, "order_id")


@pytest.fixture(scope="module")
def library_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("library") / "library.evstore"
    with open_store(path, system=LIBRARY, create=True) as store:
        LIBRARY.seeder.seed(store, size=40, seed=3, days=30, recent=False)
    return path


@pytest.mark.parametrize("size", SIZES)
def test_a_plug_in_s_sagas_list_puts_its_key_status_and_steps_in_view(library_template,
                                                                     qtbot, tmp_path, size):
    """A saga with three columns of its own (a library loan's loan_id, member_id, book_id):
    the first of them, the status and the steps come after its id; the others after them."""
    path = tmp_path / "library.evstore"
    path.write_bytes(library_template.read_bytes())
    window = opened_window(qtbot, path)
    try:
        panel = shown_list(window, qtbot, size, "40 sagas")
        assert_fits(panel, qtbot, "loan_id")
        columns = panel.list_model.columns
        assert columns[4:6] == ["member_id", "book_id"]
    finally:
        window.close()


def test_the_sagas_and_projections_lists_have_the_event_list_s_compact_rows(window, qtbot):
    """(Their rows were Qt's default 30 px, the event list's and the As of Cursor tab's 21 to
    23: 8 sagas in the Sagas tab at 1400x900 where 11 fit, 2 at 1024x700.)"""
    counted_sagas_panel(window, qtbot)
    sagas, projections = window.sagas_panel, window.projections_panel
    compact = window.table.verticalHeader().defaultSectionSize()
    for view in (sagas.list, sagas.steps, sagas.history, projections.list, projections.rows):
        assert view.verticalHeader().defaultSectionSize() <= compact, view


def test_a_saga_s_step_finished_on_the_day_it_was_scheduled_says_only_the_time(window, qtbot):
    """(Scheduled and Finished both said 2026-01-06 11:44:08 ...: the date twice a row, in a
    table whose Outcome column, last, the dates pushed past its edge.)"""
    window.resize(1400, 900)
    panel = counted_sagas_panel(window, qtbot)
    model = panel.list_model
    qtbot.waitUntil(lambda: model.row(0) is not None, timeout=WAIT_MS)
    panel.list.selectRow(0)
    steps = panel.steps
    qtbot.waitUntil(lambda: steps.rowCount() > 0 and steps.item(0, 3) is not None,
                    timeout=WAIT_MS)
    said = 0
    for row in range(steps.rowCount()):
        scheduled, finished = steps.item(row, 2).text(), steps.item(row, 3).text()
        if finished:
            assert len(finished) == 8 or not finished.startswith(scheduled[:10])
            assert "µs" in steps.item(row, 3).toolTip()  # the whole time on hover
            said += len(finished) == 8
    assert said


def test_a_saga_s_steps_and_history_fit_their_pane_their_last_column_cut_and_whole_on_hover(
        seeded, qtbot):
    """(The Outcome column, last, began past the steps table's edge at 1400x900, reached by
    scrolling sideways.)"""
    settings.save_window_state("sagas-split", QByteArray())  # (as at a first run)
    window = opened_window(qtbot, seeded)
    window.resize(1400, 900)
    panel = counted_sagas_panel(window, qtbot)
    qtbot.waitUntil(lambda: panel.list_model.row(4) is not None, timeout=WAIT_MS)
    panel.list.selectRow(4)
    steps, history = panel.steps, panel.history
    qtbot.waitUntil(lambda: steps.rowCount() > 0 and history.rowCount() > 0, timeout=WAIT_MS)
    for table in (steps, history):
        last = table.columnCount() - 1
        qtbot.waitUntil(lambda table=table: table.horizontalScrollBar().maximum() == 0,
                        timeout=WAIT_MS)
        assert table.columnViewportPosition(last) + 40 <= table.viewport().width()
        for row in range(table.rowCount()):
            item = table.item(row, last)
            assert item.text().rstrip("…") in item.toolTip()
    window.close()
