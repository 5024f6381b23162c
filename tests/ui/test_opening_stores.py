"""Opening a path in the window never makes a store unasked, and a store that cannot be written
opens read-only, saying why."""

from __future__ import annotations

import os
import shutil

from PySide6.QtWidgets import QMessageBox

from explorer.store import NewEvent
from explorer.store import sqlite as sqlite_backend
from tests.ui.conftest import WAIT_MS, open_shop


def test_a_mistyped_path_asks_before_creating_a_store(window, qtbot, tmp_path):
    missing = tmp_path / "typo.evstore"
    with qtbot.wait_signal(window.error_shown, timeout=WAIT_MS) as caught:
        window.open_store(missing)
    assert caught.args[0] == "Create a new store?" and "No store at" in caught.args[1]
    box = window.error_box
    assert "does not exist" in box.text() and str(missing) in box.text()
    box.button(QMessageBox.StandardButton.No).click()
    assert not missing.exists()  # nothing was made
    assert window.summary.location.endswith("shop.evstore")  # the open store stays

    with qtbot.wait_signal(window.error_shown, timeout=WAIT_MS):
        window.open_store(missing)
    with qtbot.wait_signal(window.store_opened, timeout=WAIT_MS) as opened:
        window.error_box.button(QMessageBox.StandardButton.Yes).click()
    assert opened.args == [str(missing)] and window.summary.last_position == 0
    assert not window.summary.read_only


def test_an_empty_file_is_not_turned_into_a_store_unasked(window, qtbot, tmp_path):
    empty = tmp_path / "empty.evstore"
    empty.touch()
    with qtbot.wait_signal(window.error_shown, timeout=WAIT_MS):
        window.open_store(empty)
    assert "is an empty file" in window.error_box.text()
    window.error_box.button(QMessageBox.StandardButton.No).click()
    assert empty.stat().st_size == 0


def test_a_store_in_a_folder_that_cannot_be_written_opens_read_only_saying_why(
        window, qtbot, tmp_path, monkeypatch):
    folder = tmp_path / "shared"
    folder.mkdir()
    store_path = folder / "team.evstore"
    with open_shop(store_path, create=True) as store:
        store.append("order_1", "Order", [NewEvent("OrderCancelled", {"reason": "r"})])
    real_access = os.access

    def access(path, mode):  # as for a user without write permission on the folder
        if str(path) == str(folder) and mode & os.W_OK:
            return False
        return real_access(path, mode)

    monkeypatch.setattr(sqlite_backend.os, "access", access)
    with qtbot.wait_signal(window.store_opened, timeout=WAIT_MS):
        window.open_store(store_path)
    assert window.summary.read_only and window.summary.last_position == 1
    assert window.read_only_badge.isVisible()
    assert f"the folder {folder} cannot be written" in window.read_only_badge.toolTip()
    assert "Opened read-only" in window.statusBar().currentMessage()


def test_new_demo_store_asks_its_size_without_repeating_itself():
    """New Demo Store asked the demo shop "how many orders should the demo simulate?" and then
    "(how many orders to simulate)" under it; a seeder's help that says more is still shown."""
    from explorer.demo.system import SHOP as shop
    from explorer.ui.window.opening import size_question

    assert size_question("Demo shop", shop.seeder) == (
        "Demo shop: how many orders should the demo simulate?")

    class Loans:
        size_name, size_help = "loans", "how many loans to simulate (about ten events each)"
    assert size_question("Library", Loans) == (
        "Library: how many loans should the demo simulate?\n"
        "(how many loans to simulate (about ten events each))")


def test_a_recent_store_that_was_moved_is_said_to_be_missing(window, qtbot, tmp_path):
    """Found by a tester: Open Recent of a store moved away offered to create a new, empty
    store in its place, and No took it off the list. It is said to be missing, with its path,
    and stays listed until the user removes it."""
    from explorer.ui import settings

    store = tmp_path / "moved.evstore"
    shutil.copyfile(window.summary.location, store)
    with qtbot.wait_signal(window.store_opened, timeout=WAIT_MS):
        window.open_store(store)
    with qtbot.wait_signal(window.store_opened, timeout=WAIT_MS):
        window.open_store(settings.recent_stores()[1])  # (the shop again)
    store.rename(tmp_path / "elsewhere.evstore")
    recent = next(a for a in window.recent_menu.actions() if a.text() == str(store))
    with qtbot.wait_signal(window.error_shown, timeout=WAIT_MS) as caught:
        recent.trigger()
    assert caught.args[0] == "moved.evstore is missing", caught.args
    box = window.error_box
    assert f"The store {store} is not there any more" in box.text() and "Create" not in box.text()
    box.button(QMessageBox.StandardButton.Close).click()
    assert not store.exists() and str(store) in settings.recent_stores()
    assert [a.text() for a in window.recent_menu.actions()].count(str(store)) == 1
    assert window.summary.location.endswith("shop.evstore")  # the open store stays

    with qtbot.wait_signal(window.error_shown, timeout=WAIT_MS):
        window.open_store(store)  # (as the command line names it, once more)
    remove = next(b for b in window.error_box.buttons() if b.text() == "Remove from Recent")
    remove.click()
    assert str(store) not in settings.recent_stores()
    assert str(store) not in [a.text() for a in window.recent_menu.actions()]


def test_a_store_named_by_a_file_uri_opens_that_file(window, qtbot, tmp_path, seeded,
                                                     monkeypatch):
    """A file:// URI pasted into File › Open Database (or given as a recent store) is the file
    at its path, its '#' part of the name, encoded or not: before, it was taken for a relative
    path ('file:/tmp/...'), and the window offered to create a store there."""
    monkeypatch.chdir(tmp_path)
    target = tmp_path / "a#b ?c.evstore"
    shutil.copy(seeded, target)
    for uri in (target.as_uri(), "file://" + str(target)):
        with qtbot.wait_signal(window.store_opened, timeout=WAIT_MS) as opened:
            window.opening.open(uri)
        assert opened.args == [str(target)], uri
    missing = tmp_path / "gone#x.evstore"
    with qtbot.wait_signal(window.error_shown, timeout=WAIT_MS) as caught:
        window.opening.open("file://" + str(missing))
    assert caught.args[0] == "Create a new store?" and str(missing) in window.error_box.text()
    window.error_box.button(QMessageBox.StandardButton.No).click()
    made = [p.name for p in tmp_path.iterdir() if not p.name.startswith(("shop.", "a#b"))]
    assert made == []  # (nothing at 'file:', nor the missing store)


def test_an_empty_or_blank_store_path_is_refused_saying_so(window, qtbot, tmp_path,
                                                           monkeypatch):
    """An empty path (File › Open Database's field emptied) was opened as '.', 'a folder, not a
    store file'; a blank one ('   ', on the command line) was offered to be made a new store."""
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    for given, said in (("", "empty"), ("   ", "only spaces")):
        with qtbot.wait_signal(window.error_shown, timeout=WAIT_MS) as caught:
            window.opening.open(given)
        assert caught.args == ["No store given", f"The store's path or URL is {said}, so nothing "
                               "was opened. Choose a store with File › Open Store, or type a "
                               "postgresql:// URL in File › Open Database."]
        window.error_box.done(0)
    assert os.listdir(here) == [] and window.summary.location.endswith("shop.evstore")
