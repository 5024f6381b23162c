"""The runner process of the open store, and the Monitor tab's charts of what it reports.

Each store opened gets its own runner process (`RunnerProcess`), which keeps the system's
projections (and, where chosen, its sagas) up to date; the projections and sagas panels show
its status, the time cursor reads further once the read models catch up, and the Monitor tab
charts it. The charts (pyqtgraph) are made the first time the tab is shown.

Signals (RunnerHost):
    message(str, int): something for the status bar, and for how many milliseconds.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from explorer.system.discovery import edited_since
from explorer.ui import settings
from explorer.ui.runner_process import RunnerProcess
from explorer.ui.session import LoadedSystem, StoreSummary, is_demo_store
from explorer.ui.time_cursor import TimeTravel
from explorer.ui.widgets.monitor_history import MonitorHistory
from explorer.ui.widgets.projections_panel import ProjectionsPanel
from explorer.ui.widgets.sagas_panel import SagasPanel
from explorer.ui.widgets.timeline import TimelineBar

if TYPE_CHECKING:  # pyqtgraph is loaded only when the monitor is first shown
    from explorer.ui.widgets.monitor_panel import MonitorPanel


class RunnerHost(QObject):
    """Starts a runner for each store opened (`show_store`), stops it (`stop`), and feeds its
    status to the panels and the monitor (`monitor_holder`, the Monitor tab's page).
    `demo_stores`: the stores this window made, whose sagas run unless the user said not to."""

    message = Signal(str, int)

    def __init__(self, projections: ProjectionsPanel, sagas: SagasPanel, travel: TimeTravel,
                 timeline: TimelineBar, demo_stores: set[str],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.projections = projections
        self.sagas = sagas
        self.travel = travel
        self.timeline = timeline
        self.demo_stores = demo_stores
        self.runner: RunnerProcess | None = None
        self.location: str | None = None
        self.loaded: LoadedSystem | None = None
        self.monitor_history = MonitorHistory()
        self.monitor: MonitorPanel | None = None
        self.monitor_shown = False
        self.monitor_holder = QWidget()
        self.monitor_layout = QVBoxLayout(self.monitor_holder)
        self.monitor_layout.setContentsMargins(0, 0, 0, 0)
        self.monitor_loading = QLabel("Loading the charts…")
        self.monitor_loading.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.monitor_layout.addWidget(self.monitor_loading)
        sagas.run_sagas_changed.connect(self._run_sagas_changed)
        sagas.retry_wanted.connect(self._retry_saga)
        timeline.plot_ready.connect(self._plot_ready)
        timeline.plot_failed.connect(lambda reason: self.monitor_loading.setText(
            reason.replace("timeline plot", "charts")))

    # -- the runner ------------------------------------------------------------------------

    def show_store(self, summary: StoreSummary, loaded: LoadedSystem) -> None:
        """Run the projections (and, if chosen, the sagas) of the store just opened."""
        self.stop()
        location = self.location = summary.location
        self.loaded = loaded
        demo = is_demo_store(location, loaded, self.demo_stores)
        can_run = not summary.read_only and bool(loaded.system.sagas)
        run_sagas = can_run and settings.sagas_enabled(location, demo)
        self.runner = RunnerProcess(location, loaded.spec, read_only=summary.read_only,
                                    run_sagas=run_sagas, parent=self)
        self.runner.status.connect(self._runner_status)
        self.runner.failed.connect(lambda message: self.message.emit(message, 10_000))
        self.runner.noted.connect(lambda message: self.message.emit(message, 5000))
        self.runner.stopped.connect(self.sagas.runner_stopped)
        self.monitor_history.clear()
        self.projections.set_runner(self.runner)
        reason = ("This store is open read-only: sagas would have to write to it."
                  if summary.read_only else "" if can_run else
                  f"{loaded.label} has no sagas.")
        self.sagas.reset(can_run=can_run, running=run_sagas, reason=reason)
        self.runner.start()

    def stop(self) -> None:
        if self.runner is not None:
            self.runner.stop()
            self.runner = None

    def _runner_status(self, status) -> None:
        moment = self.travel.moment
        if moment is not None and any(m.built_to < moment.position
                                      for m in moment.read_models.values()):
            self.travel.refresh()  # the read models caught up a little further
        self.projections.update_status(status)
        self.sagas.update_status(status)
        self.monitor_history.add(status)
        if self.monitor is not None and self.monitor_shown:
            self.monitor.redraw()

    def _run_sagas_changed(self, enabled: bool) -> None:
        if self.location is None or self.runner is None:
            return
        settings.remember_sagas(self.location, enabled)
        self.runner.set_sagas(enabled)
        self.message.emit("Sagas run in this window now." if enabled else
                          "Sagas no longer run in this window.", 5000)

    def _retry_saga(self, name: str) -> None:
        if self.runner is not None:
            self.runner.retry_saga(name)
            edited = self._edited_since_started(name)
            if edited:
                self.message.emit(
                    f"{', '.join(edited)} changed after the runner started: Retry runs the code "
                    "it loaded then. File › Load System… loads your edit; then Retry.", 15_000)

    def _edited_since_started(self, saga: str) -> list[str]:
        """The files of the saga's code and its domain's (its steps' commands) changed since
        the runner process, which runs them as it imported them, started."""
        started = self.runner.started_ns if self.runner is not None else 0
        if self.loaded is None or not started:
            return []
        system = self.loaded.system
        classes = [*(s for s in system.sagas if s.name == saga), *system.domain.aggregates.values()]
        files = (edited_since(cls, started) for cls in classes)
        return list(dict.fromkeys(Path(file).name for file in files if file))

    # -- the monitor -----------------------------------------------------------------------

    def set_monitor_shown(self, shown: bool) -> None:
        """The Monitor tab was shown (or another tab was): chart the runner there."""
        self.monitor_shown = shown
        if not shown:
            return
        if self.timeline.plot is None:
            self.timeline.load_plot()  # pyqtgraph; the monitor follows once the plot is in
        else:
            self._show_monitor()

    def _show_monitor(self) -> None:
        if self.monitor is None:
            from explorer.ui.widgets.monitor_panel import MonitorPanel  # pyqtgraph: loaded late

            self.monitor = MonitorPanel(self.monitor_history)
            self.monitor_loading.hide()
            self.monitor_layout.addWidget(self.monitor)
        self.monitor.redraw()

    def _plot_ready(self) -> None:
        if self.monitor_shown:
            self._show_monitor()
