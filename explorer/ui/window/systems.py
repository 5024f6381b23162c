"""Which system the window explores a store with, and how the user chooses one.

A system (explorer.system.System) is the code of an event-sourced application: its commands,
projections and sagas. The window is given one by its composition root (`--system`), by File >
Load System..., or by what the store names (see `explorer.system.discovery.system_of_store`).
Loading a system runs its code, so a store that names one by module path is loaded only after
the user says yes (`confirm_system_box`), and every load runs off the GUI thread, tried in a
child process first (explorer.ui.window.system_loading). Without a system the window still
shows the store's streams, events and timeline; the tabs that need one say so and how to load
one (`SystemGate`). What is loaded, a `LoadedSystem`, is the session's (explorer.ui.session).
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from explorer.system import NO_SYSTEM, System
from explorer.system.discovery import NONE, InstalledSystem, installed_systems
from explorer.system.probing import DEADLINE_S
from explorer.ui.session import LoadedSystem
from explorer.ui.window.system_loading import SystemLoading

LOAD_SYSTEM = "File › Load System…"
SPEC_ROLE = Qt.ItemDataRole.UserRole + 31


def spec_of(system: System, module: str | None = None) -> str:
    """How to name a loaded system to another process: its installed name if it is installed
    under that name, else the module path it was loaded from."""
    if system.generic:
        return NONE
    if any(found.name == system.name for found in installed_systems()):
        return system.name
    return module or system.name


def describe(loaded: LoadedSystem) -> str:
    """What the status bar's tooltip says about the loaded system."""
    if loaded.generic:
        return loaded.note or ("No system is loaded: the store's events, streams and timeline "
                               f"as stored. {LOAD_SYSTEM} loads one.")
    system = loaded.system
    about = f"{system.label} ({loaded.spec})"
    return f"{about}: {system.description}" if system.description else about


class SystemGate(QStackedWidget):
    """A panel that needs a system: the panel while one is loaded, else a notice saying that
    none is (and why, when the store names one that could not be loaded) and how to load one.

    Signals:
        load_requested(): the user clicked the notice's link to File > Load System...
    """

    load_requested = Signal()

    def __init__(self, panel: QWidget, what: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.panel = panel
        self.what = what
        self.notice = QLabel()
        self.notice.setObjectName("no-system")
        self.notice.setTextFormat(Qt.TextFormat.RichText)
        self.notice.setWordWrap(True)
        self.notice.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.notice.setMargin(24)
        self.notice.linkActivated.connect(lambda _: self.load_requested.emit())
        self.addWidget(panel)
        self.addWidget(self.notice)

    def show_system(self, loaded: LoadedSystem) -> None:
        if not loaded.generic:
            self.setCurrentWidget(self.panel)
            return
        reason = (f"<p style='color:#b71c1c'>{html.escape(loaded.note)}</p>" if loaded.note
                  else "")
        self.notice.setText(
            f"<h3>No system is loaded</h3>{reason}"
            f"<p>{html.escape(self.what)} are part of a system's code, and this window has "
            "none: it shows the store's streams, events and timeline as they are stored, and "
            "a stream's state by the generic fold.</p>"
            "<p>To load one, use <a href='load'>File › Load System…</a>, or start the "
            "explorer with <code>--system NAME</code> (an installed system) or "
            "<code>--system package.module:ATTRIBUTE</code>.</p>")
        self.setCurrentWidget(self.notice)

    @property
    def showing_notice(self) -> bool:
        return self.currentWidget() is self.notice


def confirm_system_box(parent: QWidget, name: str, module: str) -> QMessageBox:
    """Asks whether to load the system a store names by module path (not installed here):
    loading it runs its code. Opened by the caller (window-modal, not blocking)."""
    box = QMessageBox(QMessageBox.Icon.Question, "Load the store's system?",
                      f"This store was written by the system {name} from module {module}. "
                      "Loading it runs its code. Load it?",
                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, parent)
    box.button(QMessageBox.StandardButton.Yes).setText("Load It")
    box.button(QMessageBox.StandardButton.No).setText("Explore Without It")
    box.setDefaultButton(QMessageBox.StandardButton.No)
    box.setInformativeText("Without it, the store's events, streams and timeline are all "
                           "shown; its commands, projections and sagas are not.")
    box.setWindowModality(Qt.WindowModality.WindowModal)
    return box


class LoadSystemDialog(QDialog):
    """File > Load System...: the installed systems (name, module, package), "none", or a module
    path typed in. The chosen system is loaded off the GUI thread, tried first in a child
    process (explorer.ui.window.system_loading): the dialog says "Loading NAME…" meanwhile, with
    Cancel, and offers to wait longer when the trial passes its deadline. A failure is shown in
    the dialog, which stays open; nothing of the window changes until a system has loaded.

    Signals:
        system_loaded(object): the LoadedSystem chosen and loaded.
        load_ended(): a load began by `load` ended: loaded, failed or cancelled.
    """

    system_loaded = Signal(object)
    load_ended = Signal()

    def __init__(self, current: LoadedSystem, parent: QWidget | None = None,
                 deadline_s: float = DEADLINE_S) -> None:
        super().__init__(parent)
        self.setWindowTitle("Load System")
        self.loaded: LoadedSystem | None = None
        self.loading: SystemLoading | None = None
        self.loading_spec = ""
        self.deadline_s = deadline_s
        intro = QLabel("A system is the code of an event-sourced application: its commands, "
                       "projections and sagas. Loading one runs its code. The store is opened "
                       "again with it.")
        intro.setWordWrap(True)
        self.installed = installed_systems()
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["System", "Module", "Package"])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.setShowGrid(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents)
        rows = [InstalledSystem(NONE, "explore the store without a system", ""),
                *self.installed]
        for found in rows:
            self._add_row(found, found.name == current.spec)
        if not self.table.selectedItems():
            self.table.selectRow(0)
        self.table.itemDoubleClicked.connect(lambda _: self.load())
        self.module_path = QLineEdit()
        self.module_path.setPlaceholderText("or a module path: mypackage.system:SYSTEM")
        self.module_path.setToolTip("A System object (or a function returning one) in an "
                                    "importable module, as package.module:ATTRIBUTE")
        if current.spec not in {found.name for found in rows}:
            self.module_path.setText(current.spec)
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)  # busy: an import tells nothing of how far it is
        self.progress.setTextVisible(False)
        self.progress.setMaximumHeight(6)
        self.progress.hide()
        self.status = QLabel()
        self.status.setObjectName("loading-status")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status.hide()
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #c62828;")
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error.hide()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button = buttons.button(QDialogButtonBox.StandardButton.Cancel)
        self.wait_button = buttons.addButton("Wait Longer", QDialogButtonBox.ButtonRole.ActionRole)
        self.wait_button.hide()
        self.wait_button.clicked.connect(self.wait_longer)
        self.load_button = buttons.addButton("Load", QDialogButtonBox.ButtonRole.AcceptRole)
        self.load_button.setDefault(True)
        buttons.accepted.connect(self.load)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.module_path)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.resize(640, 340)

    def _add_row(self, found: InstalledSystem, selected: bool) -> None:
        row = self.table.rowCount()
        self.table.insertRow(row)
        for column, text in enumerate((found.name, found.value, found.distribution)):
            item = QTableWidgetItem(text)
            item.setData(SPEC_ROLE, found.name)
            item.setToolTip(text)
            self.table.setItem(row, column, item)
        if selected:
            self.table.selectRow(row)

    def chosen_spec(self) -> str:
        """The module path typed in, else the system selected in the list."""
        typed = self.module_path.text().strip()
        if typed:
            return typed
        items = self.table.selectedItems()
        return items[0].data(SPEC_ROLE) if items else NONE

    # -- loading -------------------------------------------------------------------------------

    def load(self) -> None:
        """Load the chosen system off the GUI thread (at once for "none", which runs no code)."""
        if self.loading is not None:
            return
        spec = self.chosen_spec()
        if spec == NONE:
            self._loaded(NO_SYSTEM, spec)
            return
        loading = SystemLoading(lambda load: load(spec), self.deadline_s)
        loading.succeeded.connect(self._succeeded)
        loading.failed.connect(self._failed)
        loading.overdue.connect(self._overdue)
        self.loading, self.loading_spec = loading, spec
        self._show_loading(f"Loading {spec}…")
        loading.start()

    @property
    def is_loading(self) -> bool:
        return self.loading is not None

    def _show_loading(self, text: str | None) -> None:
        """Say what is loading (None: nothing is; the choices are offered again)."""
        busy = text is not None
        for widget in (self.table, self.module_path, self.load_button):
            widget.setEnabled(not busy)
        self.progress.setVisible(busy)
        self.status.setText(text or "")
        self.status.setVisible(busy)
        self.wait_button.hide()
        if busy:
            self.error.hide()
            self.cancel_button.setFocus()

    def _current(self) -> SystemLoading | None:
        """The loading that sent the signal being handled, if it is still this dialog's."""
        loading = self.loading
        return loading if loading is not None and self.sender() is loading \
            and not loading.cancelled else None

    @Slot(object)
    def _succeeded(self, system: System) -> None:
        if self._current() is None:
            return
        self.loading = None
        self._show_loading(None)
        self._loaded(system, self.loading_spec)
        self.load_ended.emit()

    @Slot(str)
    def _failed(self, message: str) -> None:
        if self._current() is None:
            return
        self.loading = None
        self._show_loading(None)
        self._say_error(message)
        self.load_ended.emit()

    @Slot(str)
    def _overdue(self, message: str) -> None:
        if self._current() is None:
            return
        self.progress.hide()
        self.status.setText(f"{message}\n\nWait longer for it, or cancel loading it.")
        self.wait_button.show()
        self.wait_button.setFocus()

    def wait_longer(self) -> None:
        if self.loading is not None:
            self.wait_button.hide()
            self.progress.show()
            self.status.setText(f"Loading {self.loading_spec}… (waiting longer)")
            self.cancel_button.setFocus()
            self.loading.wait_longer()

    def cancel_loading(self) -> bool:
        """Stop loading (a trial still running is killed); False if nothing was loading."""
        loading, self.loading = self.loading, None
        if loading is None:
            return False
        loading.cancel()
        self._show_loading(None)
        self.status.setText(f"Cancelled: {self.loading_spec} was not loaded.")
        self.status.show()
        self.load_ended.emit()
        return True

    def _say_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()

    def _loaded(self, system: System, spec: str) -> None:
        self.loaded = LoadedSystem(system, spec)
        self.system_loaded.emit(self.loaded)
        self.accept()

    def reject(self) -> None:
        """Cancel (or Escape) stops a load in progress; when nothing loads, closes."""
        if not self.cancel_loading():
            super().reject()

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        self.cancel_loading()
        super().closeEvent(event)
