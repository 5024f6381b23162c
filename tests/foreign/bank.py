"""A small `eventsourcing` application, written with the library's own code, whose SQLite files
the foreign-store tests open: accounts with UUID, Decimal, date and datetime state, snapshots,
a custom transcoding, a log under a prefixed table name, and a cipher for encrypted files."""

from __future__ import annotations

import hashlib
import itertools
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from functools import singledispatchmethod
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import Cipher, JSONTranscoder, Transcoding
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteDatastore
from eventsourcing.system import ProcessApplication, SingleThreadedRunner, System


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class Point:
    def __init__(self, x: int, y: int) -> None:
        self.x, self.y = x, y


class PointAsList(Transcoding):
    """A custom transcoding the explorer does not know: shown raw, with its name."""

    type = Point
    name = "point_as_list"

    def encode(self, obj: Point) -> list[int]:
        return [obj.x, obj.y]

    def decode(self, data: list[int]) -> Point:
        return Point(*data)


class Account(Aggregate):
    @event("Opened")
    def __init__(self, owner: str, opened_on: date, ref: UUID, branch: Point) -> None:
        self.owner = owner
        self.opened_on = opened_on
        self.ref = ref
        self.branch = branch
        self.balance = Decimal("0.00")

    @event("Credited")
    def credit(self, amount: Decimal) -> None:
        self.balance += amount


class Bank(Application):
    snapshotting_intervals = {Account: 3}  # noqa: RUF012 - the library's class attribute

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())
        transcoder.register(PointAsList())

    def open_account(self, owner: str) -> UUID:
        account = Account(owner, date(2024, 1, 2), uuid4(), Point(3, 4))
        self.save(account)
        return account.id

    def credit(self, account_id: UUID, amount: Decimal) -> None:
        account: Account = self.repository.get(account_id)
        account.credit(amount)
        self.save(account)


class PrefixedRecorder(SQLiteApplicationRecorder):
    """The application's log under a name of its own, as an application may choose."""

    def __init__(self, datastore: SQLiteDatastore,
                 events_table_name: str = "bank_stored_events") -> None:
        super().__init__(datastore, events_table_name)


class XorCipher(Cipher):
    """A stand-in for the library's AES cipher (whose crypto package is not installed here):
    it makes the stored states unreadable without CIPHER_KEY, as a real cipher does."""

    def __init__(self, environment: Any) -> None:
        self.key = environment.get("CIPHER_KEY").encode()

    def encrypt(self, plaintext: bytes) -> bytes:
        return b"\x00" + bytes(b ^ self.key[i % len(self.key)] for i, b in enumerate(plaintext))

    def decrypt(self, ciphertext: bytes) -> bytes:
        if ciphertext[:1] != b"\x00":
            raise ValueError("not encrypted by this cipher")
        return bytes(b ^ self.key[i % len(self.key)] for i, b in enumerate(ciphertext[1:]))


XOR_TOPIC = f"{__name__}:XorCipher"


class NonceCipher(XorCipher):
    """Like the library's AES-GCM cipher: a ciphertext is a random 12-byte nonce, a 16-byte tag
    and random-looking bytes (here the state XORed with a SHA-256 key stream), and a wrong key
    fails the tag. Its nonce's first byte is, in turn, the byte JSON starts with (`{`), the one
    zlib's output does (`x`), another."""

    nonces = itertools.cycle(b"{x\x07")

    def encrypt(self, plaintext: bytes) -> bytes:
        nonce = bytes([next(self.nonces)]) + os.urandom(11)
        return nonce + self._tag(nonce, plaintext) + self._xor(nonce, plaintext)

    def decrypt(self, ciphertext: bytes) -> bytes:
        nonce, tag, encrypted = ciphertext[:12], ciphertext[12:28], ciphertext[28:]
        plaintext = self._xor(nonce, encrypted)
        if len(tag) != 16 or tag != self._tag(nonce, plaintext):
            raise ValueError("Cipher text is damaged: MAC check failed")
        return plaintext

    def _tag(self, nonce: bytes, plaintext: bytes) -> bytes:
        return hashlib.sha256(b"tag" + self.key + nonce + plaintext).digest()[:16]

    def _xor(self, nonce: bytes, data: bytes) -> bytes:
        stream = b"".join(hashlib.sha256(self.key + nonce + n.to_bytes(8, "big")).digest()
                          for n in range(len(data) // 32 + 1))
        return bytes(a ^ b for a, b in zip(data, stream, strict=False))


NONCE_TOPIC = f"{__name__}:NonceCipher"


@contextmanager
def bank(path: Path, **settings: str) -> Iterator[Bank]:
    """The Bank application on the SQLite file at `path`, with the library's settings given."""
    env = {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(path), **settings}
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    try:
        app = Bank()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    try:
        yield app
    finally:
        app.close()


def write_bank(path: Path, accounts: int = 2, credits: int = 4, **settings: str) -> list[UUID]:
    """A file written by the Bank: `accounts` accounts with `credits` credits of 1.10 each."""
    with bank(path, **settings) as app:
        ids = [app.open_account(f"owner{n}") for n in range(accounts)]
        for _ in range(credits):
            for account_id in ids:
                app.credit(account_id, Decimal("1.10"))
    return ids


class Auditor(ProcessApplication):
    """A process application following the Bank: its file holds `tracking` rows."""

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())
        transcoder.register(PointAsList())

    @singledispatchmethod
    def policy(self, domain_event: Any, processing_event: Any) -> None:
        """Follows every event; records nothing of its own."""


def follow_bank(folder: Path, accounts: int = 2) -> Path:
    """Run the Bank with an Auditor following it (the library's System and runner); the path of
    the Auditor's file, which tracks how far it followed the Bank."""
    env = {"PERSISTENCE_MODULE": "eventsourcing.sqlite",
           "BANK_SQLITE_DBNAME": str(folder / "bank.db"),
           "AUDITOR_SQLITE_DBNAME": str(folder / "auditor.db")}
    runner = SingleThreadedRunner(System(pipes=[[Bank, Auditor]]), env=env)
    runner.start()
    try:
        app = runner.get(Bank)
        for n in range(accounts):
            app.open_account(f"owner{n}")
    finally:
        runner.stop()
    return folder / "auditor.db"
