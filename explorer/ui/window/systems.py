"""Which system the window explores a store with, and how the user chooses one.

A system (explorer.system.System) is the code of an event-sourced application: its commands,
projections and sagas. The window is given one by its composition root (`--system`), by File >
Load System..., or by what the store names (see `explorer.system.discovery.system_of_store`).
Loading a system runs its code, so a store that names one by module path is loaded only after
the user says yes (`confirm_system_box`). Without a system the window still shows the store's
streams, events and timeline; the tabs that need one say so and how to load one
(`SystemGate`). What is loaded, a `LoadedSystem`, is the session's (explorer.ui.session).
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from explorer.system import System
from explorer.system.discovery import (
    NONE,
    InstalledSystem,
    SystemLoadError,
    installed_systems,
    load_system,
)
from explorer.ui.session import LoadedSystem

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
    path typed in. Loading happens here, on the GUI thread; a failure is shown in the dialog,
    which stays open.

    Signals:
        system_loaded(object): the LoadedSystem chosen and loaded.
    """

    system_loaded = Signal(object)

    def __init__(self, current: LoadedSystem, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Load System")
        self.loaded: LoadedSystem | None = None
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
        self.module_path.returnPressed.connect(self.load)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #c62828;")
        self.error.hide()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.load_button = buttons.addButton("Load", QDialogButtonBox.ButtonRole.AcceptRole)
        self.load_button.setDefault(True)
        buttons.accepted.connect(self.load)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.module_path)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.resize(640, 320)

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

    def load(self) -> None:
        spec = self.chosen_spec()
        try:
            system = load_system(spec)
        except SystemLoadError as error:
            self.error.setText(str(error))
            self.error.show()
            return
        self.loaded = LoadedSystem(system, spec)
        self.system_loaded.emit(self.loaded)
        self.accept()
