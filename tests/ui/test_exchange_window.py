"""File > Export Events…, Import into New Store… and Save Bug Report… in the window, and a bug
report opened again with its view, read-only."""

from __future__ import annotations

from pathlib import Path

import orjson
from PySide6.QtWidgets import QDialogButtonBox, QPushButton

from explorer.exchange.bundle import BundleFilters, BundleView, bundle_view, save_bundle
from explorer.store import EventStore
from explorer.store.content_filter import parse_filter
from explorer.ui.widgets.filter_bar import Filters
from tests.ui.conftest import WAIT_MS, last_position, select_row


def accept(dialog) -> None:
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()


def test_export_the_listed_events_with_progress(qtbot, window, tmp_path):
    filters = Filters(stream_type="Order", content=parse_filter('data.currency = "EUR"'))
    with qtbot.wait_signal(window.browser.rows_ready, timeout=WAIT_MS):
        window.filter_bar.set_filters(filters)
        window.browser._filters_changed(filters)
    listed = len(window.event_model.rows)
    assert listed
    dialog = window.exchange.export_events()
    qtbot.add_widget(dialog)
    assert dialog.findChild(type(dialog.scope_buttons.button(0)), "scope-selection").isEnabled() \
        is False  # nothing selected
    dialog.findChild(type(dialog.scope_buttons.button(0)), "scope-filter").setChecked(True)
    dialog.format.setCurrentIndex(dialog.format.findData("cloudevents"))
    target = tmp_path / "eur.jsonl"
    dialog.path.setText(str(target))
    with qtbot.wait_signal(window.exchange.finished, timeout=WAIT_MS) as done:
        accept(dialog)
    assert f"Exported {listed:,} events" in done.args[0]
    lines = [orjson.loads(line) for line in target.read_bytes().splitlines()]
    assert len(lines) == listed
    assert {line["streamtype"] for line in lines} == {"Order"}
    assert window.exchange.progress is not None and not window.exchange.progress.isVisible()


def test_export_refuses_an_existing_file_in_the_dialog(qtbot, window, tmp_path):
    existing = tmp_path / "there.jsonl"
    existing.write_text("mine")
    dialog = window.exchange.export_events()
    qtbot.add_widget(dialog)
    dialog.path.setText(str(existing))
    accept(dialog)
    assert dialog.isVisible() and dialog.error.isVisible()
    assert "exists already" in dialog.error.text()
    assert existing.read_text() == "mine"


def test_export_the_selection_then_import_it_into_a_new_store(qtbot, window, tmp_path):
    select_row(qtbot, window, 3)
    selected = window.browser.selected_position()
    dialog = window.exchange.export_events()
    qtbot.add_widget(dialog)
    assert dialog.findChild(type(dialog.scope_buttons.button(0)), "scope-selection").isChecked()
    out = tmp_path / "one.jsonl"
    dialog.path.setText(str(out))
    with qtbot.wait_signal(window.exchange.finished, timeout=WAIT_MS):
        accept(dialog)
    [line] = [orjson.loads(line) for line in out.read_bytes().splitlines()]
    assert line["position"] == selected
    # a single event that is not its stream's first cannot start a store: refused at line 1
    if line["version"] != 1:
        with qtbot.wait_signal(window.exchange.failed, timeout=WAIT_MS) as failed:
            window.exchange.start_import(out, tmp_path / "new.evstore")
        assert failed.args[0].startswith("line 1: version")
        window.error_box.close()
        assert not (tmp_path / "new.evstore").exists()


def test_import_opens_the_new_store(qtbot, window, seeded, tmp_path):
    from explorer.exchange.export import export_file

    out = tmp_path / "all.jsonl"
    export_file(seeded, out)
    target = tmp_path / "imported.evstore"
    with qtbot.wait_signals([window.exchange.finished, window.store_opened], timeout=WAIT_MS):
        window.exchange.start_import(out, target)
    qtbot.waitUntil(lambda: window.summary is not None
                    and window.summary.location == str(target), timeout=WAIT_MS)
    assert window.summary.last_position == last_position(seeded)


def test_a_bug_report_keeps_the_view_and_opens_it_again_read_only(qtbot, window, seeded,
                                                                  tmp_path):
    filters = Filters(event_types=("OrderPlaced",))
    with qtbot.wait_signal(window.browser.rows_ready, timeout=WAIT_MS):
        window.filter_bar.set_filters(filters)
        window.browser._filters_changed(filters)
    event = select_row(qtbot, window, 2)
    window.bottom_tabs.setCurrentIndex(window.watch_tab)
    target = tmp_path / "report.evbundle"
    with qtbot.wait_signal(window.exchange.finished, timeout=WAIT_MS):
        window.exchange.start_bundle(str(seeded), target)
    with EventStore.open(target, read_only=True) as copy:
        view = bundle_view(copy.meta())
    assert view == BundleView(cursor_position=None, selected_position=event.position,
                              stream_id=None, filters=BundleFilters(("OrderPlaced",)),
                              tab="Watch")
    before = target.read_bytes()
    select_row(qtbot, window, 0)
    window.bottom_tabs.setCurrentIndex(0)
    with qtbot.wait_signal(window.store_opened, timeout=WAIT_MS):
        window.open_store(target)
    def shown() -> None:
        assert window.summary.location == str(target) and window.summary.read_only
        assert window.browser.view.filters == filters and window.filter_bar.filters == filters
        assert window.bottom_tabs.currentIndex() == window.watch_tab
        assert window.browser.selected_position() == event.position
        window.event_model.event_at(window.table.currentIndex().row())  # as the view asks
        shown_event = window.detail.shown_event
        assert shown_event is not None and shown_event.event_id == event.event_id

    qtbot.waitUntil(shown, timeout=WAIT_MS)
    assert target.read_bytes() == before


def test_a_bug_report_with_a_cursor_keeps_its_selection_and_tab(qtbot, window, seeded,
                                                                tmp_path):
    target = save_bundle(seeded, tmp_path / "at.evbundle", BundleView(
        cursor_position=40, selected_position=55, tab="Sagas"))
    with qtbot.wait_signal(window.store_opened, timeout=WAIT_MS):
        window.open_store(target)

    def shown() -> None:
        assert window.travel.moment is not None and window.travel.moment.position == 40
        assert window.browser.selected_position() == 55
        assert window.bottom_tabs.tabText(window.bottom_tabs.currentIndex()) == "Sagas"

    qtbot.waitUntil(shown, timeout=WAIT_MS)
    qtbot.wait(300)  # the first trip to the past does not take the tab away afterwards
    shown()
    assert Path(target).exists()


def test_cancel_stops_an_export_and_leaves_no_file(qtbot, window, seeded, tmp_path):
    from explorer.exchange.export import ExportScope

    target = tmp_path / "all.jsonl"
    with qtbot.wait_signal(window.exchange.failed, timeout=WAIT_MS) as failed:
        window.exchange.start_export(str(seeded), ExportScope(), "jsonl", target, False)
        cancel = window.exchange.progress.findChild(QPushButton)
        assert cancel.text() == "Cancel"
        cancel.click()  # before the export's first thousands of events
    assert failed.args == ["cancelled"]
    qtbot.waitUntil(lambda: not window.exchange.worker.busy, timeout=WAIT_MS)
    assert sorted(p.name for p in tmp_path.iterdir() if "all.jsonl" in p.name) == []


def test_a_bug_report_shows_its_selected_event_scrolled_into_view(qtbot, window, seeded,
                                                                  tmp_path):
    target = save_bundle(seeded, tmp_path / "far.evbundle", BundleView(
        cursor_position=None, selected_position=2000))
    with qtbot.wait_signal(window.store_opened, timeout=WAIT_MS):
        window.open_store(target)

    def shown() -> None:
        assert window.browser.selected_position() == 2000
        assert not window.browser._building

    qtbot.waitUntil(shown, timeout=WAIT_MS)
    table = window.table
    assert table.viewport().rect().intersects(table.visualRect(table.currentIndex()))


def test_an_export_of_encrypted_events_without_their_key_says_so(qtbot, window, tmp_path,
                                                                  monkeypatch):
    """As `export` says on the command line: the file holds none of the events' data nor
    their times. Before, only 'Exported 3 events'."""
    from explorer.exchange.export import ExportScope
    from explorer.store.foreign import library_store
    from tests.foreign.bank import XOR_TOPIC, write_bank

    secret = tmp_path / "secret.db"
    write_bank(secret, accounts=1, credits=2, CIPHER_TOPIC=XOR_TOPIC, CIPHER_KEY="k3y")
    monkeypatch.delenv("CIPHER_KEY", raising=False)
    monkeypatch.setenv("CIPHER_TOPIC", XOR_TOPIC)
    monkeypatch.setattr(library_store, "_cipher_keys", {})
    target = tmp_path / "events.jsonl"
    with qtbot.wait_signal(window.exchange.finished, timeout=WAIT_MS) as done:
        window.exchange.start_export(str(secret), ExportScope(), "jsonl", target, False)
    assert done.args[0].startswith("Exported 3 events to ")
    assert "Warning: the events are encrypted and no key was given" in done.args[0]
    assert "--cipher-key" in done.args[0]
