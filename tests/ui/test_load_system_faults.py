"""File > Load System... says a module's failure while it is imported in the dialog, whatever
it is: a module calling sys.exit() there used to end the whole window silently."""

from __future__ import annotations

import sys

from explorer.system import NO_SYSTEM
from explorer.ui.session import LoadedSystem
from explorer.ui.window.systems import LoadSystemDialog


def test_a_module_calling_sys_exit_is_said_in_the_dialog(qtbot, tmp_path, monkeypatch):
    (tmp_path / "exiting_window_plugin.py").write_text("import sys\nsys.exit(3)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    dialog = LoadSystemDialog(LoadedSystem(NO_SYSTEM, "none"))
    qtbot.add_widget(dialog)
    dialog.show()
    dialog.module_path.setText("exiting_window_plugin:SYSTEM")
    with qtbot.wait_signal(dialog.load_ended, timeout=10_000):
        dialog.load()
    assert dialog.isVisible() and dialog.loaded is None
    assert dialog.error.text() == ("Loading the system 'exiting_window_plugin:SYSTEM' failed: "
                                   "its module called sys.exit(3) while being imported.")
    sys.modules.pop("exiting_window_plugin", None)
