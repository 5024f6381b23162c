"""What the first rows do not need waits for them: the timeline's plot (pyqtgraph) loads once
the event list's first rows are painted, not as the window is shown."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QObject

from explorer.ui.main_window import MainWindow
from tests.foreign.bank import write_bank
from tests.ui.conftest import WAIT_MS


class FirstRowsPainted(QObject):
    """Notes whether the window's timeline had its plot when its first rows were painted."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.plot_then: list[object] = []
        window.table.viewport().installEventFilter(self)

    def eventFilter(self, _watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.Paint and not self.plot_then \
                and self.window.event_model.rowCount() \
                and self.window.event_model.event_at(0) is not None:
            self.plot_then.append(self.window.timeline.plot)
        return False


def test_the_timeline_plot_loads_once_the_first_rows_are_painted(qtbot, tmp_path: Path) -> None:
    path = tmp_path / "bank.db"
    write_bank(path, accounts=2, credits=2)
    window = MainWindow()
    qtbot.add_widget(window)
    window.resize(1300, 850)
    window.show()
    qtbot.waitExposed(window)
    assert window.timeline.plot is None  # (loaded as the window was shown, before)
    painted = FirstRowsPainted(window)
    window.open_store(str(path), read_only=True)
    qtbot.waitUntil(lambda: bool(painted.plot_then), timeout=WAIT_MS)
    assert painted.plot_then == [None]
    qtbot.waitUntil(lambda: window.timeline.plot is not None, timeout=WAIT_MS)
    assert window.timeline.plot_placeholder.isHidden()
