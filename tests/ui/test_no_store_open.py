"""A window with no store open (none given, or the one given could not be opened) claims to
follow nothing, and offers no action on a store's events until one is open."""

from __future__ import annotations

from pathlib import Path

from tests.ui.conftest import WAIT_MS, shown_window


def test_nothing_is_live_and_the_store_actions_wait_for_a_store(qtbot, seeded, tmp_path: Path,
                                                                monkeypatch):
    from explorer.ui.window.actions import store_actions

    errors = []
    window = shown_window(qtbot)
    monkeypatch.setattr(window, "show_error", lambda title, message: errors.append(message))
    bad = tmp_path / "notes.evstore"
    bad.write_text("not a store\n")
    window.open_store(bad)  # refused: the window stays without a store
    qtbot.waitUntil(lambda: bool(errors), timeout=WAIT_MS)
    assert window.summary is None
    assert window.live_label.text() == ""  # it said "● Live"
    assert not any(action.isEnabled() for action in store_actions(window))
    assert not window.filter_bar.isEnabled()
    assert window.open_action.isEnabled() and window.new_demo_action.isEnabled()
    with qtbot.wait_signals([window.store_opened, window.browser.rows_ready], timeout=WAIT_MS):
        window.open_store(seeded)
    assert all(action.isEnabled() for action in store_actions(window))
    assert window.filter_bar.isEnabled()
    qtbot.waitUntil(lambda: window.live_label.text() == "● Live", timeout=WAIT_MS)
