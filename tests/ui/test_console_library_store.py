"""The Commands tab on an eventsourcing library store: it says commands are not sent to such a
store, not to open it again without read-only (which cannot make it writable)."""

from __future__ import annotations

from pathlib import Path

from explorer.store.foreign.library_store import READ_ONLY_REASON
from tests.foreign.bank import write_bank
from tests.ui.conftest import WAIT_MS


def test_a_library_store_s_commands_tab_says_it_takes_none(window, qtbot, tmp_path: Path):
    path = tmp_path / "bank.db"
    write_bank(path, accounts=1, credits=1)
    window.show_console()
    console = window.console
    with qtbot.wait_signal(window.store_opened, timeout=WAIT_MS):
        window.open_store(str(path))  # asked for writing: the library's store is read-only
    shown = console.refusal.text()
    assert console.refusal.isVisibleTo(console)
    assert shown == f"Commands are not sent to this store: {READ_ONLY_REASON}."
    assert "Open it again" not in shown
    assert not console.send_panel.send_button.isEnabled()
