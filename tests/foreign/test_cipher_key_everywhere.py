"""--cipher-key decrypts for every subcommand that reads an `eventsourcing` library store: an
export or a copy made with it holds the events, not their ciphertext's marker."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from explorer.store.foreign import library_store
from tests.cli.running import run
from tests.foreign.bank import NONCE_TOPIC, XOR_TOPIC, write_bank


@pytest.fixture
def secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "secret.db"
    write_bank(path, accounts=1, credits=2, CIPHER_TOPIC=XOR_TOPIC, CIPHER_KEY="k3y")
    monkeypatch.delenv("CIPHER_KEY", raising=False)
    monkeypatch.setenv("CIPHER_TOPIC", XOR_TOPIC)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(library_store, "_cipher_keys", {})  # (a process of its own)
    monkeypatch.setattr(library_store, "_decrypting", set())
    return path


def test_export_with_the_key_writes_the_events(secret, tmp_path, capsys):
    out = tmp_path / "events.jsonl"
    code, _, err = run(capsys, "export", secret, out, "--cipher-key", "k3y")
    assert code == 0, err
    text = out.read_text()
    assert text.count('"amount":"1.10"') == 2 and "encrypted" not in text


def test_copy_with_the_key_copies_the_events(secret, tmp_path, capsys):
    target = tmp_path / "copy.evstore"
    code, _, err = run(capsys, "copy", secret, target, "--cipher-key", "k3y")
    assert code == 0, err
    code, out, err = run(capsys, "events", target, "--json")
    assert code == 0, err
    assert out.count('"amount":"1.10"') == 2 and "encrypted" not in out


def test_copy_without_the_key_is_refused_saying_why(secret, tmp_path, capsys):
    """A copy would hold none of the events' data nor their times, for good (the ciphertext is
    not copied): before, it said 'Copied 3 events'."""
    target = tmp_path / "copy.evstore"
    code, out, err = run(capsys, "copy", secret, target)
    assert code == 1 and "encrypted" in err and "--cipher-key" in err, err
    assert not target.exists()


def test_export_without_the_key_warns_that_the_events_are_encrypted(secret, tmp_path, capsys):
    out = tmp_path / "events.jsonl"
    code, _, err = run(capsys, "export", secret, out)
    assert code == 0 and "warning:" in err and "encrypted" in err and "--cipher-key" in err, err


def test_copy_with_a_key_that_does_not_decrypt_is_refused(secret, tmp_path, capsys):
    """A wrong key reads no event either (here its cipher makes bytes that are no JSON; AES
    fails to decrypt): before, 'Copied 3 events' of markers."""
    target = tmp_path / "copy.evstore"
    code, out, err = run(capsys, "copy", secret, target, "--cipher-key", "wrong")
    assert code == 1 and "the key given does not decrypt them" in err, (out, err)
    assert not target.exists()


def test_export_with_a_key_that_does_not_decrypt_warns_so(secret, tmp_path, capsys):
    out = tmp_path / "events.jsonl"
    code, _, err = run(capsys, "export", secret, out, "--cipher-key", "wrong")
    assert code == 0 and "the key given does not decrypt them" in err, err


def test_check_with_a_key_that_does_not_decrypt_says_so_once(tmp_path, monkeypatch, capsys):
    """Found by a tester: `check` with a wrong key listed each event ('the state of the event
    at position 1 cannot be read: encrypted (the key given does not decrypt it)', 1,501 of
    them in a store the library's AES wrote). A ciphertext damaged under the right key is still
    said of its own event."""
    path = tmp_path / "aes.db"
    write_bank(path, accounts=3, credits=10, CIPHER_TOPIC=NONCE_TOPIC, CIPHER_KEY="k3y")
    monkeypatch.delenv("CIPHER_KEY", raising=False)
    monkeypatch.setenv("CIPHER_TOPIC", NONCE_TOPIC)
    monkeypatch.setattr(library_store, "_cipher_keys", {})
    monkeypatch.setattr(library_store, "_decrypting", set())
    code, out, err = run(capsys, "check", path, "--cipher-key", "wrong")
    assert code == 1 and out.count("\n  key: ") == 1 and "unreadable" not in out, out
    assert "the key given does not decrypt the events: none of the 33 events could be read" in out
    assert out.rstrip().endswith("1 problem found."), out
    with sqlite3.connect(path) as db:  # (the tag of the event at position 5 no longer matches)
        db.execute("UPDATE stored_events SET state = substr(state, 1, 40) || x'00' || "
                   "substr(state, 42) WHERE rowid = 5")
    db.close()
    code, out, err = run(capsys, "check", path, "--cipher-key", "k3y")
    assert code == 1 and "event at position 5 cannot be read: encrypted (the key given does " \
                         "not decrypt it)" in out and "key:" not in out, out
    assert out.rstrip().endswith("1 problem found."), out
