"""Time travel in the window: the slider, playback, live and past, and the what-if sandbox."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from explorer.domain import CommandService
from explorer.timetravel.machine import TimelineSamples
from explorer.ui.models.event_table import LATER_COLOUR
from explorer.ui.models.moment_rows import MomentRowsModel
from explorer.ui.time_cursor import SPEEDS
from tests.conftest import place_order
from tests.timetravel.test_fidelity import replay
from tests.ui.conftest import (
    SHOP,
    WAIT_MS,
    last_position,
    open_shop,
    wait_for_moment,
    wait_for_page,
)


def test_the_timeline_starts_at_the_end_following_live(travelling, seeded):
    window = travelling
    last = last_position(seeded)
    assert window.travel.live
    assert window.timeline.slider.maximum() == last and window.timeline.slider.value() == last
    assert window.timeline.banner.isHidden()
    assert window.event_model.cursor is None
    samples: TimelineSamples = window.timeline._samples
    assert samples.last_position == last and samples.weight == 1
    assert f"Position <b>{last:,}</b> of {last:,}" in window.timeline.where.text()


def test_dragging_the_slider_shows_the_system_as_it_was(travelling, qtbot, seeded):
    window = travelling
    position = last_position(seeded) // 2
    window.timeline.slider.setValue(position)  # as a drag does, one value at a time
    moment = wait_for_moment(qtbot, window, position)
    with open_shop(seeded, read_only=True) as store:
        event = store.event_at(position)
        expected = replay(store, SHOP, event.stream_id, position)
    assert moment.event.position == position
    assert moment.aggregate.stream_id == event.stream_id
    assert moment.aggregate.state == expected  # what a full replay of 1..P gives
    tree = window.moment_panel.state
    shown = {tree.topLevelItem(i).text(0) for i in range(tree.topLevelItemCount())}
    assert set(expected) <= shown
    assert event.stream_id in window.moment_panel.aggregate_title.text()
    # later events are greyed out in the list, earlier ones are not
    assert window.event_model.cursor == position
    later = window.event_model.index(position, 0)  # row `position` shows position + 1
    earlier = window.event_model.index(position - 2, 0)
    assert later.data(Qt.ItemDataRole.ForegroundRole) == LATER_COLOUR
    assert earlier.data(Qt.ItemDataRole.ForegroundRole) != LATER_COLOUR
    # the past is announced, and the way back offered
    assert not window.timeline.banner.isHidden()
    assert f"position {position:,}" in window.timeline.banner_label.text()
    assert window.bottom_tabs.currentIndex() == window.travel_tab


def test_a_fast_drag_is_coalesced_and_ends_where_the_user_let_go(travelling, qtbot, seeded):
    window = travelling
    last = last_position(seeded)
    shown = []
    window.travel.moment_ready.connect(lambda moment: shown.append(moment.position))
    for value in range(last - 1, last // 3, -7):
        window.timeline.slider.setValue(value)
    final = last // 3 + 1
    window.timeline.slider.setValue(final)
    wait_for_moment(qtbot, window, final)
    assert shown[-1] == final
    assert len(shown) < (last - final) // 7  # intermediate positions were skipped, not queued


def test_read_models_and_sagas_as_of_the_cursor(travelling, qtbot, seeded):
    window = travelling
    from explorer.projections import ReadModelDatabase, read_model_path

    path = read_model_path(str(seeded), False)
    qtbot.waitUntil(lambda: path.exists() and _built(path) >= last_position(seeded),
                    timeout=WAIT_MS * 3)
    with open_shop(seeded, read_only=True) as store:
        placed = [e for e in store.read_all() if e.event_type == "OrderPlaced"]
    target = placed[len(placed) // 2]
    window.travel_to(target.position)
    moment = wait_for_moment(qtbot, window, target.position)
    summary = moment.read_models["order_summary"]
    assert summary.rows[0]["order_id"] == target.stream_id  # written by the event at P
    assert summary.rows[0]["valid_from"] == target.position
    model = window.moment_panel.models["order_summary"]
    assert model.changed_rows() == [0]
    assert all(row["valid_from"] <= target.position for row in summary.rows)
    with ReadModelDatabase(path, read_only=True) as db:
        from explorer.demo.projections import order_summary
        from explorer.projections import read_rows
        as_of = read_rows(db, order_summary, at_position=target.position, limit=None)
    assert {row["order_id"] for row in summary.rows} <= {row["order_id"] for row in as_of}
    assert len(as_of) == len(placed[:len(placed) // 2 + 1])  # orders placed up to P
    # the rest of them, a page at a time, on asking
    panel = window.moment_panel
    panel.read_models.setCurrentIndex(list(panel.models).index("order_summary"))
    assert len(model.rows) < len(as_of) and "show 200 more" in panel.read_model_note.text()
    panel.read_model_note.linkActivated.emit("more")
    assert "reading more…" in panel.read_model_note.text()
    panel.add_rows("order_summary", len(model.rows), None)  # as a failed read reports
    assert "show 200 more" in panel.read_model_note.text()  # offered again
    qtbot.waitUntil(lambda: len(model.rows) == len(as_of), timeout=WAIT_MS)
    assert sorted(row["order_id"] for row in model.rows) == sorted(r["order_id"] for r in as_of)
    since = [row["valid_from"] for row in model.rows]
    assert since == sorted(since, reverse=True)  # still the most recently changed first
    assert f"All {len(as_of)} rows as of position {target.position:,}" in \
        panel.read_model_note.text()
    # the sagas too: one per order placed before P (the saga of the order placed at P starts
    # with a later event)
    sagas = panel.sagas_model
    assert len(sagas.rows) == 40 and "The 40 changed last" in panel.sagas_note.text()
    panel.sagas_note.linkActivated.emit("more")
    qtbot.waitUntil(lambda: len(sagas.rows) == len(as_of) - 1, timeout=WAIT_MS)
    assert {row["order_id"] for row in sagas.rows} == \
        {r["order_id"] for r in as_of} - {target.stream_id}
    assert panel.sagas_note.text() == f"All {len(as_of) - 1}"


def _built(path: Path) -> int:
    import sqlite3
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        row = db.execute("SELECT min(checkpoint) FROM projection_state WHERE kind = "
                         "'projection'").fetchone()
        return row[0] or 0
    except sqlite3.Error:
        return 0
    finally:
        db.close()


def test_stepping_through_all_events_and_within_a_stream(travelling, qtbot, seeded):
    window = travelling
    start = last_position(seeded) // 2
    window.travel_to(start)
    wait_for_moment(qtbot, window, start)
    window.step_forward_action.trigger()
    wait_for_moment(qtbot, window, start + 1)
    window.step_back_action.trigger()
    window.step_back_action.trigger()
    wait_for_moment(qtbot, window, start - 1)
    stream = window.travel.moment.event.stream_id
    with open_shop(seeded, read_only=True) as store:
        positions = [e.position for e in store.read_stream(stream)]
    window.timeline.in_stream.setChecked(True)
    following = [p for p in positions if p > start - 1]
    if following:
        window.step_forward_action.trigger()
        moment = wait_for_moment(qtbot, window, following[0])
        assert moment.event.stream_id == stream
        assert window.browser.selected_position() == following[0]  # the list follows


def test_playback_plays_and_pauses(travelling, qtbot, seeded):
    window = travelling
    start = 10
    window.travel_to(start)
    wait_for_moment(qtbot, window, start)
    window.timeline.speed.setCurrentIndex(SPEEDS.index(next(s for s in SPEEDS
                                                             if s.rate == 100)))
    window.play_action.trigger()
    assert window.travel.playing
    qtbot.waitUntil(lambda: window.travel.position >= start + 15, timeout=WAIT_MS)
    window.play_action.trigger()
    assert not window.travel.playing and not window.travel._play_timer.isActive()
    assert not window.travel.live
    assert start + 15 <= window.travel.position < last_position(seeded)


def test_real_time_playback_stops_at_the_end_and_follows_live(travelling, qtbot, seeded):
    window = travelling
    last = last_position(seeded)
    window.travel_to(last - 30)
    wait_for_moment(qtbot, window, last - 30)
    window.timeline.speed.setCurrentIndex(len(SPEEDS) - 1)  # real time, an hour a second
    window.travel.play()
    qtbot.waitUntil(lambda: not window.travel.playing, timeout=WAIT_MS * 3)
    assert window.travel.position == last
    assert window.travel.live and window.timeline.banner.isHidden()


def test_live_at_the_end_past_when_moved_back(travelling, qtbot, seeded):
    window = travelling
    last = last_position(seeded)

    def append(order_id: str) -> None:
        with open_shop(seeded) as store:
            place_order(CommandService(store, SHOP.domain, issued_by="test"), order_id)

    append("order_live_1")
    moment = wait_for_moment(qtbot, window, last + 1)  # at the end: it follows
    assert moment.aggregate.stream_id == "order_live_1"
    assert window.timeline.slider.maximum() == last + 1
    window.timeline.slider.setValue(last - 5)
    wait_for_moment(qtbot, window, last - 5)
    assert not window.travel.live and not window.timeline.banner.isHidden()
    append("order_live_2")
    qtbot.waitUntil(lambda: window.travel.last_position == last + 2, timeout=WAIT_MS)
    assert window.travel.position == last - 5  # in the past, it stays put
    assert "7 later events not applied" in window.timeline.banner_label.text()
    assert window.timeline.slider.maximum() == last + 2
    assert window.timeline.slider.value() == last - 5
    window.timeline.live_button.click()
    wait_for_moment(qtbot, window, last + 2)
    assert window.travel.live and window.timeline.banner.isHidden()
    assert window.event_model.cursor is None


def test_typing_a_position_or_a_time_goes_there(travelling, qtbot, seeded):
    window = travelling
    bar = window.timeline
    bar.go_to.setText("25")
    bar.go_to.returnPressed.emit()
    wait_for_moment(qtbot, window, 25)
    with open_shop(seeded, read_only=True) as store:
        event = store.event_at(60)
        at_time = store.position_at_time(event.timestamp_us)
    from explorer.common.timestamps import iso
    bar.go_to.setText(iso(event.timestamp_us))
    bar.go_to.returnPressed.emit()
    wait_for_moment(qtbot, window, at_time)
    bar.go_to.setText("next tuesday")
    bar.go_to.returnPressed.emit()
    assert bar.problem.isVisible() and "neither a position" in bar.problem.text()
    bar.go_to.setText(f"{last_position(seeded) + 10}")
    bar.go_to.returnPressed.emit()
    assert "not in the log" in bar.problem.text()
    assert window.travel.position == at_time  # nothing moved


def test_the_timeline_plot_follows_the_cursor_and_chooses_times(travelling, qtbot, seeded):
    window = travelling
    bar = window.timeline
    qtbot.waitUntil(lambda: bar.plot is not None, timeout=WAIT_MS)
    plot = bar.plot
    assert len(plot.positions) == last_position(seeded)
    assert sum(len(b.opts["x0"]) for b in plot.bars) > 0  # bars drawn
    window.travel_to(40)
    moment = wait_for_moment(qtbot, window, 40)
    assert plot.cursor.value() == pytest.approx(moment.event.timestamp_us / 1e6)
    with open_shop(seeded, read_only=True) as store:
        target = store.event_at(120)
    with qtbot.wait_signal(window.travel.moment_ready, timeout=WAIT_MS):
        plot.cursor.setValue(target.timestamp_us / 1e6)
        plot._cursor_dragged()
    qtbot.waitUntil(lambda: window.travel.moment.event.timestamp_us <= target.timestamp_us
                    and window.travel.position >= 120, timeout=WAIT_MS)
    bar.axis.setCurrentIndex(1)  # by position
    assert not plot.by_time
    with qtbot.wait_signal(window.travel.moment_ready, timeout=WAIT_MS):
        plot.choose(200.4)
    wait_for_moment(qtbot, window, 200)


def test_the_moment_rows_model_is_a_sound_qt_model(qtmodeltester):
    model = MomentRowsModel()
    model.set_rows([{"order_id": "a", "status": "paid", "total": 1.5, "valid_from": 3},
                    {"order_id": "b", "status": "shipped", "total": 2.0, "valid_from": 7}], 7)
    qtmodeltester.check(model)
    assert model.changed_rows() == [1]
    model.append_rows([{"order_id": "c", "status": "paid", "total": 4.0, "valid_from": 2}])
    qtmodeltester.check(model)
    assert model.rowCount() == 3 and model.changed_rows() == [1]
    model.set_rows([], None)
    qtmodeltester.check(model)


def digest(path: Path) -> str:
    return "".join(hashlib.sha256(Path(f"{path}{suffix}").read_bytes()).hexdigest()
                   for suffix in ("", "-wal") if Path(f"{path}{suffix}").exists())


def test_what_if_runs_commands_in_a_sandbox_and_leaves_the_store_alone(travelling, qtbot,
                                                                      seeded, tmp_path):
    window = travelling
    position = last_position(seeded) // 2
    window.travel_to(position)
    wait_for_moment(qtbot, window, position)
    before = digest(seeded)
    window.what_if_action.trigger()
    dialog = window.what_if
    qtbot.waitUntil(lambda: dialog.sandbox is not None, timeout=WAIT_MS)
    folder = dialog.sandbox.folder
    assert f"position {position:,}" in dialog.windowTitle()
    dialog.stream_type.setCurrentText("Order")
    dialog.id_field.make_new()
    order_id = dialog.stream_id.text()
    assert order_id.startswith("order_whatif_")
    dialog.command.setCurrentIndex(dialog.command.findData("place"))
    dialog.form.set_values({"customer_id": "cust_0001", "total": 29.99, "items": [
        {"product_id": "prod_101", "quantity": 1, "price": 29.99}]})
    dialog.send()
    qtbot.waitUntil(lambda: dialog.events.rowCount() > 0, timeout=WAIT_MS)
    assert dialog.events.item(0, 0).text() == f"{position + 1:,}"
    assert dialog.events.item(0, 1).text() == order_id
    assert "place" in dialog.result_label.text()
    qtbot.waitUntil(lambda: dialog.changes.topLevelItemCount() > 0, timeout=WAIT_MS)
    # a business error is shown plainly and writes nothing
    count = dialog.events.rowCount()
    dialog.send()  # placing the same order again
    qtbot.waitUntil(lambda: "Refused" in dialog.result_label.text(), timeout=WAIT_MS)
    assert dialog.events.rowCount() == count
    # invalid fields are named, nothing is sent
    dialog.form.set_values({"customer_id": "", "items": []})
    dialog.send()
    assert "need attention" in dialog.result_label.text()
    exported = tmp_path / "branch.jsonl"
    assert dialog.export_to(str(exported)) == count
    dialog.close()
    assert not folder.exists()
    assert digest(seeded) == before  # the store is byte for byte what it was
    with open_shop(seeded, read_only=True) as store:
        assert store.stream_head(order_id) is None


def test_closing_what_if_while_it_branches_leaves_nothing_behind(travelling, qtbot, seeded,
                                                                  monkeypatch):
    import tempfile

    from explorer.store import branching
    from explorer.ui.widgets.what_if import WhatIfDialog

    monkeypatch.setattr(branching, "COPY_CHUNK", 20)  # many small steps, each a chance to stop
    branches = lambda: set(Path(tempfile.gettempdir()).glob("event-explorer-what-if-*"))  # noqa: E731
    before = branches()
    dialog = WhatIfDialog(str(seeded), last_position(seeded), SHOP, travelling)
    qtbot.waitUntil(lambda: dialog.progress.value() > 0 or dialog.sandbox is not None,
                    timeout=WAIT_MS)
    dialog.reject()
    assert dialog.sandbox is None
    assert branches() <= before


def test_the_event_list_does_not_grey_anything_when_live(travelling, qtbot):
    window = travelling
    wait_for_page(qtbot, window, 0)
    assert window.event_model.index(0, 0).data(Qt.ItemDataRole.ForegroundRole) != LATER_COLOUR


def test_a_timeline_plot_that_cannot_load_is_explained(qtbot):
    from explorer.ui.time_cursor import TimeTravel
    from explorer.ui.widgets.timeline import TimelineBar

    travel = TimeTravel()
    bar = TimelineBar(travel)
    qtbot.add_widget(bar)
    bar.plot_module = "explorer.ui.widgets.no_such_plot"  # as a broken install would be
    with qtbot.wait_signal(bar.plot_failed, timeout=WAIT_MS) as failed:
        bar.load_plot()
    assert "could not be loaded" in failed.args[0] and "no_such_plot" in failed.args[0]
    assert bar.plot is None and "could not be loaded" in bar.plot_placeholder.text()
    travel.close()
