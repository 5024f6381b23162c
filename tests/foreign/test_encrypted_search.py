"""Searching an encrypted `eventsourcing` library store: the words of its decrypted events are
never written to the cache folder, and a search without the key never hides them from one with
it (nor shows them to one without)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from explorer.store.foreign import library_store
from tests.cli.running import run
from tests.foreign.bank import XOR_TOPIC, write_bank


def another_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """As if the next command ran in a process of its own: no key remembered from this one."""
    monkeypatch.setattr(library_store, "_cipher_keys", {})
    monkeypatch.setattr(library_store, "_decrypting", set())


def cached_words(cache: Path) -> set[str]:
    """Every word the full-text indexes in the cache folder hold."""
    words: set[str] = set()
    for index in cache.rglob("*.fulltext"):
        db = sqlite3.connect(index)
        tables = [name for (name,) in db.execute(
            "SELECT name FROM sqlite_master WHERE sql LIKE 'CREATE VIRTUAL TABLE%'")]
        for table in tables:
            db.execute(f"CREATE VIRTUAL TABLE temp.v_{table} USING fts5vocab(main, {table}, row)")
            words.update(term for (term,) in db.execute(f"SELECT term FROM temp.v_{table}"))
        db.close()
    return words


@pytest.fixture
def secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "secret.db"
    write_bank(path, accounts=2, credits=1, CIPHER_TOPIC=XOR_TOPIC, CIPHER_KEY="k3y")
    monkeypatch.delenv("CIPHER_KEY", raising=False)
    monkeypatch.setenv("CIPHER_TOPIC", XOR_TOPIC)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return path


def test_a_search_with_the_key_writes_no_decrypted_word_to_the_cache(secret, tmp_path, capsys,
                                                                     monkeypatch):
    another_process(monkeypatch)
    code, out, err = run(capsys, "events", secret, "--search", "owner1", "--cipher-key", "k3y")
    assert code == 0, err
    assert len(out.splitlines()) == 2  # the heading and owner1's Opened
    assert not {"owner0", "owner1", "1.10"} & cached_words(tmp_path / "cache")
    another_process(monkeypatch)
    code, out, err = run(capsys, "events", secret, "--search", "owner1")  # without the key
    assert code == 0 and len(out.splitlines()) == 1, out  # the heading alone


def test_a_search_without_the_key_first_leaves_the_key_s_search_whole(secret, capsys,
                                                                      monkeypatch):
    another_process(monkeypatch)
    code, out, _ = run(capsys, "events", secret, "--search", "owner1")
    assert code == 0 and len(out.splitlines()) == 1, out
    another_process(monkeypatch)
    code, out, err = run(capsys, "events", secret, "--search", "owner1", "--cipher-key", "k3y")
    assert code == 0, err
    assert len(out.splitlines()) == 2 and "owner1" in out, out
