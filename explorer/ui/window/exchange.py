"""File > Export Events…, Import into New Store… and Save Bug Report…, and opening a bug report.

Exports and imports run on a worker thread of their own (explorer.exchange opens its own
connections) behind a progress dialog whose Cancel stops them, leaving no file behind. A bug
report keeps the window's view (cursor, selected event, stream, filters, tab); when a store
that is a bug report opens (read-only: see `opening.py`), that view is shown again.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressDialog,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from explorer.exchange.bundle import BundleFilters, BundleView, bundle_view, save_bundle
from explorer.exchange.export import (
    ExportScope,
    export_file,
    refuse_existing,
    undecrypted_warning,
)
from explorer.exchange.formats import ExchangeError
from explorer.exchange.importing import import_file
from explorer.store.content_filter import FilterError, parse_filter
from explorer.store.event_store import EventStore
from explorer.store.postgres_url import path_fault
from explorer.store.query import EventQuery
from explorer.ui.event_browser import ViewState
from explorer.ui.widgets.filter_bar import Filters
from explorer.ui.worker import JobContext, StoreWorker

if TYPE_CHECKING:
    from explorer.ui.main_window import MainWindow

EVENTS_FILTER = "JSON Lines (*.jsonl *.ndjson *.json);;All files (*)"
BUNDLE_FILTER = "Bug reports (*.evbundle);;All files (*)"
FORMAT_NAMES = {"jsonl": "JSON Lines (one event an object)",
                "cloudevents": "CloudEvents 1.0 JSON (one event a line)"}


class ExportDialog(QDialog):
    """Which events to export (selection, the list's filter, a stream, the whole log), in which
    format, to which file. `scopes` maps each choice to its ExportScope, or None where it is not
    available (nothing selected, no filter, no stream)."""

    def __init__(self, scopes: dict[str, tuple[str, ExportScope | None]], folder: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export Events")
        self.scopes = scopes
        self.folder = folder
        self._replace: str | None = None  # a path the user agreed to replace (file dialog)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Export:"))
        self.scope_buttons = QButtonGroup(self)
        for index, (key, (label, scope)) in enumerate(scopes.items()):
            button = QRadioButton(label)
            button.setObjectName(f"scope-{key}")
            button.setEnabled(scope is not None)
            self.scope_buttons.addButton(button, index)
            layout.addWidget(button)
        available = [b for b in self.scope_buttons.buttons() if b.isEnabled()]
        available[0].setChecked(True)
        form = QFormLayout()
        self.format = QComboBox()
        for key, label in FORMAT_NAMES.items():
            self.format.addItem(label, key)
        form.addRow("Format:", self.format)
        self.path = QLineEdit()
        self.path.setPlaceholderText("the file to write")
        self.path.setMinimumWidth(360)
        browse = QPushButton("Browse…")
        browse.clicked.connect(self.browse)
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        form.addRow("File:", row)
        layout.addLayout(form)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: palette(highlighted-text); background: #b3261e; "
                                 "padding: 4px; border-radius: 3px;")
        self.error.hide()
        layout.addWidget(self.error)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Export")
        self.buttons.accepted.connect(self.check_and_accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

    def browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export Events To", self.folder,
                                              EVENTS_FILTER)
        if path:  # the file dialog asked before choosing an existing file
            self.path.setText(path)
            self._replace = path

    @property
    def chosen(self) -> tuple[ExportScope, str, Path, bool]:
        """The scope, format, file and whether it may be replaced."""
        key = list(self.scopes)[self.scope_buttons.checkedId()]
        scope = self.scopes[key][1]
        assert scope is not None
        path = self.path.text().strip()
        return scope, self.format.currentData(), Path(path).expanduser(), path == self._replace

    def check_and_accept(self) -> None:
        """Accept if the file can be written: a new file in an existing folder, or one the
        user chose to replace; else say why, here."""
        if not self.path.text().strip():
            return self._refuse("Choose the file to write (Browse…).")
        if (fault := path_fault(self.path.text())) is not None:  # (a NUL: 'embedded null byte')
            return self._refuse(f"The file's path {fault}. Remove it, or choose the file to "
                                "write with Browse….")
        _, _, path, force = self.chosen
        if path.is_file() and not force:
            return self._refuse(f"{path} exists already. Choose a new file, or choose this one "
                                "with Browse… and confirm that it is to be replaced.")
        try:
            refuse_existing(path, force)
        except ExchangeError as error:
            return self._refuse(str(error))
        self.accept()

    def _refuse(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()


class EventsExchange(QObject):
    """The window's File menu items for moving events in and out, and bug reports.

    Signals:
        finished(str): an export, import or bug report is done (what the status bar said).
        failed(str): one failed (the message shown).
    """

    finished = Signal(str)
    failed = Signal(str)

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.worker = StoreWorker(self)
        self.dialog: ExportDialog | None = None
        self.progress: QProgressDialog | None = None
        window.store_opened.connect(self.show_bundle_view)  # once the window shows the store
        window.session.closed.connect(self.close)

    def close(self) -> None:
        self.worker.shutdown()

    # -- export ----------------------------------------------------------------------------

    def scopes(self) -> dict[str, tuple[str, ExportScope | None]]:
        """What the window offers to export now."""
        w = self.window
        selected = sorted({w.event_model.position(index.row())
                           for index in w.table.selectionModel().selectedRows()} - {None})
        view = w.browser.view
        shown = w.detail.shown_event
        stream = view.stream_id or (shown.stream_id if shown is not None else None)
        filtered = view.stream_id is not None or view.filters.active
        return {
            "selection": (f"The selected events ({len(selected):,})",
                          ExportScope(positions=selected) if selected else None),
            "filter": ("The events listed (the current filter and stream)",
                       ExportScope(view.query()) if filtered else None),
            "stream": (f"Stream {stream}" if stream else "A stream (none shown or selected)",
                       ExportScope(EventQuery(stream_id=stream)) if stream else None),
            "all": ("The whole log", ExportScope()),
        }

    def export_events(self) -> ExportDialog | None:
        """File > Export Events…: the dialog, then the export with progress."""
        summary = self.window.summary
        if summary is None:
            return None
        dialog = ExportDialog(self.scopes(), str(Path(summary.location).parent), self.window)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.accepted.connect(lambda: self.start_export(summary.location, *dialog.chosen))
        dialog.open()
        self.dialog = dialog
        return dialog

    def start_export(self, location: str, scope: ExportScope, format: str, target: Path,
                     force: bool) -> None:
        def job(context: JobContext) -> tuple[int, str | None]:
            count = export_file(location, target, scope, format,  # type: ignore[arg-type]
                                force=force, progress=lambda done, total:
                                context.progress((done, total)))
            with EventStore.open(location, read_only=True, verify=False) as store:
                return count, undecrypted_warning(store)  # (the window's key, if given)

        def said(result: tuple[int, str | None]) -> str:
            count, warning = result
            return f"Exported {count:,} events to {target}." + (
                f" Warning: {warning}" if warning else "")

        self._run(f"Exporting {scope.describe()} to {target.name}…", job, said,
                  "Cannot export the events")

    # -- import ----------------------------------------------------------------------------

    def import_events(self) -> None:
        """File > Import into New Store…: the events file, the new store, then the import."""
        folder = str(Path(self.window.summary.location).parent) if self.window.summary \
            else str(Path.home())
        source, _ = QFileDialog.getOpenFileName(self.window, "Import Events From", folder,
                                                EVENTS_FILTER)
        if not source:
            return
        target, _ = QFileDialog.getSaveFileName(
            self.window, "Import into New Store", str(Path(source).with_suffix(".evstore")),
            "Event stores (*.evstore);;All files (*)",
            options=QFileDialog.Option.DontConfirmOverwrite)
        if target:
            self.start_import(Path(source), Path(target))

    def start_import(self, source: Path, target: Path) -> None:
        """Import `source` into the new store `target` with progress, then open it."""
        def job(context: JobContext):
            return import_file(source, target, progress=lambda done, total:
                               context.progress((done, total)))

        def opened(report) -> str:
            self.window.open_store(report.location)
            return (f"Imported {report.events:,} events in {report.streams:,} streams into "
                    f"{report.location} (positions numbered from 1 in the file's order).")

        self._run(f"Importing {source.name}…", job, opened, "Cannot import the events")

    # -- bug reports -----------------------------------------------------------------------

    def current_view(self) -> BundleView:
        """What the window shows, as a bug report keeps it."""
        w = self.window
        filters = w.browser.view.filters
        travel = w.travel
        return BundleView(
            cursor_position=None if travel.live else travel.position,
            selected_position=w.browser.selected_position(),
            stream_id=w.browser.view.stream_id,
            filters=BundleFilters(filters.event_types, filters.stream_type, filters.from_time_us,
                                  filters.to_time_us,
                                  filters.content.text if filters.content else None),
            tab=w.bottom_tabs.tabText(w.bottom_tabs.currentIndex()) or None)

    def save_bug_report(self) -> None:
        """File > Save Bug Report…: where to, then the bundle."""
        summary = self.window.summary
        if summary is None:
            return
        suggested = Path(summary.location).with_suffix(".evbundle")
        target, _ = QFileDialog.getSaveFileName(self.window, "Save Bug Report", str(suggested),
                                                BUNDLE_FILTER,
                                                options=QFileDialog.Option.DontConfirmOverwrite)
        if target:
            self.start_bundle(summary.location, Path(target))

    def start_bundle(self, location: str, target: Path) -> None:
        view = self.current_view()
        self._run(f"Saving a bug report to {target.name}…",
                  lambda _context: save_bundle(location, target, view),
                  lambda path: f"Saved the bug report {path}: open it to see this view again "
                               "(read-only).", "Cannot save the bug report")

    def show_bundle_view(self, location: str) -> None:
        """A bug report opened (its list of all events asked for already): show the view it
        keeps instead (the list of all events, should it come back later, is dropped)."""
        summary = self.window.summary
        if summary is None or summary.location != location:
            return
        try:
            view = bundle_view(summary.meta)
        except ExchangeError as error:
            self.window.status.say(str(error), 10_000)
            return
        if view is not None:
            self._show_view(view)

    def _show_view(self, view: BundleView) -> None:
        w = self.window
        f = view.filters
        try:
            content = parse_filter(f.content) if f.content else None
        except FilterError:
            content = None
        filters = Filters(tuple(f.event_types), f.stream_type, f.from_time_us, f.to_time_us,
                          content)
        w.filter_bar.set_filters(filters)

        def select_and_show_tab() -> None:
            if view.selected_position is not None:
                w.browser.select_position(view.selected_position)  # and scrolled to
            show_tab()

        def show_tab() -> None:
            for index in range(w.bottom_tabs.count()):
                if w.bottom_tabs.tabText(index) == view.tab:
                    w.bottom_tabs.setCurrentIndex(index)

        def listed(_count: int) -> None:  # the bundle's list is shown (its event selected)
            w.browser.rows_ready.disconnect(listed)
            if view.cursor_position is None:
                show_tab()
                return

            def moved(_moment: object) -> None:  # after the list follows the cursor there
                w.travel.moment_ready.disconnect(moved)
                QTimer.singleShot(0, select_and_show_tab)

            w.travel.moment_ready.connect(moved)
            w.travel.go_to(view.cursor_position)

        w.browser.rows_ready.connect(listed)
        w.browser.show(ViewState(view.stream_id, filters), select=view.selected_position,
                       record=False)  # the view the store opens on, not a step from another
        w.status.say("A bug report: the view it was saved with, read-only.", 10_000)

    # -- running a job with progress -------------------------------------------------------

    def _run(self, text: str, job: Callable[[JobContext], Any],
             said: Callable[[Any], str], title: str) -> None:
        dialog = QProgressDialog(text, "Cancel", 0, 1000, self.window)
        dialog.setWindowTitle(title.replace("Cannot ", "").capitalize())
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(300)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        dialog.setValue(0)
        self.progress = dialog

        def finish() -> None:  # not closed by itself (autoClose off: it would at 100%)
            dialog.canceled.disconnect(cancelled)
            dialog.reset()
            dialog.hide()

        def progressed(value: tuple[int, int]) -> None:
            done, total = value
            dialog.setValue(int(1000 * done / total) if total else 0)

        def done(result: Any) -> None:
            finish()
            message = said(result)
            self.window.status.say(message, 10_000)
            self.finished.emit(message)

        def failed(error: Exception) -> None:
            finish()
            self.window.show_error(title, str(error))
            self.failed.emit(str(error))

        def cancelled() -> None:
            self.worker.cancel(job_id)
            self.window.status.say("Cancelled: nothing was written.", 5000)
            self.failed.emit("cancelled")

        job_id = self.worker.submit(job, done, on_error=failed, on_progress=progressed)
        dialog.canceled.connect(cancelled)

