"""A path holding a NUL character (pasted with the text) is refused where it is given, saying
so and what to do: File › Open Database's field (a path, a file:// URI's %00, a server's URL),
a store given to the window, and the Export dialog's file. Before, each failed deep inside with
'embedded null byte' (the error dialog titled with the name, NUL and all). Nothing is created,
and the store shown stays open."""

from __future__ import annotations

import os

from tests.ui.conftest import WAIT_MS
from tests.ui.test_exchange_window import accept

NUL_SAID = "holds a NUL character (\\0, pasted with the text?), which no file's name holds"


def test_the_check_the_window_and_the_command_line_share():
    from explorer.store.postgres_url import path_fault

    assert path_fault("") == "is empty" and path_fault("  ") == "is only spaces"
    assert path_fault("a\x00b") == NUL_SAID and path_fault("file:///tmp/a%00b") == NUL_SAID
    assert path_fault("/tmp/a.evstore") is None and path_fault("postgresql://u@h/db") is None


def test_a_store_path_holding_a_nul_is_refused_saying_so(window, qtbot, tmp_path,
                                                         monkeypatch):
    monkeypatch.chdir(tmp_path)
    for given in (str(tmp_path / "a\x00b.evstore"), "file://" + str(tmp_path) + "/a%00b.evstore",
                  "postgresql://me@localhost/shop\x00"):
        with qtbot.wait_signal(window.error_shown, timeout=WAIT_MS) as caught:
            window.opening.open(given)
        title, message = caught.args
        assert "\x00" not in title and "null byte" not in message, caught.args
        assert message == (f"The store's path or URL {NUL_SAID}, so nothing was opened. "
                           "Remove it, or choose a store with File › Open Store.")
        window.error_box.done(0)
    assert not any(name.startswith("a") for name in os.listdir(tmp_path))
    assert window.summary.location.endswith("shop.evstore")


def test_open_database_refuses_a_nul_typed_in_its_field(window, qtbot, tmp_path):
    dialog = window.opening.choose_database()
    dialog.setTextValue(str(tmp_path / "a\x00b.evstore"))
    with qtbot.wait_signal(window.error_shown, timeout=WAIT_MS) as caught:
        dialog.accept()
    assert NUL_SAID in caught.args[1]


def test_the_export_dialog_refuses_a_nul_in_its_file(qtbot, window, tmp_path):
    dialog = window.exchange.export_events()
    qtbot.add_widget(dialog)
    dialog.path.setText(str(tmp_path / "out\x00.jsonl"))
    accept(dialog)
    assert dialog.isVisible() and dialog.error.isVisible()
    assert dialog.error.text() == (f"The file's path {NUL_SAID}. Remove it, or choose the "
                                   "file to write with Browse….")
    assert not any(name.startswith("out") for name in os.listdir(tmp_path))
