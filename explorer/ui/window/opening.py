"""Opening stores in the window, each with its system.

A store opens on the window's worker. Given no system (File > Open, a recent store, a dropped
file), the open job returns the store's meta and event types and the GUI thread decides with
`system_of_store`: the system the store names if it is installed, after asking when the store
names one by module path (loading it runs its code; refusing loads nothing), the one installed
system that knows an older store's event types, or none. Systems are the user's code: they are
loaded off the GUI thread, each tried in a child process first (`SystemLoading`); one that has
not loaded by the deadline is asked about (wait longer, or open the store without it). The store
is then opened again, with that system's event registry. A store naming a system that cannot be
loaded opens without one, and the window says which system is missing and how to load it.

The worker moves to the new store as soon as it is open (what is sent meanwhile to the store
shown before is refused, as "another store was opened"), except when the store names its
system: until that is loaded (and, named by module path, the user said yes), the store shown
stays the worker's.

It also makes new stores: an empty one when the user agrees to create a missing path, and demo
stores seeded by a system's seeder, with a cancellable progress dialog.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox, QProgressDialog

from explorer.common.names import visible
from explorer.store import EventStore, StoreDamagedError, StoreMissingError
from explorer.store.postgres_url import (
    PasswordRefusedError,
    forget_password,
    is_server_url,
    local_path,
    path_fault,
    shown,
)
from explorer.system import NO_SYSTEM, Seeder, System
from explorer.system.discovery import (
    META_MODULE,
    META_NAME,
    NONE,
    SystemLoadError,
    installed_systems,
    system_of_store,
)
from explorer.system.probing import DEADLINE_S, GuardedLoad
from explorer.system.workspace import SeededStore, open_store, remember_system, seed_new_store
from explorer.ui import settings
from explorer.ui.session import LoadedSystem, StoreSummary, glance, summarise
from explorer.ui.window.password_dialog import PasswordDialog
from explorer.ui.window.system_loading import SystemLoading
from explorer.ui.window.systems import (
    LOAD_SYSTEM,
    LoadSystemDialog,
    confirm_system_box,
    spec_of,
)
from explorer.ui.worker import JobContext, StoreWorker

if TYPE_CHECKING:
    from explorer.ui.main_window import MainWindow

FILE_FILTER = "Event stores (*.evstore *.db *.sqlite *.sqlite3);;All files (*)"


def _not_loaded(overdue: str) -> str:
    """Why a store opened without the system it names, when the user stopped waiting for it."""
    return f"{overdue.partition(' It may be ')[0]} You cancelled loading it. {LOAD_SYSTEM} " \
           "loads it."


def system_to_confirm(meta: dict[str, str]) -> tuple[str, str] | None:
    """The name and module path of the system a store names by a module path, when no system
    of that name is installed: opening the store means asking the user first. Else None."""
    named, module = meta.get(META_NAME), meta.get(META_MODULE)
    if named and named != NONE and module \
            and not any(found.name == named for found in installed_systems()):
        return named, module
    return None


def names_an_installed_system(meta: dict[str, str]) -> bool:
    named = meta.get(META_NAME)
    return bool(named) and named != NONE and any(found.name == named
                                                 for found in installed_systems())


def types_choose_the_system(store: EventStore, deadline_s: float = DEADLINE_S) -> bool:
    """Whether the event types stored must be read to choose the store's system: it names none,
    and an installed system knows the type of its first event (one that knows them all must).
    Otherwise they are read after the first page is shown (a scan of the whole log on a store
    without an index of its types, such as the eventsourcing library's). Each installed system
    is tried in a child process before it is loaded here (explorer.system.probing)."""
    if store.meta().get(META_NAME) or not store.last_position():
        return False
    first_type = store.event_at(1).event_type
    guarded = GuardedLoad(deadline_s)  # (on the worker: a system past its deadline is skipped)
    for entry in installed_systems():
        try:
            registry = guarded.load(entry.name).registry
        except SystemLoadError:
            continue
        if registry is not None and any(spec.name == first_type for spec in registry):
            return True
    return False


class StoreOpening(QObject):
    """Opens stores for `window` (its worker, dialogs and status bar).

    Signals:
        opened(object, object): a StoreSummary and its LoadedSystem: the store is open on the
            worker, read with that system.
    """

    opened = Signal(object, object)

    def __init__(self, window: MainWindow, worker: StoreWorker,
                 demo_system: LoadedSystem | None = None) -> None:
        super().__init__(window)
        self.window = window
        self.worker = worker
        self.demo_system = demo_system
        self.demo_stores: set[str] = set()
        self._generation = 0  # the newest open asked for: an older one's answers are moot
        self.password_dialog: PasswordDialog | None = None  # asking for a server's password
        self.probe_deadline_s = DEADLINE_S  # how long a system's trial import may take
        self.system_loading: SystemLoading | None = None  # the system a store names, loading
        self.overdue_box: QMessageBox | None = None  # asking whether to wait longer for it

    # -- opening ---------------------------------------------------------------------------

    def choose(self, read_only: bool = False) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self.window, "Open Store Read-Only" if read_only else "Open Store",
            self.last_folder(), FILE_FILTER)
        if path:
            self.open(path, read_only=read_only)

    def choose_database(self) -> QInputDialog:
        """Ask for a store on a PostgreSQL server by its URL (File > Open Database...), then
        open it; the dialog, open until answered."""
        dialog = QInputDialog(self.window)
        dialog.setWindowTitle("Open Database")
        dialog.setLabelText(
            "The URL of a store on a PostgreSQL server:\n"
            "postgresql://USER@HOST:PORT/DATABASE?schema=NAME (schema event_explorer if none).\n"
            "The password comes from PGPASSWORD or ~/.pgpass, or the URL (never written down).")
        servers = [url for url in settings.recent_stores() if is_server_url(url)]
        dialog.setTextValue(servers[0] if servers else "postgresql://")
        dialog.resize(560, dialog.sizeHint().height())
        dialog.textValueSelected.connect(lambda url: self.open(url.strip()))
        dialog.open()
        return dialog

    def open(self, path: str | Path, *, read_only: bool = False, create: bool = False,
             system: LoadedSystem | None = None, verify: bool = True) -> None:
        """Open a store on the worker, with `system` or (None) the one it names; on failure,
        explain and keep the current one. Only with `create` (the user said so) does a missing
        or empty file become a store, read with the system at hand. A file:// URI (pasted into
        Open Database, say) is the file at its path. An empty or blank one is refused, and one
        holding a NUL, as the command line refuses them (`path_fault`)."""
        if (fault := path_fault(str(path))) is not None:  # (an empty one was '.', a folder; a
            # blank one a new store named '   '; a NUL failed with 'embedded null byte')
            blank = not str(path).strip()
            self.window.show_error(
                "No store given" if blank else "Not a store's path",
                f"The store's path or URL {fault}, so nothing was opened. " + (
                    "Choose a store with File › Open Store, or type a postgresql:// URL in "
                    "File › Open Database." if blank else
                    "Remove it, or choose a store with File › Open Store."))
            return
        on_server = is_server_url(path)  # a store on a PostgreSQL server: a URL, not a file
        path = str(path) if on_server else str(Path(local_path(str(path))).expanduser())
        self._generation += 1
        generation = self._generation
        if self.system_loading is not None:  # (for a store opened before: moot)
            self.system_loading.cancel()
            self.system_loading = None
            if self.overdue_box is not None and shiboken6.isValid(self.overdue_box):
                self.overdue_box.done(0)
        self.window.busy_label.setText(
            f"Opening {shown(path) if on_server else visible(Path(path).name)}…")
        chosen = system or (self.window.loaded if create else None)
        deadline_s = self.probe_deadline_s

        def open_it(context: JobContext) -> StoreSummary:
            with_system = chosen.system if chosen is not None else NO_SYSTEM
            store = open_store(path, system=with_system, create=create, verify=verify,
                               read_only=read_only)  # (a bug report opens read-only anyway)
            try:  # a store read-only is shown as it is, but said to be damaged
                found = store.damage_found(check=verify) if store.read_only else None
                if create and chosen is not None:
                    remember_system(store, chosen.system, chosen.spec)
                if chosen is None and names_an_installed_system(store.meta()):
                    summary = glance(store)  # opened again with that system at once
                else:
                    summary = summarise(store, with_system, read_types=chosen is None
                                        and types_choose_the_system(store, deadline_s))
            except Exception:
                store.close()
                raise
            summary = replace(summary, damage=found)
            if chosen is None and (summary.glance or system_to_confirm(summary.meta) is not None):
                store.close()  # the store shown stays open until its system is loaded
            else:
                context.set_store(store)
            return summary

        def looked(summary: StoreSummary) -> None:
            if generation != self._generation:
                return
            if chosen is not None:
                self.opened.emit(summary, chosen)
            else:
                self._decide(summary, generation, read_only)

        self.worker.submit(open_it, looked, key="open",
                           on_error=lambda error: self._failed(path, error, read_only, system))

    def _decide(self, summary: StoreSummary, generation: int, read_only: bool) -> None:
        """The system the store names: asked about first if it is named by module path."""
        to_confirm = system_to_confirm(summary.meta)
        if to_confirm is not None:
            box = confirm_system_box(self.window, *to_confirm)

            def answered(_result: int) -> None:
                if generation == self._generation:
                    yes = box.clickedButton() is box.button(QMessageBox.StandardButton.Yes)
                    self._with_system(summary, read_only, yes)

            box.finished.connect(answered)
            box.open()
            self.window.error_box = box
            self.window.error_shown.emit(box.windowTitle(), box.text())
            return
        self._with_system(summary, read_only, None)

    def _with_system(self, summary: StoreSummary, read_only: bool, confirmed: bool | None
                     ) -> SystemLoading:
        """Load the system the store names (`confirmed`: the user's answer, if asked) off the
        GUI thread, each system tried in a child process first, and open the store with it;
        without one, say why. The store shown stays until then."""
        generation = self._generation
        named = summary.meta.get(META_NAME)
        loading = SystemLoading(
            lambda load: system_of_store(summary.meta, summary.stored_event_types,
                                         confirm=lambda _module: bool(confirmed), load=load),
            self.probe_deadline_s)

        def found(system: System, note: str) -> None:
            self._loading_done(loading)
            asking = self.overdue_box
            if asking is not None and shiboken6.isValid(asking) and asking.isVisible():
                asking.done(0)  # (the trial ended while the user was asked to wait)
            if generation == self._generation:
                self._with_system_found(summary, read_only, confirmed, system, note)

        loading.succeeded.connect(lambda system: found(system, ""))
        loading.failed.connect(lambda note: found(NO_SYSTEM, note))
        loading.overdue.connect(lambda message: self._ask_wait_longer(
            loading, message, lambda: found(NO_SYSTEM, _not_loaded(message))))
        self.window.busy_label.setText(f"Loading the system {named or 'of the store'}…")
        self.system_loading = loading
        loading.start()
        return loading

    def _ask_wait_longer(self, loading: SystemLoading, message: str,
                         give_up: Callable[[], None]) -> QMessageBox:
        """A system the store names has not finished importing by its deadline: wait longer,
        or (`give_up`) open the store without it."""
        box = QMessageBox(QMessageBox.Icon.Warning, "The system is not loading", message,
                          QMessageBox.StandardButton.Cancel, self.window)
        wait = box.addButton("Wait Longer", QMessageBox.ButtonRole.AcceptRole)
        box.setInformativeText("Cancel opens the store without it: its events, streams and "
                               "timeline are all shown; its commands, projections and sagas "
                               "are not.")
        box.setDefaultButton(wait)
        box.setWindowModality(Qt.WindowModality.WindowModal)

        def answered(_result: int) -> None:
            if loading is not self.system_loading or loading.cancelled:
                return
            if box.clickedButton() is wait:
                loading.wait_longer()
            else:
                loading.cancel()
                give_up()

        box.finished.connect(answered)
        box.open()
        self.overdue_box = box
        self.window.error_box = box
        self.window.error_shown.emit(box.windowTitle(), message)
        return box

    def _loading_done(self, loading: SystemLoading) -> None:
        if self.system_loading is loading:
            self.system_loading = None

    def _with_system_found(self, summary: StoreSummary, read_only: bool,
                           confirmed: bool | None, system: System, note: str) -> None:
        """Open the store with the system found for it (NO_SYSTEM: `note` says why)."""
        named, module = summary.meta.get(META_NAME), summary.meta.get(META_MODULE)
        if confirmed is False:
            note = (f"This store was written by the system {named} from module {module}, "
                    f"which you chose not to load (its code would run). {LOAD_SYSTEM} loads "
                    "it.")
        elif system.generic and not note and not named and (
                summary.stored_event_types or summary.types_pending and summary.last_position):
            note = ("The store does not name its system, and no installed system knows all of "
                    "its event types.")
        loaded = LoadedSystem(system, spec_of(system, module), note)
        if system.generic:
            self.window.statusBar().showMessage(note or "Opened without a system.", 15_000)
            if confirmed is None and not summary.glance:  # the worker has it open already
                self.opened.emit(summary, loaded)
                return
        self.open(summary.location, read_only=read_only, system=loaded, verify=False)

    def _failed(self, path: str, error: Exception, read_only: bool = False,
                system: LoadedSystem | None = None) -> None:
        window = self.window
        window.busy_label.clear()
        if isinstance(error, StoreMissingError) and not error.empty \
                and not is_server_url(path) and path in settings.recent_stores():
            self._say_missing(path)  # (opened before: moved or deleted, not mistyped)
            return
        if isinstance(error, StoreMissingError) and not read_only:
            self._offer_new_store(path, error)
            return
        if isinstance(error, StoreDamagedError) and not read_only:
            self._offer_read_only(path, error, system)
            return
        if isinstance(error, PasswordRefusedError):
            self._ask_password(error, read_only)
            return
        window.show_error(f"Cannot open {shown(path) if is_server_url(path) else Path(path).name}",
                          str(error))  # (a URL's name could be its password: shown without)
        if not is_server_url(path) and not Path(path).exists():  # (a server may be back later)
            window.fill_recent_menu(settings.forget_store(path))

    def _offer_read_only(self, path: str, error: StoreDamagedError,
                         system: LoadedSystem | None) -> QMessageBox:
        """A damaged store is never written: say what is wrong with it, and offer to show what
        can still be read of it, read-only (marked damaged in the status bar)."""
        window = self.window
        name = Path(path).name
        title = f"{name} is damaged"
        text = (f"{name} is damaged: {error.detail}.\n\nNothing was written to it, and nothing "
                "will be. Open Read-Only shows what can still be read of it, marked as damaged."
                f"\n\nTo go on working with its events: {error.advice}")
        box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Close,
                          window)
        read_only = box.addButton("Open Read-Only", QMessageBox.ButtonRole.AcceptRole)
        box.setDefaultButton(read_only)
        box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        box.setWindowModality(Qt.WindowModality.WindowModal)

        def answered(_result: int) -> None:
            if box.clickedButton() is read_only:  # unchecked: its damage is known already
                self.open(path, read_only=True, system=system, verify=False)

        box.finished.connect(answered)
        box.open()
        window.error_box = box
        window.error_shown.emit(title, text)
        return box

    def _ask_password(self, error: PasswordRefusedError, read_only: bool) -> PasswordDialog:
        """The server wants a password none was given for, or refused the one given: ask for
        it (a refused one forgotten, what the server said shown), then open the store again by
        its URL without a password."""
        forget_password(error.location)
        refused = None if "no password supplied" in error.reason else error.reason
        dialog = PasswordDialog(error.location, refused, self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.password_given.connect(lambda location: self.open(location, read_only=read_only))
        dialog.open()
        self.password_dialog = dialog
        return dialog

    def _offer_new_store(self, path: str, error: StoreMissingError) -> None:
        """A mistyped path must not silently become an empty store: ask first."""
        window = self.window
        what = "is an empty file" if error.empty else "does not exist"
        box = QMessageBox(QMessageBox.Icon.Question, "Create a new store?",
                          f"{path} {what}.\n\nCreate a new, empty store at {path}?",
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, window)
        box.setDefaultButton(QMessageBox.StandardButton.No)
        box.setWindowModality(Qt.WindowModality.WindowModal)

        def answered(_result: int) -> None:
            if box.clickedButton() is box.button(QMessageBox.StandardButton.Yes):
                self.open(path, create=True)

        box.finished.connect(answered)
        box.open()
        window.error_box = box
        window.error_shown.emit("Create a new store?", str(error))

    def _say_missing(self, path: str) -> QMessageBox:
        """A recent store that is no longer where it was (moved, renamed, deleted, on a drive
        not mounted) is said to be missing, not offered to be made anew there: an empty store
        in its place would hide where it went. It stays in Open Recent unless the user removes
        it (the drive may come back)."""
        window = self.window
        title = f"{Path(path).name} is missing"
        text = (f"The store {path} is not there any more: it was moved, renamed or deleted "
                "since it was opened, or is on a drive that is not mounted.\n\nOpen it where it "
                "is now with File › Open Store. It stays in File › Open Recent unless you remove "
                "it.")
        box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Close,
                          window)
        remove = box.addButton("Remove from Recent", QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(QMessageBox.StandardButton.Close)
        box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        box.setWindowModality(Qt.WindowModality.WindowModal)

        def answered(_result: int) -> None:
            if box.clickedButton() is remove:
                window.fill_recent_menu(settings.forget_store(path))

        box.finished.connect(answered)
        box.open()
        window.error_box = box
        window.error_shown.emit(title, text)
        return box

    # -- systems ---------------------------------------------------------------------------

    def choose_system(self) -> LoadSystemDialog:
        """File > Load System...: the chosen system is loaded, and the open store opened again
        with it."""
        dialog = LoadSystemDialog(self.window.loaded, self.window, self.probe_deadline_s)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.system_loaded.connect(self.use_system)
        dialog.open()
        self.window.system_dialog = dialog
        return dialog

    def stop_loading(self) -> None:
        """Cancel the systems loading for this window (it closes): their trials are killed."""
        if self.system_loading is not None:
            self.system_loading.cancel()
            self.system_loading = None
        dialog = self.window.system_dialog
        if dialog is not None and shiboken6.isValid(dialog):
            dialog.cancel_loading()

    def use_system(self, loaded: LoadedSystem) -> None:
        summary = self.window.summary
        if summary is None:
            self.window.session.show_system(loaded)
            return
        self.open(summary.location, read_only=summary.read_only and not summary.read_only_reason,
                  system=loaded)

    # -- new demo stores -------------------------------------------------------------------

    def seeding_system(self) -> LoadedSystem | None:
        """The system a new demo store is made with: the loaded one if it has a seeder, else
        the window's demo system."""
        loaded = self.window.loaded
        if loaded.system.seeder is not None:
            return loaded
        demo = self.demo_system
        return demo if demo is not None and demo.system.seeder is not None else None

    def choose_new_demo(self) -> None:
        loaded = self.seeding_system()
        seeder = loaded.system.seeder if loaded is not None else None
        if loaded is None or seeder is None:
            self.window.show_error("Cannot make a demo store",
                                   "No loaded system has a seeder to fill a demo store. "
                                   f"{LOAD_SYSTEM} loads one that has.")
            return
        path, _ = QFileDialog.getSaveFileName(
            self.window, "New Demo Store", str(Path(self.last_folder()) / "demo.evstore"),
            FILE_FILTER)
        if not path:
            return
        size, ok = QInputDialog.getInt(
            self.window, "New Demo Store", size_question(loaded.label, seeder),
            seeder.default_size, 1, seeder.max_size, max(1, seeder.default_size // 2))
        if ok:
            self.create_demo(path, size, loaded)

    def create_demo(self, path: str | Path, size: int,
                    loaded: LoadedSystem | None = None) -> QProgressDialog:
        """Seed a new store with a system's seeder (a cancellable progress dialog), then open
        it with that system."""
        path = str(path)
        loaded = loaded or self.seeding_system()
        if loaded is None or loaded.system.seeder is None:
            raise ValueError("no loaded system has a seeder")
        seeder = loaded.system.seeder
        window = self.window
        dialog = QProgressDialog(f"Simulating {size:,} {seeder.size_name}…", "Cancel", 0, size,
                                 window)
        dialog.setWindowTitle(f"New Demo Store — {loaded.label}")
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(0)
        dialog.setValue(0)
        stop = threading.Event()  # Cancel stops the simulation early; what it made is kept

        def seed(context: JobContext) -> SeededStore:
            return seed_new_store(path, loaded.system, size=size, spec=loaded.spec,
                                  progress=context.progress, should_stop=stop.is_set)

        def done(seeded: SeededStore) -> None:
            dialog.reset()
            self.demo_stores.add(str(Path(path).resolve()))
            if stop.is_set():
                window.statusBar().showMessage(
                    f"Stopped early: {seeded.report.get('events', 0):,} events made.", 5000)
            self.open(path, system=loaded)

        def failed(error: Exception) -> None:
            dialog.reset()
            window.show_error("Cannot create the demo store", str(error))

        self.worker.submit(seed, done, on_error=failed, on_progress=dialog.setValue)
        dialog.canceled.connect(stop.set)
        return dialog

    def last_folder(self) -> str:
        recent = settings.recent_stores()
        return str(Path(recent[0]).parent) if recent else str(Path.home())


def size_question(label: str, seeder: Seeder) -> str:
    """What New Demo Store asks: how many of the seeder's units, with its help below when that
    says more than the question ("how many orders to simulate" alone would repeat it)."""
    question = f"{label}: how many {seeder.size_name} should the demo simulate?"
    help_text = seeder.size_help.strip()
    if help_text.rstrip(".").lower() == f"how many {seeder.size_name} to simulate".lower():
        return question
    return f"{question}\n({help_text})"
