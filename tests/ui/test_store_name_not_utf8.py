"""A store whose file name is not UTF-8 (Latin-1's café, byte 0xe9: a lone surrogate to Python,
which a Qt string cannot hold) is named in the window as the command line names it, the byte
escaped (caf\\udce9.evstore, as `visible` writes it): the title said caf.evstore, another
file's name, and so did the status bar, the welcome text, File › Open Recent and error
messages naming it."""

from __future__ import annotations

import os
import shutil

from explorer.common.names import visible
from tests.ui.conftest import opened_window

SHOWN = "caf\\udce9.evstore"


def test_a_lone_surrogate_is_written_as_an_escape():
    assert visible(os.fsdecode(b"caf\xe9.evstore")) == SHOWN
    assert visible("café.evstore") == "café.evstore"


def test_the_window_names_the_store_with_its_byte_escaped(qtbot, seeded, tmp_path):
    store = tmp_path / os.fsdecode(b"caf\xe9.evstore")
    shutil.copy(seeded, store)
    window = opened_window(qtbot, store)
    assert window.windowTitle().startswith(f"{SHOWN} — "), window.windowTitle()
    assert window.status.store_label.text() == str(tmp_path / SHOWN)
    assert SHOWN in window.help.welcome.toPlainText()
    assert window.recent_menu.actions()[0].text() == str(tmp_path / SHOWN)
    with qtbot.wait_signal(window.error_shown) as said:  # a message naming it, as the CLI's
        window.show_error(f"Cannot open {store.name}", f"No store at {store}.\nCheck the path.")
    assert said.args == [f"Cannot open {SHOWN}",
                         f"No store at {tmp_path / SHOWN}.\nCheck the path."]
    assert window.error_box.text() == said.args[1]
    window.error_box.done(0)
    window.close()
