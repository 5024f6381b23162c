"""The window does not say '● Live' over a store read without locks (one that cannot be written
here: a full disk, a file or folder without write permission), whose appends by other programs
it cannot see: it said so, and showed none of them (tests/cli/test_follow_unlocked.py)."""

from __future__ import annotations

import shutil

from tests.ui.conftest import WAIT_MS


def test_a_store_read_without_locks_is_said_not_followed(qtbot, seeded, monkeypatch):
    from explorer.ui.main_window import MainWindow

    real = shutil.disk_usage

    def full(where):  # the disk full: the store opens read-only, read without locks
        total = real(where).total
        return shutil._ntuple_diskusage(total, total, 0)  # type: ignore[attr-defined]

    monkeypatch.setattr(shutil, "disk_usage", full)
    main = MainWindow()
    qtbot.add_widget(main)
    main.show()
    with qtbot.wait_signals([main.store_opened, main.browser.rows_ready], timeout=WAIT_MS):
        main.open_store(seeded)
    label = main.status.live_label
    qtbot.waitUntil(lambda: label.text() == "◌ Not followed", timeout=WAIT_MS)
    assert "what other programs append to it is not seen: open it again" in label.toolTip()
    assert "Writing is off: the disk holding" in label.toolTip()
    main.close()
