"""Stores named as desktops and file managers name them: a file:// URI on the command line (the
launcher's, a pasted location), and paths with '&', spaces and other scripts in File > Open
Recent, shown as they are."""

from __future__ import annotations

import shutil
from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QKeySequence

from explorer.ui import settings
from explorer.ui.app import start
from tests.ui.conftest import WAIT_MS


def test_a_file_uri_opens_the_store_it_names(qtbot, seeded, tmp_path):
    from explorer.ui.main_window import MainWindow

    folder = tmp_path / "R&D stores" / "Ünïcødé 店"
    folder.mkdir(parents=True)
    store = folder / "my shop ü.evstore"
    shutil.copyfile(seeded, store)
    uri = QUrl.fromLocalFile(str(store)).toString(QUrl.ComponentFormattingOption.FullyEncoded)
    assert uri.startswith("file:///") and "%20" in uri
    window = MainWindow()
    qtbot.add_widget(window)
    window.show()
    with qtbot.wait_signal(window.store_opened, timeout=WAIT_MS) as opened:
        start(window, uri, read_only=False)
    assert opened.args[0] == str(store)
    assert window.error_box is None or not window.error_box.isVisible()
    assert not Path("file:").exists()
    window.close()


def test_recent_stores_are_listed_as_their_paths_read(window, tmp_path):
    odd = str(tmp_path / "R&D" / "a&b shop ü.evstore")
    window.fill_recent_menu(settings.remember_store(odd))
    action = window.recent_menu.actions()[0]
    assert QKeySequence.mnemonic(action.text()).isEmpty(), "'&' taken for a shortcut's mark"
    assert action.text().replace("&&", "&") == odd


def test_a_demo_folder_that_cannot_be_made_is_said_plainly(qtbot, tmp_path, monkeypatch):
    from explorer.ui import app
    from explorer.ui.main_window import MainWindow

    blocker = tmp_path / "share"
    blocker.write_text("a file where the data folder would be")
    demo = blocker / "event-explorer" / "demo-shop.evstore"
    monkeypatch.setattr(app, "default_demo_store", lambda _system: demo)
    window = MainWindow(app.demo_system())
    qtbot.add_widget(window)
    window.show()
    start(window, None, read_only=False)
    assert window.error_box is not None and window.error_box.windowTitle() == "No demo store"
    assert str(demo.parent) in window.error_box.text()
    assert "Open Store" in window.error_box.text()
    assert blocker.read_text() == "a file where the data folder would be"
    window.close()


def test_dropping_several_files_says_which_one_opens(window, qtbot, seeded, tmp_path):
    from PySide6.QtCore import QMimeData, QPoint, Qt
    from PySide6.QtGui import QDropEvent

    others = [tmp_path / f"other {n}.evstore" for n in (1, 2)]
    for other in others:
        shutil.copyfile(seeded, other)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path)) for path in others])
    drop = QDropEvent(QPoint(10, 10), Qt.DropAction.CopyAction, mime,
                      Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    with qtbot.wait_signal(window.store_opened, timeout=WAIT_MS) as opened:
        window.dropEvent(drop)
    assert opened.args == [str(others[0])]
    said = window.statusBar().currentMessage() + window.statusBar().toolTip()
    assert "other 1.evstore" in said and "1 other" in said and "not opened" in said, said
