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

A store on a server links its events from some position on in a second form, one its server can
compute (`ChainForm`): the writer hashes what it chose of each event (`contents`), and the
server, holding the log's lock, gives the event its position, version and timestamp and links
it, with SHA-256, which PostgreSQL has built in (BLAKE2b it has not). So an append need not know
the log's end before it sends (explorer.store.postgres_append).
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable, Iterable, Iterator, Sequence
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


SERVER_LINKS_KEY = "server_links_from"
"""store_meta's entry for the first position linked in the server's form (ChainForm)."""
_PLACE = struct.Struct(">qqq")
"""Where the server put an event (position, version, timestamp), as PostgreSQL's int8send
writes each: 8 bytes, big-endian."""


def content(row: Sequence[Any]) -> bytes:
    """The digest of what a writer chose of a stored row (EVENT_COLUMNS order): every column
    but the position, version and timestamp, which a server-made link hashes itself."""
    return hashlib.blake2b(orjson.dumps((row[1], row[2], row[4], row[5], row[6], row[8],
                                         row[9], row[10])), digest_size=DIGEST_SIZE).digest()


def contents(stream_id: str, stream_type: str, events: Iterable[Sequence[Any]]) -> bytes:
    """`content`'s digests, as one run, of events to append to a stream, each given as
    (event_id, event_type, schema_version, timestamp, correlation_id, data, metadata, ...)."""
    found = bytearray()
    dumps, start = orjson.dumps, hashlib.blake2b(digest_size=DIGEST_SIZE)
    for event_id, event_type, schema_version, _, correlation_id, data, metadata, *_ in events:
        digest = start.copy()  # (copied: no arguments read an event)
        digest.update(dumps((stream_id, stream_type, event_id, event_type, schema_version,
                             correlation_id, data, metadata)))
        found += digest.digest()
    return bytes(found)


def server_link(previous: bytes, row: Sequence[Any]) -> bytes:
    """A stored row's link after `previous` in the form a server computes (ChainForm): SHA-256
    over the link before, the row's position, version and timestamp, and its `content`."""
    return hashlib.sha256(previous + _PLACE.pack(row[0], row[3], row[7])
                          + content(row)).digest()[:DIGEST_SIZE]


class ChainForm:
    """How a store links its events: `link`'s BLAKE2b over each row, or, from the position
    `server_from` on (a store on a server), `server_link`'s form. A store records where its
    server's form starts in store_meta (SERVER_LINKS_KEY); a file has none."""

    def __init__(self, server_from: int | None = None) -> None:
        self.server_from = server_from

    @classmethod
    def of_meta(cls, meta: dict[str, str]) -> ChainForm:
        """The form store_meta's entries tell (an entry that is not a position: either form
        held anywhere, as `holds` says; `check` reports the entry)."""
        start = meta.get(SERVER_LINKS_KEY)
        if start is None:
            return cls()
        return cls(int(start) if start.isdigit() and int(start) >= 1 else 1)

    def link(self, previous: bytes, row: Sequence[Any]) -> bytes:
        """The link of a stored row after `previous`, in the form its position takes."""
        if self.server_from is not None and row[0] >= self.server_from:
            return server_link(previous, row)
        return link(previous, row)

    def holds(self, previous: bytes, row: Sequence[Any], stored: bytes) -> bool:
        """Whether `stored` is the row's link after `previous`: in the form its position takes,
        or, from `server_from` on, the plain form too. (A writer opened before the store moved
        to its server's form links the plain way until it is closed: an earlier version, or a
        role that may not record the move. Either form still breaks at any change.)"""
        if stored == self.link(previous, row):
            return True
        return self.server_from is not None and row[0] >= self.server_from and (
            stored == link(previous, row))

    def links(self, previous: bytes, rows: Sequence[Sequence[Any]]) -> bytes:
        """As the module's `links`, each row in the form its position takes."""
        start = self.server_from
        if start is None or rows[-1][0] < start:
            return links(previous, rows)
        found = bytearray()
        dumps, pack, sha256 = orjson.dumps, _PLACE.pack, hashlib.sha256
        empty = hashlib.blake2b(digest_size=DIGEST_SIZE)
        for row in rows:
            if row[0] < start:
                previous = link(previous, row)
            else:  # (server_link's, written out: a third less CPU for a long run)
                digest = empty.copy()
                digest.update(dumps((row[1], row[2], row[4], row[5], row[6], row[8], row[9],
                                     row[10])))
                previous = sha256(previous + pack(row[0], row[3], row[7])
                                  + digest.digest()).digest()[:DIGEST_SIZE]
            found += previous
        return bytes(found)


PLAIN = ChainForm()
"""Every link BLAKE2b's (a store file's chain)."""


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


def breaks(pages: Iterable[Sequence[Sequence[Any]]], form: ChainForm = PLAIN,
           link_before: Callable[[int], bytes | None] | None = None
           ) -> Iterator[tuple[int, bool]]:
    """Where the chain (of the `form` given) does not hold, over stored rows from the first
    (each with its link last, None when it has none), a page at a time: (position, True) where
    a link does not match its row, (position, False) where a row has no link. After a mismatch
    the stored link is followed, so that each later break is another change. After a gap in
    the positions, `link_before(position)` gives the link stored for the position before (None
    where none is): the chain then goes on through the events removed, and the row after them
    is judged by itself."""
    previous = GENESIS
    link_of = form.link
    seen = 0
    for page in pages:
        for row in page:
            stored = row[-1]
            if row[0] != seen + 1 and link_before is not None:
                previous = link_before(row[0]) or previous
            seen = row[0] if isinstance(row[0], int) else seen
            try:
                expected = link_of(previous, row[:-1])
            except (TypeError, struct.error):  # a value no append could have stored (a BLOB,
                # bad text, a position not an integer)
                expected = None
            if stored is None:
                yield row[0], False
                previous = expected or b""
            else:
                if stored != expected and (expected is None
                                           or not form.holds(previous, row[:-1], stored)):
                    yield row[0], True  # the stored link is followed from here
                previous = stored
