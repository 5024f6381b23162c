"""A faulted projection whose code was edited after the window's runner started says that Retry
runs the code the runner loaded, and how to run the edit: the runner is a process of its own
that imported the system when it started."""

from __future__ import annotations

import os
import sys
import textwrap
import time

from PySide6.QtCore import QObject, Signal

from explorer.projections.engine import Fault, ProjectionStatus
from explorer.runtime.runner import RunnerStatus
from explorer.system.discovery import load_system
from explorer.ui.widgets.projections_panel import ProjectionsPanel

PLUGIN = '''
    import sqlalchemy as sa
    from explorer.domain import Aggregate, DomainModel, applies
    from explorer.projections import Projection, versioned_table
    from explorer.system import System

    class Note(Aggregate):
        stream_type = "Note"

        @applies("Noted")
        def _noted(self, data):
            pass

    notes = versioned_table("notes", sa.MetaData(), [sa.Column("note_id", sa.Text)],
                            [sa.Column("text", sa.Text)])

    class NotesProjection(Projection):
        name = "notes"
        title = "Notes"
        event_types = frozenset({"Noted"})
        tables = (notes,)

        def handle(self, event, writes):
            raise ValueError("broken")

    SYSTEM = System(name="notes", domain=DomainModel("notes", [Note], []),
                    projections=lambda: [NotesProjection()])
'''


class StartedRunner(QObject):
    """What the panel is given of the window's runner process: its signals, and when it
    started."""

    status = Signal(object)
    rebuild_progress = Signal(str, int, int)
    rebuild_finished = Signal(str)
    rebuild_cut = Signal(str, str)
    stopped = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.started_ns = time.time_ns()


def test_a_fault_says_when_the_projections_code_changed_after_the_runner_started(
        qtbot, tmp_path, monkeypatch):
    """(Helper G: a plug-in's projection faulted; its handler fixed in the editor, Retry in the
    window faulted again with the same message, saying nothing: the runner still ran the code
    it had imported.)"""
    source = tmp_path / "edited_notes_plugin.py"
    source.write_text(textwrap.dedent(PLUGIN))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "edited_notes_plugin", raising=False)
    system = load_system("edited_notes_plugin:SYSTEM")
    panel = ProjectionsPanel(None)  # (hidden: no rows are read)
    qtbot.add_widget(panel)
    panel.set_system(system)
    runner = StartedRunner()
    os.utime(source, ns=(runner.started_ns - 10**9, runner.started_ns - 10**9))
    panel.set_runner(runner)
    faulted = RunnerStatus(at=0.0, last_position=3, sagas=(), appended_per_s=0.0, projections=(
        ProjectionStatus("notes", "Notes", 1, 3, 1, "faulted",
                         fault=Fault(2, "e2", "ValueError: broken (in handle, ...)")),))
    panel.update_status(faulted)
    assert panel.fault_label.text().endswith("ValueError: broken (in handle, ...)")
    os.utime(source, ns=(runner.started_ns + 10**9, runner.started_ns + 10**9))  # the fix saved
    panel.update_status(faulted)
    said = panel.fault_label.text()
    assert ("<b>edited_notes_plugin.py was changed after the runner started</b>: Retry runs the "
            "code it loaded then. File › Load System… loads your edit; then Retry.") in said
    sys.modules.pop("edited_notes_plugin", None)
