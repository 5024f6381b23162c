"""Reading the `eventsourcing` library's stored states: decrypted, decompressed, transcoded.

The library's mapper stores an event's state as JSON made by its `JSONTranscoder`, optionally
zlib-compressed, then optionally encrypted (its `Cipher`, AES-GCM by default). Values of types
JSON has not are stored as `{"_type_": name, "_data_": encoded}`; the library itself registers
UUIDs (hex), decimals (as strings) and datetimes (ISO 8601), and applications add their own.

Here a state becomes JSON-ready values the explorer shows: a UUID with dashes, a decimal as the
exact string it is, a datetime or date as ISO text, and an unknown custom transcoding left as it
is stored, with its type name (never an error). An encrypted state without its key is shown as
what it is, not decoded. Nothing here imports the library: a user's file is read without it; only
decrypting with a key asks the library's cipher (the one its `CIPHER_TOPIC` names) to do it.
"""

from __future__ import annotations

import importlib
import os
import re
import zlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

import orjson

from explorer.common.timestamps import to_micros

CIPHER_KEY = "CIPHER_KEY"
CIPHER_TOPIC = "CIPHER_TOPIC"
DEFAULT_CIPHER_TOPIC = "eventsourcing.cipher:AESCipher"
"""The library's environment variables for its cipher, and the cipher it uses by default."""

ENCRYPTED = "encrypted"
UNREADABLE = "unreadable"
COLUMN_FIELDS = ("timestamp", "originator_topic")
"""Fields of the stored state that the explorer shows as columns or metadata, not as data."""


class Cipher(Protocol):
    def decrypt(self, ciphertext: bytes) -> bytes: ...


def load_cipher(key: str | None, environ: Mapping[str, str] = os.environ) -> Cipher | None:
    """The library's cipher for the key given (else the library's CIPHER_KEY variable), made as
    its CIPHER_TOPIC says (AES by default); None without a key. A cipher that cannot be made (the
    library or its crypto package missing, a bad key) raises ValueError saying what to do."""
    key = key or environ.get(CIPHER_KEY)
    if not key:
        return None
    topic = environ.get(CIPHER_TOPIC) or DEFAULT_CIPHER_TOPIC
    module_name, _, name = topic.partition(":")
    try:
        cipher_class = getattr(importlib.import_module(module_name), name)
        cipher: Cipher = cipher_class({CIPHER_KEY: key})
    except (ImportError, AttributeError) as error:
        raise ValueError(f"Cannot decrypt with the cipher {topic}: {error}. Install the "
                         "`eventsourcing` library with its crypto extra, or set CIPHER_TOPIC "
                         "to the cipher the application uses.") from None
    except (OSError, ValueError) as error:
        raise ValueError(f"The cipher key is not usable by {topic}: {error}. Give the key "
                         "the application uses (its CIPHER_KEY).") from None
    return cipher


def readable(value: Any) -> Any:
    """One transcoded value (as JSON decoding left it) as JSON-ready values to show."""
    if type(value) is dict:
        if len(value) == 2 and "_type_" in value and "_data_" in value:
            return _transcoded(value["_type_"], value["_data_"])
        return {key: readable(item) for key, item in value.items()}
    if type(value) is list:
        return [readable(item) for item in value]
    return value


def _transcoded(name: Any, data: Any) -> Any:
    try:
        if name == "uuid_hex":
            return str(UUID(hex=data))
        if name in ("decimal_str", "datetime_iso", "date_iso", "time_iso"):
            return str(data)  # already exact text: a decimal keeps every digit
    except (TypeError, ValueError, AttributeError):
        pass
    return {"_type_": name, "_data_": readable(data)}  # a custom transcoding, shown raw


class StateReader:
    """Turns stored states into the explorer's columns: the data as JSON text, the timestamp in
    microseconds, and what the row is (plain, compressed, encrypted). The last state read is
    kept, because one row's columns each ask for it in turn."""

    def __init__(self, cipher: Cipher | None) -> None:
        self.cipher = cipher
        self._last_state: bytes | None = None
        self._last: tuple[dict[str, Any], str] = ({}, UNREADABLE)

    def read(self, state: bytes | str | None) -> tuple[dict[str, Any], str]:
        """(the decoded state, how it was stored: "json", "zlib", "decrypted", "decrypted,
        zlib"; or {} and "encrypted" (no key), "unreadable", ...)."""
        if state is None:
            return {}, UNREADABLE
        raw = state.encode() if isinstance(state, str) else bytes(state)
        if raw == self._last_state:
            return self._last
        decoded = self._decode(raw)
        self._last_state, self._last = raw, decoded
        return decoded

    def _decode(self, raw: bytes) -> tuple[dict[str, Any], str]:
        if raw[:1] == b"{":
            value = _json_object(raw)
            if value is not None:
                return readable(value), "json"
            if self.cipher is None:
                return {}, ENCRYPTED if _may_be_ciphertext(raw) else UNREADABLE
            # else a ciphertext: AES-GCM's starts with a random nonce, `{` one time in 256
        how = "json"
        plain = _inflated(raw)
        if plain is not None:
            raw, how = plain, "zlib"
        elif self.cipher is None:
            return {}, ENCRYPTED
        else:
            try:
                raw = self.cipher.decrypt(raw)
            except Exception:  # noqa: BLE001 - any cipher's failure: a wrong key, a bad row
                return {}, "encrypted (the key given does not decrypt it)"
            how = "decrypted"
            plain = _inflated(raw) if raw[:1] != b"{" else None
            if plain is not None:
                raw, how = plain, "decrypted, zlib"
        value = _json_object(raw)
        if value is None:
            return {}, UNREADABLE
        return readable(value), how

    def data_json(self, state: bytes | str | None) -> str:
        """The event's data as our JSON text (its state without the column fields); a row that
        cannot be read gives a JSON object saying why, so readers show it and carry on."""
        decoded, how = self.read(state)
        if how in (ENCRYPTED, UNREADABLE) or how.startswith(ENCRYPTED + " ("):
            return orjson.dumps({"_stored_": how}).decode()
        return orjson.dumps({k: v for k, v in decoded.items()
                             if k not in COLUMN_FIELDS}).decode()

    def snapshot_json(self, state: bytes | str | None) -> str:
        """A snapshot's aggregate state as our JSON text (the library keeps it under "state",
        beside the aggregate's topic)."""
        decoded, _ = self.read(state)
        inner = decoded.get("state")
        return orjson.dumps(inner).decode() if isinstance(inner, dict) else self.data_json(state)

    def timestamp_us(self, state: bytes | str | None) -> int:
        """When the event happened (its `timestamp`), in microseconds; 0 when it cannot be read.
        A plain state's other fields are not made readable for it (indexing the streams reads
        the timestamps of ten thousand states on a million events)."""
        raw = state.encode() if isinstance(state, str) else state
        value = (_json_object(raw) if raw is not None and raw[:1] == b"{"
                 and raw != self._last_state else None)
        if value is not None:
            found = value.get("timestamp")
            stamp = readable(found) if found is not None else None
        else:  # compressed, encrypted (a ciphertext may start with `{` too) or unreadable
            stamp = self.read(state)[0].get("timestamp")
        if not isinstance(stamp, str):
            return 0
        try:
            return to_micros(datetime.fromisoformat(stamp))
        except ValueError:
            return 0

    def metadata_json(self, topic: str | bytes | None, state: bytes | str | None) -> str:
        """What the explorer shows beside the data: the topic, its module, how it was stored."""
        decoded, how = self.read(state)
        topic = _text(topic) if topic is not None else None
        module, _, _ = (topic or "").partition(":")
        meta: dict[str, Any] = {"topic": topic, "module": module, "stored_as": how}
        if "originator_topic" in decoded:
            meta["originator_topic"] = decoded["originator_topic"]
        return orjson.dumps(meta).decode()


def _json_object(raw: bytes) -> dict[str, Any] | None:
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    return value if type(value) is dict else None


AES_GCM_OVERHEAD = 28
"""The bytes the library's AES cipher puts before the encrypted state: its nonce and tag."""


def _may_be_ciphertext(raw: bytes) -> bool:
    """Whether a state that starts with `{` but is no JSON object may be a ciphertext (AES-GCM's
    starts with a random nonce, `{` one time in 256), read without a key: longer than the
    cipher's nonce and tag, and not text. JSON written wrong (cut short, say) is UTF-8 text; the
    random bytes of a ciphertext are not (but about once in ten million at its shortest, and
    never at the length of a state: its bytes past 127 do not follow UTF-8's rules)."""
    if len(raw) <= AES_GCM_OVERHEAD:
        return False
    try:
        raw.decode()
    except UnicodeDecodeError:
        return True
    return False


def _inflated(raw: bytes) -> bytes | None:
    if raw[:1] != b"\x78":  # every zlib stream starts with this byte (deflate, 32 KB window)
        return None
    try:
        return zlib.decompress(raw)
    except zlib.error:
        return None


def _text(value: str | bytes | int | float | None) -> str:
    """A stored id or topic as text, whatever SQLite holds it as (a BLOB decoded: one that is
    not UTF-8 raises, and is damage; see damage.FUNCTION_FAILED)."""
    if isinstance(value, bytes):
        return value.decode()
    return "" if value is None else str(value)


def stream_type_of(topic: str | bytes | None) -> str:
    """`pkg.mod:Account.Credited` -> `Account` (the aggregate class the event is nested in)."""
    qualname = _text(topic).rpartition(":")[2]
    owner, _, _ = qualname.rpartition(".")
    return owner.rpartition(".")[2] or qualname or "?"


def event_type_of(topic: str | bytes | None) -> str:
    """`pkg.mod:Account.Credited` -> `Credited`."""
    return _text(topic).rpartition(":")[2].rpartition(".")[2] or "?"


_HEX_UUID = re.compile("[0-9a-fA-F]{32}")


def stream_id_of(originator_id: str | bytes | None) -> str:
    """A UUID stored as 32 hex digits shown with its dashes (in lower case, as UUID shows it);
    any other id as it is."""
    text = _text(originator_id)
    if len(text) == 32 and _HEX_UUID.fullmatch(text):
        text = text.lower()
        return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"
    return text
