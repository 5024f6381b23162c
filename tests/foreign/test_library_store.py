"""Opening the `eventsourcing` library's SQLite files: read-only, decoded, live, untouched."""

from __future__ import annotations

import hashlib
import itertools
import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest

from explorer.store import sqlite as sqlite_backend
from explorer.store.check import check_store
from explorer.store.errors import ReadOnlyStoreError
from explorer.store.event_store import EventStore
from explorer.store.foreign.library_store import READ_ONLY_REASON, LibraryStore
from explorer.store.foreign.transcoding import StateReader
from explorer.store.records import NewEvent
from tests.cli.running import run
from tests.foreign.bank import (
    NONCE_TOPIC,
    XOR_TOPIC,
    NonceCipher,
    bank,
    follow_bank,
    write_bank,
)

PREFIXED = {"APPLICATION_RECORDER_TOPIC": "tests.foreign.bank:PrefixedRecorder"}


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def side_files(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.iterdir() if p.name != path.name
                  and p.name.startswith(path.name))


@pytest.fixture
def bank_file(tmp_path: Path) -> Path:
    path = tmp_path / "bank.db"
    write_bank(path, accounts=2, credits=4, **PREFIXED)
    return path


def test_a_library_file_is_recognised_with_its_prefixed_tables(bank_file: Path) -> None:
    found = sqlite_backend.inspect(bank_file)
    assert found.kind == "eventsourcing"
    assert found.library is not None
    assert found.library.events_table == "bank_stored_events"
    assert found.library.snapshots_table == "stored_snapshots"


def test_events_show_as_the_store_shows_its_own(bank_file: Path) -> None:
    with EventStore.open(bank_file) as store, bank(bank_file, **PREFIXED) as app:
        assert isinstance(store, LibraryStore)
        assert store.read_only and store.read_only_reason == READ_ONLY_REASON
        events = list(store.read_all())
        assert [e.position for e in events] == list(range(1, 11))
        opened = events[0]
        account = app.repository.get(__import__("uuid").UUID(opened.stream_id))
        assert opened.stream_id == str(account.id)  # a UUID with dashes
        assert (opened.stream_type, opened.event_type, opened.version) == (
            "Account", "Opened", 1)
        assert opened.metadata["module"] == "tests.foreign.bank"
        assert opened.data["ref"] == str(account.ref)  # uuid_hex shown as a UUID
        assert opened.data["opened_on"] == "2024-01-02"
        assert opened.data["branch"] == {"_type_": "point_as_list", "_data_": [3, 4]}
        assert opened.timestamp == account.created_on
        credits = [e for e in events if e.stream_id == opened.stream_id][1:]
        assert [e.data for e in credits] == [{"amount": "1.10"}] * 4  # exact, as stored
        assert credits[-1].timestamp == account.modified_on
        assert sum(Decimal(e.data["amount"]) for e in credits) == account.balance
        streams = store.list_streams()
        assert sorted(s.stream_id for s in streams) == sorted(
            {e.stream_id for e in events})
        assert {s.version for s in streams} == {5}
        assert store.event_types() == ["Credited", "Opened"]
        assert [e.version for e in store.read_stream(opened.stream_id)] == [1, 2, 3, 4, 5]
        snapshot = store.latest_snapshot(opened.stream_id)
        assert snapshot is not None and snapshot.version == 3
        assert '"balance":"2.20"' in snapshot.state_json


def test_nothing_is_written_and_no_side_file_is_left(bank_file: Path) -> None:
    before = digest(bank_file)
    with EventStore.open(bank_file) as store:
        list(store.read_all())
        store.list_streams()
        with pytest.raises(ReadOnlyStoreError, match="eventsourcing library store"):
            store.append("x", "Account", [NewEvent("Opened", {})])
        with pytest.raises(sqlite3.DatabaseError, match="not authorized"):
            store._db.execute('DELETE FROM library."bank_stored_events"')
        with pytest.raises(sqlite3.DatabaseError, match="not authorized"):
            store._db.execute("PRAGMA journal_mode = DELETE")
    assert digest(bank_file) == before
    assert side_files(bank_file) == []


def test_a_compressed_file_is_decompressed(tmp_path: Path) -> None:
    path = tmp_path / "zipped.db"
    write_bank(path, accounts=1, credits=1,
               COMPRESSOR_TOPIC="eventsourcing.compressor:ZlibCompressor")
    with EventStore.open(path) as store:
        events = list(store.read_all())
    assert [e.data.get("amount") for e in events] == [None, "1.10"]
    assert events[0].data["owner"] == "owner0"
    assert {e.metadata["stored_as"] for e in events} == {"zlib"}


def test_an_encrypted_file_without_its_key_shows_its_rows_as_encrypted(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "secret.db"
    write_bank(path, accounts=1, credits=2, CIPHER_TOPIC=XOR_TOPIC, CIPHER_KEY="k3y")
    monkeypatch.delenv("CIPHER_KEY", raising=False)
    with EventStore.open(path) as store:
        events = list(store.read_all())
        assert [e.data for e in events] == [{"_stored_": "encrypted"}] * 3
        assert [e.event_type for e in events] == ["Opened", "Credited", "Credited"]
        assert [e.version for e in events] == [1, 2, 3]
        report = check_store(store)
    assert report.ok and any("encrypted" in note for note in report.notes)
    monkeypatch.setenv("CIPHER_TOPIC", XOR_TOPIC)
    monkeypatch.setenv("CIPHER_KEY", "k3y")  # the library's own variables give the key
    with EventStore.open(path) as store:
        assert [e.data.get("amount") for e in store.read_all()] == [None, "1.10", "1.10"]


def test_every_encrypted_state_is_read_with_its_key_whatever_byte_it_starts_with(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """AES-GCM's ciphertext starts with its random nonce: one in 256 starts with `{`, as JSON
    does, and one with the byte zlib starts with; each is decrypted, not taken for either."""
    path = tmp_path / "aes.db"
    with bank(path, CIPHER_TOPIC=NONCE_TOPIC, CIPHER_KEY="k3y",
              COMPRESSOR_TOPIC="eventsourcing.compressor:ZlibCompressor") as app:
        account_id = app.open_account("ann")
        for _ in range(29):
            app.credit(account_id, Decimal("0.01"))
        balance = app.repository.get(account_id).balance
        modified_on = app.repository.get(account_id).modified_on
    states = sqlite3.connect(path).execute("SELECT state FROM stored_events").fetchall()
    assert {state[:1] for (state,) in states} >= {b"{", b"x"}
    monkeypatch.setenv("CIPHER_TOPIC", NONCE_TOPIC)
    with EventStore.open(path, cipher_key="k3y") as store:
        events = list(store.read_all())
        assert {e.metadata["stored_as"] for e in events} == {"decrypted, zlib"}
        assert sum(Decimal(e.data["amount"]) for e in events[1:]) == balance
        assert all(e.timestamp.year > 2000 for e in events)
        assert store.stream_info(str(account_id)).last_timestamp == modified_on
        assert check_store(store).ok


def test_an_encrypted_state_starting_as_json_does_is_encrypted_without_the_key(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Found by a tester: read without its key, an AES store showed about one event in 256 as
    unreadable (its ciphertext's random nonce starting with `{`), and `check` said each was a
    problem. JSON written wrong is still unreadable: it is text, a ciphertext is not."""
    monkeypatch.setattr(NonceCipher, "nonces", itertools.cycle(b"{x\x07"))
    path = tmp_path / "aes.db"
    with bank(path, CIPHER_TOPIC=NONCE_TOPIC, CIPHER_KEY="k3y") as app:
        account_id = app.open_account("ann")
        for _ in range(5):
            app.credit(account_id, Decimal("0.01"))
    states = sqlite3.connect(path).execute("SELECT state FROM stored_events").fetchall()
    assert states[0][0][:1] == b"{" and sum(state[:1] == b"{" for (state,) in states) == 2
    monkeypatch.delenv("CIPHER_KEY", raising=False)
    with EventStore.open(path) as store:
        events = list(store.read_all())
        assert [e.data for e in events] == [{"_stored_": "encrypted"}] * 6
        assert {e.metadata["stored_as"] for e in events} == {"encrypted"}
        assert store.why_not_decrypted() == "no key was given"
        report = check_store(store)
    assert report.ok and "6 events are encrypted" in report.notes[-1], report.problems
    reader = StateReader(None)
    assert reader.data_json(b'{"timestamp": "2024-01-01", "owner": "ann", "cut') == (
        '{"_stored_":"unreadable"}')


def test_events_written_while_open_appear_live(tmp_path: Path) -> None:
    path = tmp_path / "live.db"
    with bank(path) as app:
        first = app.open_account("ann")
        with EventStore.open(path) as store:
            seen = store.data_version()
            assert store.last_position() == 1
            app.credit(first, Decimal("2.50"))
            second = app.open_account("bob")
            assert store.data_version() != seen
            assert store.last_position() == 3
            assert [s.version for s in store.list_streams()] in ([2, 1], [1, 2])
            assert store.stream_info(str(second)).version == 1
            assert store.read_page(2)[0].data == {"owner": "bob", "opened_on": "2024-01-02",
                                                   "ref": store.read_page(2)[0].data["ref"],
                                                   "branch": {"_type_": "point_as_list",
                                                              "_data_": [3, 4]}}
            assert store.read_stream(str(first))[-1].data == {"amount": "2.50"}
    assert side_files(path) == []


def test_check_says_what_the_file_is(bank_file: Path) -> None:
    with EventStore.open(bank_file) as store:
        report = check_store(store)
    assert report.ok and (report.events, report.streams) == (10, 2)
    assert "eventsourcing library" in report.notes[0] and "no hash chain" in report.notes[0]


def test_an_unknown_transcoding_and_a_bad_state_never_fail() -> None:
    reader = StateReader(None)
    assert reader.data_json(b'{"p":{"_type_":"money","_data_":{"c":"EUR"}},"n":1}') == (
        '{"p":{"_type_":"money","_data_":{"c":"EUR"}},"n":1}')
    assert reader.data_json(b'{"u":{"_type_":"uuid_hex","_data_":"nothex"}}') == (
        '{"u":{"_type_":"uuid_hex","_data_":"nothex"}}')
    assert reader.data_json(b"{\"cut\": ") == '{"_stored_":"unreadable"}'
    assert reader.timestamp_us(b'{"timestamp":{"_type_":"datetime_iso","_data_":"bad"}}') == 0


def test_a_second_store_on_the_file_starts_from_the_first_ones_index(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    with bank(path) as app:
        first = app.open_account("ann")
        with EventStore.open(path) as store:
            assert store.event_types() == ["Opened"]
            app.credit(first, Decimal("1.00"))
            second = app.open_account("bob")
            with EventStore.open(path) as another:
                assert another.event_count() == 3
                assert sorted(s.stream_id for s in another.list_streams()) == sorted(
                    [str(first), str(second)])
                assert another.stream_info(str(first)).version == 2
                assert another.event_types() == ["Credited", "Opened"]
            assert store.event_count() == 3


def test_tracking_rows_show_what_the_application_follows(tmp_path: Path, capsys) -> None:
    auditor = follow_bank(tmp_path, accounts=3)
    with EventStore.open(auditor) as store:
        assert isinstance(store, LibraryStore)
        assert store.followers() == [{"name": "Bank", "position": 3, "log": "bank.db",
                                      "lag": 0}]  # the Bank's file beside it: all followed
        assert store.followers(leader_last=5) == [{"name": "Bank", "position": 3, "log": None,
                                                   "lag": 2}]
    with bank(tmp_path / "bank.db") as app:
        app.open_account("late")  # the Bank moves on while its follower is stopped
    with EventStore.open(auditor) as store:
        assert store.followers()[0]["lag"] == 1
    (tmp_path / "bank.db").rename(tmp_path / "elsewhere.db")
    with EventStore.open(auditor) as store:
        assert store.followers() == [{"name": "Bank", "position": 3, "log": None, "lag": None}]
    code, out, _ = run(capsys, "summary", auditor)
    assert code == 0
    assert READ_ONLY_REASON in out and "Bank" in out.splitlines()[-1]
    code, out, _ = run(capsys, "check", tmp_path / "elsewhere.db")
    assert code == 0 and "eventsourcing library" in out and "no hash chain" in out


def test_stores_open_together_leave_no_side_file(bank_file: Path) -> None:
    """The window's workers each open a store on the file: the last to close cleans up."""
    before = digest(bank_file)
    first = EventStore.open(bank_file)
    second = EventStore.open(bank_file)  # the first one's -wal is there now: shared, not read-only
    assert len(list(second.read_all())) == 10
    first.close()
    second.close()
    assert digest(bank_file) == before
    assert side_files(bank_file) == []


def test_a_key_given_once_opens_the_file_in_every_later_store(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The window's --cipher-key: its workers open their own stores on the file, without it."""
    from explorer.store.foreign.library_store import remember_cipher_key

    path = tmp_path / "secret.db"
    write_bank(path, accounts=1, credits=1, CIPHER_TOPIC=XOR_TOPIC, CIPHER_KEY="k3y")
    monkeypatch.delenv("CIPHER_KEY", raising=False)
    monkeypatch.setenv("CIPHER_TOPIC", XOR_TOPIC)
    with EventStore.open(path) as store:
        assert [e.data for e in store.read_all()] == [{"_stored_": "encrypted"}] * 2
    remember_cipher_key(tmp_path / "." / "secret.db", "k3y")
    with EventStore.open(path) as store:
        assert [e.data.get("amount") for e in store.read_all()] == [None, "1.10"]
        assert store.cipher_key == "k3y"
