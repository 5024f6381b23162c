"""The hash chain over the log: what makes an edited, removed or inserted event evident.

Each event's link is a hash of its stored row (every column, as stored) and the link of the event
before it. The append writes the links of its events in its own transaction, so the chain always
covers the whole log; `check` recomputes it and names the first position where it breaks. A change
to any stored event changes its link and breaks the chain there. (Whoever can rewrite the file can
also recompute the chain; it proves that nothing changed by accident or by a casual edit, not
against someone set on forging the log.)

BLAKE2b with a 16-byte digest: fast in CPython, and 128 bits is ample to tell rows apart. An
append keeps its events' links as one run (`event_hashes` row: the first position, then 16 bytes
an event), so that a batch of a thousand events costs one row, not a thousand.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import orjson

GENESIS = b""
"""The link before the first event."""
DIGEST_SIZE = 16


def continued_from(position: int, chain_end: int | None, last_link: bytes | None) -> bytes | None:
    """The link an append goes on from: the chain's last, when it reaches the newest event
    (`position`); the first link for an empty log; None while the chain does not reach it (a
    store from before the chain, being linked by whoever opened it for writing: that linking
    takes in these events too)."""
    if not position:
        return GENESIS
    return last_link if chain_end == position else None


def link(previous: bytes, row: Sequence[Any]) -> bytes:
    """The link of a stored row (its columns in EVENT_COLUMNS order) after `previous`."""
    return hashlib.blake2b(previous + orjson.dumps(row), digest_size=DIGEST_SIZE).digest()


def links(previous: bytes, rows: Iterable[Sequence[Any]]) -> bytes:
    """The links of consecutive rows following the row whose link is `previous`, as one run
    (16 bytes a row, in order): each one `link`'s, a fifth less CPU for a long run."""
    found = bytearray()
    start = hashlib.blake2b(digest_size=DIGEST_SIZE)  # copied: no arguments read a row
    dumps = orjson.dumps
    for row in rows:
        digest = start.copy()
        digest.update(previous)
        digest.update(dumps(row))
        previous = digest.digest()
        found += previous
    return bytes(found)


def run_end(first: int, run: bytes) -> int:
    """The last position a run of links starting at `first` covers."""
    return first + len(run) // DIGEST_SIZE - 1


class LinkRuns:
    """The links of stored runs, read in position order as rows ask for them."""

    def __init__(self, runs: Iterator[tuple[int, bytes]]) -> None:
        self._runs = iter(runs)
        self._first: int | None
        self._first, self._run = next(self._runs, (None, b""))

    def link_at(self, position: int) -> bytes | None:
        """The link of the event at `position` (asked in ascending order), or None."""
        while self._first is not None and run_end(self._first, self._run) < position:
            self._first, self._run = next(self._runs, (None, b""))
        if self._first is None or self._first > position:
            return None
        offset = (position - self._first) * DIGEST_SIZE
        return self._run[offset:offset + DIGEST_SIZE]


def with_links(rows: Sequence[Sequence[Any]], runs: LinkRuns) -> list[tuple[Any, ...]]:
    """Each row with its link (None where no run covers it) appended."""
    return [(*row, runs.link_at(row[0])) for row in rows]


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
            else:
                if stored != expected:
                    yield row[0], True  # the stored link is followed from here
                previous = stored
