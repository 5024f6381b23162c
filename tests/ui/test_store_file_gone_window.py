"""The window says when its store's file is deleted, moved or replaced while it is open: it said
'● Live' and went on showing what the file held, as if nothing had happened, while a command
sent then went to a file no longer at its path (found by helper H deleting the store under the
window). Commands are refused then (tests/store/test_store_file_gone.py)."""

from __future__ import annotations

import os

from tests.ui.conftest import WAIT_MS


def test_the_window_says_its_store_file_is_gone_and_back(window, qtbot, seeded):
    label = window.status.live_label
    qtbot.waitUntil(lambda: label.text() == "● Live", timeout=WAIT_MS)
    moved = seeded.with_name("moved.evstore")
    os.rename(seeded, moved)
    qtbot.waitUntil(lambda: label.text() == "⚠ Store file gone", timeout=WAIT_MS)
    assert "deleted, moved or replaced" in label.toolTip()
    os.rename(moved, seeded)
    qtbot.waitUntil(lambda: label.text() == "● Live", timeout=WAIT_MS)
