"""The window explores a store with a system, or without one: `--system`, File > Load System...,
the system a store names (asked first when named by module path), and what the window shows
when no system is loaded."""

from __future__ import annotations

import sys

import pytest
from PySide6.QtWidgets import QMessageBox

from explorer.domain import CommandService
from explorer.system import NO_SYSTEM
from explorer.system.discovery import load_system
from explorer.ui.main_window import MainWindow
from explorer.ui.session import LoadedSystem
from tests.conftest import place_order
from tests.ui.conftest import SHOP, WAIT_MS, open_in, open_shop, shown_window, wait_for_page

COPY_MODULE = "tests.ui.system_copy"
COPY_SPEC = f"{COPY_MODULE}:SHOP_COPY"


def name_system(path, **meta: str) -> None:
    with open_shop(path) as store:
        for key, value in meta.items():
            store.set_meta(key, value)


def notices(window: MainWindow) -> list[str]:
    """What the Projections, Sagas and Commands tabs say, if they say no system is loaded."""
    return [gate.notice.text() for gate in window.gates if gate.showing_notice]


def last_position(path) -> int:
    with open_shop(path, read_only=True) as store:
        return store.last_position()


# -- without a system ------------------------------------------------------------------------

def test_without_a_system_the_store_is_explored_and_the_tabs_say_how_to_load_one(qtbot, seeded):
    window = shown_window(qtbot)
    open_in(qtbot, window, seeded, system=LoadedSystem(NO_SYSTEM, "none"))
    try:
        total = last_position(seeded)
        assert window.event_model.rowCount() == total
        assert wait_for_page(qtbot, window, 0).event_type  # events, listed and readable
        assert "No system" in window.windowTitle() and "No system" in window.system_label.text()
        says = notices(window)
        assert len(says) == 3  # Projections, Sagas and Commands, instead of empty tables
        for text in says:
            assert "No system is loaded" in text and "Load System" in text
            assert "--system" in text
        assert not window.what_if_action.isEnabled() and not window.like_action.isEnabled()

        window.travel_to(total // 2)  # the As of Cursor tab: the generic fold, labelled
        qtbot.waitUntil(lambda: window.travel.moment is not None
                        and window.travel.moment.position == total // 2, timeout=WAIT_MS)
        moment = window.travel.moment
        assert moment.generic and moment.read_models == {} and moment.sagas is None
        panel = window.moment_panel
        assert "Generic fold" in panel.aggregate_title.text()
        assert panel.state.topLevelItemCount() == len(moment.aggregate.state) > 0
        assert not panel.read_models_pane.isVisibleTo(panel)  # no read models to show
        assert not panel.sagas_split.isVisibleTo(panel)

        before = window.event_model.rowCount()  # live updates, without the system's code
        with (qtbot.wait_signal(window.browser.live_applied, timeout=WAIT_MS),
              open_shop(seeded) as store):
            place_order(CommandService(store, SHOP.domain, issued_by="test"), "order_live")
        assert window.event_model.rowCount() == before + 1
    finally:
        window.close()


def test_a_store_no_installed_system_knows_opens_without_one(qtbot, tmp_path):
    from explorer.store import NewEvent
    from explorer.system.workspace import open_store

    path = tmp_path / "foreign.evstore"
    with open_store(path, system=NO_SYSTEM, create=True) as store:
        store.append("ship_1", "Ship", [NewEvent("ShipLaunched", {"name": "Ada", "crew": 3}),
                                        NewEvent("ShipRenamed", {"name": "Grace"})])
    window = shown_window(qtbot)
    open_in(qtbot, window, path)
    try:
        assert window.loaded.generic
        assert "no installed system knows all of its event types" in window.loaded.note
        assert len(notices(window)) == 3
        # the empty fields' hints come from this store, not from the demo shop
        assert window.stream_browser.filter.placeholderText() == "Filter streams: ship_ or ship_*1"
        assert window.filter_bar.content.placeholderText() == (
            'Filter by content, e.g. data.name = "Ada" and data.crew > 1')
        window.travel_to(2)
        qtbot.waitUntil(lambda: window.travel.moment is not None
                        and window.travel.moment.position == 2, timeout=WAIT_MS)
        aggregate = window.travel.moment.aggregate
        assert aggregate.generic and aggregate.state == {"name": "Grace", "crew": 3}
        assert [(c.path, c.kind) for c in aggregate.changes] == [("name", "changed")]
    finally:
        window.close()


# -- with a system ---------------------------------------------------------------------------

def test_with_the_shop_its_tabs_show_and_the_window_names_it(window):
    assert window.loaded.system.name == "shop" and window.loaded.spec == "shop"
    assert notices(window) == []
    assert "Demo shop" in window.windowTitle() and "Demo shop" in window.system_label.text()
    assert window.runner.system == "shop"  # the runner process gets --system shop
    assert window.console.commands.count() > 0


@pytest.mark.parametrize("answer", ["load", "refuse"])
def test_a_store_naming_its_system_by_module_path_is_loaded_only_if_the_user_agrees(
        qtbot, seeded, answer):
    name_system(seeded, system="shop_copy", system_module=COPY_SPEC)
    sys.modules.pop(COPY_MODULE, None)
    window = shown_window(qtbot)
    try:
        with qtbot.wait_signal(window.error_shown, timeout=WAIT_MS) as asked:
            window.open_store(seeded)
        assert asked.args[0] == "Load the store's system?"
        assert ("written by the system shop_copy from module tests.ui.system_copy:SHOP_COPY. "
                "Loading it runs its code. Load it?") in asked.args[1]
        box = window.error_box
        assert box.defaultButton() is box.button(QMessageBox.StandardButton.No)
        button = QMessageBox.StandardButton.Yes if answer == "load" else \
            QMessageBox.StandardButton.No
        with qtbot.wait_signal(window.store_opened, timeout=WAIT_MS):
            box.button(button).click()
        if answer == "refuse":  # nothing loaded: the module was never imported
            assert COPY_MODULE not in sys.modules
            assert window.loaded.generic and len(notices(window)) == 3
            assert "you chose not to load" in window.loaded.note
            assert "Load System" in window.system_label.toolTip()
            return
        assert window.loaded.system.name == "shop_copy" and window.loaded.spec == COPY_SPEC
        assert notices(window) == [] and "Shop copy" in window.windowTitle()
        # the runner process imports it too (from the window's import path) and reports
        qtbot.waitUntil(lambda: window.projections_panel.status_model.rowCount() > 0,
                        timeout=WAIT_MS * 3)
    finally:
        window.close()
        sys.modules.pop(COPY_MODULE, None)


def test_a_store_naming_a_missing_system_opens_without_it_saying_which_and_how(qtbot, seeded):
    name_system(seeded, system="observatory")
    window = shown_window(qtbot)
    open_in(qtbot, window, seeded)
    try:
        assert window.loaded.generic
        note = window.loaded.note
        assert "written by the system 'observatory'" in note and "not installed" in note
        assert "--system" in note and "Load System" in note
        assert all("observatory" in text for text in notices(window))
        assert "⚠" in window.system_label.text() and "observatory" in \
            window.system_label.toolTip()
        assert "observatory" in window.statusBar().currentMessage()
    finally:
        window.close()


# -- File > Load System... -------------------------------------------------------------------

def test_load_system_lists_the_installed_systems_and_opens_the_store_again_with_one(
        window, qtbot):
    window.load_system_action.trigger()
    dialog = window.system_dialog
    listed = {dialog.table.item(row, 0).text(): (dialog.table.item(row, 1).text(),
                                                 dialog.table.item(row, 2).text())
              for row in range(dialog.table.rowCount())}
    assert listed["shop"][0] == "explorer.demo.system:SHOP"
    assert listed["shop"][1].startswith("event-explorer ")  # the package that provides it
    assert "none" in listed
    assert dialog.chosen_spec() == "shop"  # the one loaded now is chosen

    dialog.module_path.setText("nowhere.system:SYSTEM")  # a mistake: said, and nothing changes
    with qtbot.wait_signal(dialog.load_ended, timeout=WAIT_MS):
        dialog.load()
    assert dialog.isVisible() and "no module named 'nowhere'" in dialog.error.text()
    assert window.loaded.system.name == "shop"

    dialog.module_path.clear()
    dialog.table.selectRow(next(row for row in range(dialog.table.rowCount())
                                if dialog.table.item(row, 0).text() == "none"))
    with qtbot.wait_signal(window.store_opened, timeout=WAIT_MS):
        dialog.load()
    assert window.loaded.generic and len(notices(window)) == 3
    assert window.runner.system == "none"

    dialog = window.choose_system()
    dialog.module_path.setText(COPY_SPEC)  # typed by the user: that is the choice, no question
    with qtbot.wait_signal(window.store_opened, timeout=WAIT_MS):
        dialog.load()
    assert window.loaded.system.name == "shop_copy" and window.runner.system == COPY_SPEC
    assert notices(window) == [] and window.console.commands.count() > 0
    sys.modules.pop(COPY_MODULE, None)


# -- the command line ------------------------------------------------------------------------

def test_the_command_line_names_the_system(capsys):
    from explorer.ui import app

    assert app.parse_arguments(["s.evstore", "--system", "none"]).system == "none"
    assert app.parse_arguments(["s.evstore"]).system is None
    assert app.chosen_system("none") == LoadedSystem(NO_SYSTEM, "none")
    assert app.chosen_system("shop").system is load_system("shop")
    assert app.main(["s.evstore", "--system", "nowhere"]) == 2
    assert "No system named 'nowhere' is installed" in capsys.readouterr().err
