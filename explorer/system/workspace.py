"""Where stores live and how the app opens them: with the events read as the system reads them.

The window and the command line both open stores through here, so both read events the same way,
find the system a store names the same way, and remember the system that writes a store.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs

from explorer.store.copying import remove_store_files
from explorer.store.errors import DiskFullError, StoreError, StoreMissingError, StoreOpenError
from explorer.store.event_store import EventStore
from explorer.store.postgres_url import is_server_url
from explorer.system import System
from explorer.system.discovery import META_NAME, load_system, remembered, system_of_store

APP_NAME = "event-explorer"
DEMO_DAYS = 90
"""A demo store's history: this many days, ending a day before it is made."""
DEMO_SEED = 42
"""The random seed of demo stores: the same size gives the same history."""


def open_store(path: str | Path, *, system: System, read_only: bool = False,
               create: bool = False, progress: Callable[[int, int], None] | None = None,
               verify: bool = True, cipher_key: str | None = None) -> EventStore:
    """Open a store (or, with `create`, make one) that reads events with the system's schemas
    and upcasters (without a system, every type as stored), and tell the system it is open.
    See EventStore.open."""
    store = EventStore.open(path, read_only=read_only, registry=system.registry, create=create,
                            progress=progress, verify=verify, cipher_key=cipher_key)
    try:
        system.store_opened(store)
    except BaseException:
        store.close()
        raise
    return store


def system_for(path: str | Path, spec: str | None = None, *,
               confirm: Callable[[str], bool] | None = None) -> System:
    """The system to explore a store with: the one `spec` names (an installed name, a module
    path, or "none"), else the one the store names (see `system_of_store`; `confirm` is asked
    before loading a system the store names by module path). The store is only read."""
    if spec is not None:
        return load_system(spec)
    with EventStore.open(path, read_only=True, verify=False) as store:
        meta, event_types = store.meta(), store.event_types()
    return system_of_store(meta, event_types, confirm=confirm)


def remember_system(store: EventStore, system: System, spec: str | None = None) -> bool:
    """Record in the store which system writes it (see `remembered`), unless it is recorded
    already; True if something was written.

    A store that names another system keeps that name: the system that first wrote it owns it,
    and a write by another one (chosen by mistake, say) must not change which system opening
    the store loads. Without a system nothing is recorded: it writes nothing.
    """
    if system.generic or store.read_only:
        return False
    meta = store.meta()
    if meta.get(META_NAME, system.name) != system.name:
        return False
    changed = {key: value for key, value in remembered(system, spec).items()
               if meta.get(key) != value}
    for key, value in changed.items():
        store.set_meta(key, value)
    return bool(changed)


def default_demo_store(system: System) -> Path:
    """The demo store of a system that the app opens when it is given none, in the user's data
    folder."""
    return platformdirs.user_data_path(APP_NAME, appauthor=False) / f"demo-{system.name}.evstore"


class CannotSeedError(ValueError):
    """The system has no seeder: its stores are made by its own commands (or programs)."""

    def __init__(self, system: System) -> None:
        super().__init__(f"The system {system.name!r} has no seeder, so it cannot make a demo "
                         "store; explore one of its stores instead, or make an empty one "
                         "(`create`, or File > Open Store in the window) and send it the "
                         "system's commands.")


def seed_with(store: EventStore, system: System, *, size: int | None = None, seed: int = 42,
              days: int = DEMO_DAYS, recent: bool = True, spec: str | None = None,
              progress: Callable[[int], None] | None = None,
              should_stop: Callable[[], bool] | None = None) -> dict[str, Any]:
    """Fill a store with the system's seeder (its default size unless given) and remember the
    system in it; the seeder's report. CannotSeedError for a system without a seeder.

    An empty store names its system before the seeder starts, so that a seed stopped halfway
    names it too; one holding events (which the seeder may refuse) only once it has seeded."""
    seeder = system.seeder
    if seeder is None:
        raise CannotSeedError(system)
    if store.last_position() == 0:
        remember_system(store, system, spec)
    report = seeder.seed(store, size=seeder.default_size if size is None else size, seed=seed,
                         days=days, recent=recent, progress=progress, should_stop=should_stop)
    remember_system(store, system, spec)
    return report


@dataclass(frozen=True)
class SeededStore:
    """A store made by `seed_new_store`: where it is, the seeder's report, its last position."""

    location: str
    report: dict[str, Any]
    last_position: int


class SeedInterrupted(KeyboardInterrupt):
    """A seed stopped by an interrupt, saying what it left: the store it made, removed when
    it held no event yet; otherwise the store, kept with the events stored before the stop
    (each batch of the seeder's is committed whole, so they are valid facts, but only part of
    the history, its sagas left midway)."""

    @classmethod
    def after(cls, target: str | Path, system: System, made_here: bool) -> SeedInterrupted:
        """What an interrupted seed into `target` left (`made_here`: no file was there)."""
        try:
            if isinstance(target, Path) and not target.exists():
                return cls(f"nothing was made at {target}.")
            with open_store(target, system=system, read_only=True, verify=False) as store:
                kept = store.last_position()
        except StoreMissingError:
            kept = 0  # (stopped as the file was being made: no tables yet)
        except (StoreError, OSError) as error:
            return cls(f"{target} was left as the seed stopped, but cannot be read ({error}); "
                       "delete it and seed into a new file.")
        if kept == 0 and made_here and isinstance(target, Path):
            remove_store_files(target)
            return cls(f"{target} was removed: no event was stored yet, nothing was left.")
        if kept == 0:
            return cls(f"{target} was left without events: seed into it again.")
        return cls(f"{target} was kept with {kept:,} events, as far as the seed had come (it "
                   "may lack the end of the history); delete it and seed into a new file for a "
                   "whole one.")


def create_empty_store(path: str | Path, system: System, spec: str | None = None) -> str:
    """Make a new store holding no event, naming `system` (`spec`: as it was chosen), so that
    its commands fill it and opening it loads that system; its location. StoreError if a file
    is at the path already, or the server's schema holds events, before anything is written."""
    target = path if is_server_url(path) else Path(path)
    if isinstance(target, Path) and (target.exists() or target.is_symlink()):
        raise StoreError(f"{target} exists already; `create` makes a new store: choose a new "
                         "path (or open that one).")
    with open_store(target, system=system, create=True) as store:
        held = store.last_position()
        if held:
            raise StoreError(f"{store.location} already holds {held:,} events; `create` makes "
                             "a new store: choose a new schema (or open that one).")
        remember_system(store, system, spec)
        return store.location


def seed_new_store(path: str | Path, system: System, *, size: int | None = None,
                   seed: int = DEMO_SEED, days: int = DEMO_DAYS, recent: bool = True,
                   spec: str | None = None, progress: Callable[[int], None] | None = None,
                   should_stop: Callable[[], bool] | None = None) -> SeededStore:
    """Make a store at `path` (or fill an empty one) with the system's seeder: what the command
    line's `seed` and the window's File > New Demo Store both do. `progress(n)` counts in the
    seeder's unit; once `should_stop()` is true the seeder ends early, keeping what it made.

    CannotSeedError for a system without a seeder, and StoreError for a path that already holds
    events (a demo's ids would collide with them), both before anything is written. Interrupted
    (Ctrl+C), it raises SeedInterrupted saying what it left (a store it made holding no event
    yet is removed); stopped by a full disk, a DiskFullError saying the same."""
    if system.seeder is None:
        raise CannotSeedError(system)
    target = path if is_server_url(path) else Path(path)
    try:
        held_before = not isinstance(target, Path) or target.exists() and target.stat().st_size
    except OSError as error:  # a name too long, a folder in the path that is a file...
        raise StoreOpenError(f"Cannot make a store at {target}: {error.strerror}.") from None
    if held_before:
        try:
            with open_store(target, system=system, read_only=isinstance(target, Path),
                            create=not isinstance(target, Path)) as existing:
                held = existing.last_position()
        except StoreMissingError as error:
            if not error.empty:
                raise
            held = 0  # an SQLite file without tables (a seed killed as it began): fill it
        if held:
            raise StoreError(f"{target} already holds {held:,} events; seed a new or empty "
                             "store instead (choose a new file name or schema).")
    made_here = isinstance(target, Path) and not target.exists()
    try:
        with open_store(target, system=system, create=True) as store:
            report = seed_with(store, system, size=size, seed=seed, days=days, recent=recent,
                               spec=spec, progress=progress, should_stop=should_stop)
            return SeededStore(store.location, report, store.last_position())
    except KeyboardInterrupt:  # (Ctrl+C; the command line's SIGTERM and SIGHUP too)
        raise SeedInterrupted.after(target, system, made_here) from None
    except DiskFullError as error:  # (it said the store keeps what it held: a part of a history)
        if not isinstance(target, Path):
            raise
        left = SeedInterrupted.after(target, system, made_here)
        raise DiskFullError(
            f"The disk holding {target.parent} filled up as the seed wrote (SQLite: "
            f"{error.detail}): {left} Free some space there, or seed into a folder on another "
            "disk.", error.detail) from None


