"""The command console follows the system of each store opened, whatever was selected before."""

from __future__ import annotations

import shutil

import pytest

from explorer.commanding.sending import writable_types
from explorer.store import NewEvent
from explorer.system import NO_SYSTEM
from explorer.system.workspace import open_store
from explorer.ui.console.command_list import COMMAND_ROLE
from explorer.ui.session import LoadedSystem
from tests.ui.conftest import WAIT_MS, select_row

COPY_SPEC = "tests.ui.system_copy:SHOP_COPY"


def foreign_store(path):
    with open_store(path, system=NO_SYSTEM, create=True) as store:
        store.append("ship_1", "Ship", [NewEvent("ShipLaunched", {"name": "Ada", "crew": 3})])
    return path


@pytest.mark.parametrize("way", ["names-no-system", "asked-without", "another-system"])
def test_the_console_offers_the_next_stores_commands_after_an_event_was_selected(
        window, qtbot, seeded, tmp_path, way):
    from tests.ui.system_copy import SHOP_COPY  # (imported only here: loading it is tested)

    console = window.console
    event = select_row(qtbot, window, 0)
    qtbot.waitUntil(lambda: console.target is not None
                    and console.target.stream_id == event.stream_id, timeout=WAIT_MS)
    assert console.current_command() is not None  # a command for the selected event's type
    if way == "names-no-system":
        other, system = foreign_store(tmp_path / "foreign.evstore"), None
    else:
        other = tmp_path / "other.evstore"
        shutil.copyfile(seeded, other)
        system = (LoadedSystem(NO_SYSTEM, "none") if way == "asked-without"
                  else LoadedSystem(SHOP_COPY, COPY_SPEC))
    after_switch = []  # the command once every part has heard of the system (heard last)
    console.state.system_changed.connect(lambda: after_switch.append(console.current_command()))
    with qtbot.wait_signals([window.store_opened, window.browser.rows_ready], timeout=WAIT_MS):
        window.open_store(other, system=system)
    qtbot.waitUntil(lambda: console.location == str(other), timeout=WAIT_MS)
    assert after_switch == [None]  # dropped with the old system, none picked in its place
    event = select_row(qtbot, window, 0)
    qtbot.waitUntil(lambda: console.target is not None
                    and console.target.stream_id == event.stream_id, timeout=WAIT_MS)
    listed = [console.commands.item(row).data(COMMAND_ROLE)
              for row in range(console.commands.count())]
    if way == "another-system":  # its commands, one picked for the event's stream
        assert window.loaded.system is SHOP_COPY
        assert listed == [(t, n) for t in writable_types(SHOP_COPY)
                          for n in SHOP_COPY.domain.commands[t]]
        qtbot.waitUntil(lambda: console.current_command() is not None, timeout=WAIT_MS)
        assert console.current_command() is SHOP_COPY.domain.command_class(
            *console.commands.currentItem().data(COMMAND_ROLE))
        assert console.current_command().stream_type == console.target.stream_type
    else:  # no system: no commands, none chosen
        assert window.loaded.generic
        assert listed == [] and console.current_command() is None
        assert console.form.editors == {}
