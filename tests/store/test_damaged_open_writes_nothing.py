"""A damaged store asked for writing is refused before anything is written to it: not its
journal mode, not a table its schema lacks, not a link of the chain, not a side file; in either
journal mode. (Reading it for the check needs no write: the check comes first.)"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest

from explorer.store import damage, schema
from explorer.store.errors import NotAStoreError, StoreDamagedError
from explorer.store.event_store import EventStore
from tests.reliability.corpus import DAMAGES, _rewrite, fingerprint, seeded_store


def _around_the_store(statements: str) -> Callable[[Path], None]:
    """Change rows as a program that ignores the store's triggers would (dropped, then put
    back as they were)."""
    def change(path: Path) -> None:
        with closing(sqlite3.connect(path)) as db:
            triggers = db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"
                                  ).fetchall()
            db.executescript("".join(f"DROP TRIGGER {name};" for name, _ in triggers)
                             + statements + "".join(f"{sql};" for _, sql in triggers))
    return change


def _before_the_chain(statements: str) -> Callable[[Path], None]:
    """A store as version 1 wrote it (no chain), its rows then changed around it."""
    def change(path: Path) -> None:
        with closing(sqlite3.connect(path)) as db:
            db.executescript("DROP TABLE event_hashes; PRAGMA user_version = 1; UPDATE "
                             "store_meta SET value = '1' WHERE key = 'schema_version';"
                             "DELETE FROM store_meta WHERE key = 'hash_chain';")
        _around_the_store(statements)(path)
    return change


BAD_TEXT = "CAST(X'7B22FF223A317D' AS TEXT)"  # {"\xff":1}: not UTF-8
ROW_DAMAGES: dict[str, Callable[[Path], None]] = {
    "data-changed": _around_the_store(
        "UPDATE events SET data = '{\"quantity\": 9999}' WHERE position = 1;"
        "UPDATE events SET data = 'not json {' WHERE position = 50;"),
    "row-deleted": _around_the_store("DELETE FROM events WHERE position = 10;"),
    "last-row-deleted": _around_the_store(
        "DELETE FROM events WHERE position = (SELECT max(position) FROM events);"),
    "links-zeroed": _around_the_store("UPDATE event_hashes SET links = zeroblob(length(links));"),
    "metadata-not-utf8": _around_the_store(
        f"UPDATE events SET metadata = {BAD_TEXT} WHERE position = 5;"),
    "before-the-chain-not-utf8": _before_the_chain(
        f"UPDATE events SET data = {BAD_TEXT} WHERE position = 7;"),
}
def _in_place(change: Callable[[bytearray], None]) -> Callable[[Path], None]:
    return lambda path: _rewrite(path, change)


CASES = {**{name: _in_place(change) for name, change in DAMAGES.items()}, **ROW_DAMAGES}


@pytest.fixture(scope="module")
def good_store(tmp_path_factory) -> Path:
    return seeded_store(tmp_path_factory.mktemp("good") / "shop.evstore", orders=20)


@pytest.fixture(autouse=True)
def fresh_process(monkeypatch):
    """As in a process of its own: no damage seen, no store verified yet."""
    monkeypatch.setattr(damage, "_damaged", {})
    monkeypatch.setattr(damage, "_verified", set())


def damaged_copy(good: Path, folder: Path, journal_mode: str, case: str) -> Path:
    path = folder / "shop.evstore"
    shutil.copyfile(good, path)
    with closing(sqlite3.connect(path)) as db:
        db.execute(f"PRAGMA journal_mode = {journal_mode}")
    CASES[case](path)
    assert sorted(entry.name for entry in folder.iterdir()) == ["shop.evstore"]
    return path


@pytest.mark.parametrize("journal_mode", ["wal", "delete"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_a_refused_open_for_writing_writes_nothing(good_store, tmp_path, journal_mode, case):
    path = damaged_copy(good_store, tmp_path, journal_mode, case)
    before = fingerprint(tmp_path)
    with pytest.raises((StoreDamagedError, NotAStoreError)) as refused:
        EventStore.open(path).close()
    assert fingerprint(tmp_path) == before, str(refused.value)
    with pytest.raises((StoreDamagedError, NotAStoreError)):  # and again: still refused
        EventStore.open(path).close()
    assert fingerprint(tmp_path) == before


def test_the_refusal_names_the_event_changed(good_store, tmp_path):
    path = damaged_copy(good_store, tmp_path, "delete", "data-changed")
    with pytest.raises(StoreDamagedError, match="position 1 is not as it was written"):
        EventStore.open(path)


def test_events_removed_from_the_end_are_named(good_store, tmp_path):
    path = damaged_copy(good_store, tmp_path, "wal", "last-row-deleted")
    with pytest.raises(StoreDamagedError, match="the events after it were removed"):
        EventStore.open(path)


def test_a_sound_store_in_either_mode_still_opens_and_is_upgraded(good_store, tmp_path):
    path = tmp_path / "shop.evstore"
    shutil.copyfile(good_store, path)
    _before_the_chain("")(path)
    with closing(sqlite3.connect(path)) as db:
        db.execute("PRAGMA journal_mode = delete")
    with EventStore.open(path) as store:
        assert store.chain_end() == store.last_position() > 0
    with closing(sqlite3.connect(path)) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION
