"""The hash chain over the log: what makes an edited, removed or inserted event evident.

Each event's link is a hash of its stored row (every column, as stored) and the link of the event
before it. The append writes the links of its events in its own transaction, so the chain always
covers the whole log; `check` recomputes it and names the first position where it breaks. A change
to any stored event changes its link and breaks the chain there. (Whoever can rewrite the file can
also recompute the chain; it proves that nothing changed by accident or by a casual edit, not
against someone set on forging the log.)

BLAKE2b with a 16-byte digest: fast in CPython, and 128 bits is ample to tell rows apart.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import orjson

GENESIS = b""
"""The link before the first event."""
DIGEST_SIZE = 16


def link(previous: bytes, row: Sequence[Any]) -> bytes:
    """The link of a stored row (its columns in EVENT_COLUMNS order) after `previous`."""
    return hashlib.blake2b(previous + orjson.dumps(row), digest_size=DIGEST_SIZE).digest()


def links(previous: bytes, rows: Iterable[Sequence[Any]]) -> list[tuple[int, bytes]]:
    """(position, link) for consecutive rows following the row whose link is `previous`."""
    found = []
    blake2b = hashlib.blake2b
    dumps = orjson.dumps
    for row in rows:
        previous = blake2b(previous + dumps(row), digest_size=DIGEST_SIZE).digest()
        found.append((row[0], previous))
    return found


def breaks(pages: Iterable[Sequence[Sequence[Any]]]) -> Iterator[tuple[int, bool]]:
    """Where the chain does not hold, over stored rows from the first (each with its link last,
    None when it has none), a page at a time: (position, True) where a link does not match its
    row, (position, False) where a row has no link. After a mismatch the stored link is
    followed, so that each later break is another change."""
    previous = GENESIS
    for page in pages:
        for row in page:
            stored = row[-1]
            try:
                expected = link(previous, row[:-1])
            except TypeError:  # a value no append could have stored (a BLOB, bad text)
                expected = None
            if stored is None:
                yield row[0], False
                previous = expected or b""
            elif stored != expected:
                yield row[0], True
                previous = stored
            else:
                previous = expected
