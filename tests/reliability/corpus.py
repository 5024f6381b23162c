"""A corpus of damaged stores and files that are not stores, made from one small seeded store.

Used by the reliability tests (every subcommand on every file) and by `bench/run.py soak`.
Each case is a folder holding the file under test (and what belongs beside it), so that a run
can be checked to leave its folder exactly as it was.
"""

from __future__ import annotations

import hashlib
import random
import shutil
import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

from explorer.demo.seed import seed_store
from explorer.demo.system import SHOP
from explorer.system.workspace import open_store

PAGE = 4096
STORE_NAME = "shop.evstore"


def seeded_store(path: Path, orders: int = 40) -> Path:
    """A small demo store with everything in its main file (no side files)."""
    with open_store(path, system=SHOP, create=True) as store:
        seed_store(store, orders=orders, seed=5)
    with closing(sqlite3.connect(path)) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


def _rewrite(path: Path, change: Callable[[bytearray], None]) -> None:
    data = bytearray(path.read_bytes())
    change(data)
    path.write_bytes(bytes(data))


def _flip(offset: int, count: int) -> Callable[[bytearray], None]:
    def change(data: bytearray) -> None:
        for index in range(offset, min(offset + count, len(data))):
            data[index] ^= 0xFF
    return change


def _zero_page(number: int) -> Callable[[bytearray], None]:
    def change(data: bytearray) -> None:
        start = (number - 1) * PAGE
        data[start:start + PAGE] = bytes(len(data[start:start + PAGE]))
    return change


def _random_pages(seed: int, count: int) -> Callable[[bytearray], None]:
    def change(data: bytearray) -> None:
        rng = random.Random(seed)
        pages = len(data) // PAGE
        for number in rng.sample(range(2, pages + 1), min(count, pages - 1)):
            start = (number - 1) * PAGE
            data[start:start + PAGE] = rng.randbytes(PAGE)
    return change


def _middle_page_flip(data: bytearray) -> None:
    _flip(len(data) // 2, 64)(data)


def _garble_text(needle: bytes) -> Callable[[bytearray], None]:
    """Turn the first stored text containing `needle` into bytes that are not UTF-8: damage
    inside one event's row, which leaves SQLite's own structures whole."""
    def change(data: bytearray) -> None:
        start = data.find(needle)
        data[start:start + len(needle)] = b"\xff" * len(needle)
    return change


def _page_header_flipped(data: bytearray) -> None:
    """The header of a page in the middle (its type, cell count and pointers) made nonsense."""
    start = (len(data) // PAGE // 2) * PAGE
    _flip(start, 12)(data)


def _truncated(keep: Callable[[int], int]) -> Callable[[Path, Path], None]:
    def make(good: Path, path: Path) -> None:
        data = good.read_bytes()
        path.write_bytes(data[:keep(len(data))])
    return make


DAMAGES: dict[str, Callable[[bytearray], None]] = {
    "middle-64-bytes-flipped": _middle_page_flip,
    "page-2-zeroed": _zero_page(2),
    "page-3-zeroed": _zero_page(3),
    "header-garbage": _flip(16, 84),
    "schema-cells-flipped": _flip(PAGE - 400, 300),  # sqlite_master's rows end page 1
    "middle-page-header-flipped": _page_header_flipped,
    "event-text-garbled": _garble_text(b'"carrier"'),
    "last-page-zeroed": lambda data: _zero_page(len(data) // PAGE)(data),
    "random-pages-a": _random_pages(1, 3),
    "random-pages-b": _random_pages(2, 8),
    "every-tenth-page-flipped": lambda data: [
        _flip(start + 100, 16)(data) for start in range(PAGE, len(data), 10 * PAGE)],
}
"""Damage done to a copy of a good store, in place."""


def structure_whole(path: Path) -> bool:
    """Whether SQLite's own check finds the file's structures whole (the damage, if any, is then
    inside rows: readers that never touch them read the rest; any write, and any read of a
    damaged row, is refused). Where 64 flipped bytes land depends on the store's layout."""
    with closing(sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)) as db:
        try:
            return db.execute("PRAGMA quick_check").fetchall() == [("ok",)]
        except sqlite3.DatabaseError:
            return False


def _foreign_sqlite(path: Path) -> None:
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
        db.execute("INSERT INTO customers (name) VALUES ('Ada')")


def _foreign_wal_sqlite(path: Path) -> None:
    with closing(sqlite3.connect(path)) as db:
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
        db.commit()


def _newer_marker(statement: str) -> Callable[[Path, Path], None]:
    def make(good: Path, path: Path) -> None:
        shutil.copyfile(good, path)
        with closing(sqlite3.connect(path)) as db, db:
            db.execute(statement)
        with closing(sqlite3.connect(path)) as db:
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return make


def _orphan_wal(good: Path, path: Path) -> None:
    """A store's log left without its store (the store file was moved away)."""
    with closing(sqlite3.connect(good)) as holder:  # keep the WAL: hold it open while copying
        holder.execute("PRAGMA wal_autocheckpoint = 0")
        holder.execute("INSERT OR REPLACE INTO store_meta VALUES ('note', 'in the log')")
        holder.commit()
        shutil.copyfile(f"{good}-wal", f"{path}-wal")


def _wal_given_as_store(good: Path, path: Path) -> None:
    """The user picked the log beside a store instead of the store."""
    store = path.with_name(path.name[:-len("-wal")])
    shutil.copyfile(good, store)
    _orphan_wal(good, store)


FOREIGN: dict[str, Callable[[Path], None]] = {
    "png-image": lambda path: path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100)),
    "json-text": lambda path: path.write_text('{"orders": []}\n'),
    "other-program-sqlite": _foreign_sqlite,
    "other-program-wal-sqlite": _foreign_wal_sqlite,
    "sqlite-magic-then-garbage": lambda path: path.write_bytes(
        b"SQLite format 3\x00" + random.Random(3).randbytes(8000)),
}
"""Files that are not stores, made from nothing."""

DERIVED: dict[str, Callable[[Path, Path], None]] = {
    "truncated-to-one-page": _truncated(lambda size: PAGE),
    "truncated-to-half": _truncated(lambda size: size // 2),
    "newer-user-version": _newer_marker("PRAGMA user_version = 99"),
    "newer-store-meta": _newer_marker(
        "UPDATE store_meta SET value = '99' WHERE key = 'schema_version'"),
    "orphan-wal": _orphan_wal,
}
"""Cases made from the good store: (good store, path of the case)."""


def build_corpus(folder: Path) -> dict[str, Path]:
    """Make every case in its own folder under `folder`; the path to give each subcommand."""
    (folder / "good").mkdir(parents=True)
    good = seeded_store(folder / "good" / STORE_NAME)
    cases: dict[str, Path] = {}

    def place(name: str, file_name: str = STORE_NAME) -> Path:
        case = folder / name
        case.mkdir()
        cases[name] = case / file_name
        return cases[name]

    for name, damage in DAMAGES.items():
        path = place(name)
        shutil.copyfile(good, path)
        _rewrite(path, damage)
    for name, make in FOREIGN.items():
        make(place(name))
    for name, derive in DERIVED.items():
        derive(good, place(name))
    _wal_given_as_store(good, place("wal-given-as-store", STORE_NAME + "-wal"))
    place("a-folder", "folder.evstore").mkdir()
    return cases


def fingerprint(folder: Path) -> dict[str, str]:
    """Every entry under `folder` with a hash of its content (folders marked as such)."""
    found = {}
    for entry in sorted(folder.rglob("*")):
        key = str(entry.relative_to(folder))
        found[key] = "folder" if entry.is_dir() else hashlib.sha256(entry.read_bytes()).hexdigest()
    return found
