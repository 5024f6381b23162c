"""Searching every event: a full-text index of the log, kept beside the store like the read models.

Each event's stream id, type, data and metadata (as stored: JSON text, with the correlation id
the store keeps apart) is one document of an SQLite FTS5 table whose rowid is the event's
position. The tokenizer keeps identifiers whole: letters, digits and `_ - . @` make up a word,
so `order_0870`, `cust_456`, `DH3862167061`, `ada@example.com` and `12.5` are each one word (and
`order_0870` does not find `order_08700`), but a word ending a sentence is found without its
point (`cancelled.` as `cancelled`); case and diacritics do not matter, and JSON's escapes are
read (`line1\\nline2` is line1 and line2). What the user types (`search_query`):

    order_0870 cust_456    events with both words, anywhere in them
    order_08*              a word starting `order_08`
    "Royal Mail"           the two words one after the other

The tables are contentless (the text is in the store; the index holds only its words, ~150
bytes an event) and read newest first (`ORDER BY rowid DESC`, which FTS5 answers without sorting).
The index is one FTS5 table per PART positions (`event_text_0` for positions 1-100,000, ...):
a prefix (`prod_1*`) makes FTS5 merge the lists of every word it starts before it returns a
row, so on one table the newest page cost as much as all its matches (160 ms for 760,000 at a
million events, growing with the log); read part by part from the newest, the first page costs
at most one part's merge, whatever the length of the log. (A prefix index, `prefix='2 3 4 5 6'`,
answers such prefixes at once but made the index 3.6 times bigger and its build 2.6 times slower:
see bench/search_index_bench.py.)

The index is derived and disposable: a file of its own beside the store (`STORE.fulltext`; in
the cache folder for a store opened read-only, as the read models are), so building it never
takes the store's write lock nor the read models'. It is built on first use (`catch_up`, in
batches that report progress and may be cancelled) and kept up to date by the runner once it
exists; whole parts left to build are built in worker processes, a core each, and moved in
(explorer.projections.fulltext_parts: FTS5 indexes ~70,000 events a second on a core). Each
batch's rows, or part, and the checkpoint commit in one transaction, so a process killed at any
moment leaves an index that is whole up to its checkpoint; the checkpoint is read again inside
the transaction, so two processes catching up at once never index an event twice.
"""

from __future__ import annotations

import bisect
import functools
import re
import sqlite3
import unicodedata
from array import array
from collections.abc import Callable, Generator, Iterable
from contextlib import closing
from dataclasses import replace
from operator import itemgetter
from pathlib import Path

import orjson

from explorer.common.closable import Closable
from explorer.common.scratch_folders import make_scratch_folder
from explorer.projections.database import SUFFIX as READ_MODELS_SUFFIX
from explorer.projections.database import ReadModelDatabase, read_model_path
from explorer.projections.fulltext_parts import build_parts, workers_for
from explorer.store.errors import EventNotFoundError
from explorer.store.event_store import EventStore
from explorer.store.foreign.library_store import decrypts_here
from explorer.store.query import EventQuery

SUFFIX = ".fulltext"
TOKENIZER = "unicode61 remove_diacritics 2 tokenchars '_-.@'"
TABLE = "event_text"
STATE = "event_text_state"
VERSION = 6
"""Of the index's tables: a file with another version is emptied and built again (3: an
event's correlation id is indexed, as its metadata shows it; 4: JSON's escapes are read; 5: a
word's ending points are not; 6: a backslash in a stream id, type or correlation id is kept,
not read as an escape)."""
PART = 100_000
"""Positions in each of the index's tables (see the module docstring)."""
_PART_NAME = re.compile(rf"{TABLE}(?:_(\d+))?")
HASH_BYTES = 8 << 20
"""Memory FTS5 gathers a table's new words in before it writes them as a segment."""
BATCH = 50_000
"""Events indexed per transaction while building (one checkpoint each, one progress report)."""
FILTER_CHUNK = 5_000
"""Matches checked against the other filters per query of the store."""
INTERSECT_ABOVE = 20_000
"""More matches than this are compared with the positions of the other filters (read whole,
through the store's indexes) rather than checked a chunk at a time (not for a content filter,
whose positions are a scan)."""
OPEN_ATTEMPTS = 20
"""Tries to open a part's table while other connections add parts (see `_select`)."""
_WORD = re.compile(r'"([^"]*)"?(\*?)|([^\s"]+)')
_INDEXED_CHARACTER = re.compile(r"[\w\-.@]")
_WORD_END = re.compile(r"\.(?:[^\w\-.@]|$)")
"""A point ending a word, such as a sentence's last (the tokenizer would keep it in the word)."""
_WORD_END_POINTS = re.compile(r"\.+(?![\w\-.@])")


class SearchTextError(ValueError):
    """What the user typed holds nothing to search for."""


def fulltext_path(store_location: str, read_only: bool) -> Path:
    """Where a store's full-text index lives: beside its read models (see the docstring); for
    an `eventsourcing` library store this process decrypts, in a private folder of its own,
    removed when it ends, even killed (`decrypts_here`: its words are what the store keeps
    encrypted; see explorer.common.scratch_folders)."""
    readmodels = read_model_path(store_location, read_only)
    name = readmodels.name[:-len(READ_MODELS_SUFFIX)] + SUFFIX
    if decrypts_here(store_location):
        return _decrypted_indexes() / name
    return readmodels.with_name(name)


@functools.cache
def _decrypted_indexes() -> Path:
    return make_scratch_folder("decrypted")


def search_query(text: str) -> str:
    """The FTS5 query for what the user typed: every word (or "quoted phrase") must be found;
    a trailing * makes it a prefix. SearchTextError if there is nothing to search for. A NUL
    separates words, as a space does (SQLite would end the query there)."""
    text = text.replace("\x00", " ")
    parts = []
    for phrase, phrase_star, word in _WORD.findall(text):
        prefix = phrase_star if phrase or phrase_star else ""
        if word:
            prefix = "*" if word.endswith("*") else ""
            phrase = word.rstrip("*")
        if prefix and phrase.endswith("."):  # the words going on after it: 12.* is not 12*
            body = phrase.rstrip(".")
            phrase = (_WORD_END_POINTS.sub("", body) + phrase[len(body):]
                      if _INDEXED_CHARACTER.search(body) else "")
        else:
            phrase = _WORD_END_POINTS.sub("", phrase)  # as indexed (see _indexed_text)
        if _INDEXED_CHARACTER.search(phrase):
            parts.append('"' + phrase.replace('"', '""') + '"' + prefix)
    if not parts:
        raise SearchTextError(
            f"Nothing to search for in “{text}”: type a word or an id, a prefix (a word "
            "ending in *) or a \"quoted phrase\".")
    return " ".join(parts)


class FullTextIndex(Closable):
    """One connection to a store's full-text index (created if missing), on one thread."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.database = ReadModelDatabase(self.path)
        self.db = self.database.db
        with self.database.transaction():
            self._drop_another_version()
            if self.db.execute(f"SELECT name FROM sqlite_master WHERE name = '{STATE}'"
                               ).fetchone() is None:
                self.db.execute(f"CREATE TABLE {STATE} (id INTEGER PRIMARY KEY CHECK (id = 1), "
                                "checkpoint INTEGER NOT NULL, checkpoint_event_id TEXT, "
                                "built INTEGER NOT NULL, version INTEGER NOT NULL)")
                self.db.execute(f"INSERT INTO {STATE} VALUES (1, 0, NULL, 0, {VERSION})")

    def _parts(self) -> list[int]:
        """The numbers of the index's tables (part n holds positions n * PART + 1 ...)."""
        found = []
        for (name,) in self.db.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                       "AND sql LIKE 'CREATE VIRTUAL TABLE%'"):
            matched = _PART_NAME.fullmatch(name)
            if matched and matched.group(1) is not None:
                found.append(int(matched.group(1)))
        return sorted(found)

    def _drop_parts(self) -> None:
        """Drop every table of words, of this version or an older one (in a transaction)."""
        for (name,) in self.db.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                       "AND sql LIKE 'CREATE VIRTUAL TABLE%'").fetchall():
            if _PART_NAME.fullmatch(name):
                self.db.execute(f"DROP TABLE {name}")

    def _drop_another_version(self) -> None:
        """Drop the tables of an index of another version (in the caller's transaction)."""
        try:
            version = self.db.execute(f"SELECT version FROM {STATE}").fetchone()[0]
        except sqlite3.OperationalError as error:
            if "no such table" in str(error):
                return
            version = None  # no such column: an older index
        if version != VERSION:
            self._drop_parts()
            self.db.execute(f"DROP TABLE {STATE}")

    @classmethod
    def of_store(cls, store: EventStore, *, read_only: bool | None = None) -> FullTextIndex:
        """The index of `store` (where the read models of a store opened that way are)."""
        return cls(fulltext_path(store.location, store.read_only if read_only is None
                                 else read_only))

    def close(self) -> None:
        self.database.close()

    def checkpoint(self) -> int:
        """The position up to which every event is indexed."""
        row = self.db.execute(f"SELECT checkpoint FROM {STATE}").fetchone()
        return int(row[0])

    def built(self) -> bool:
        """Whether a catch-up ever reached the end of the log (the runner keeps up only an
        index someone built: a build stopped midway waits for the next search)."""
        return bool(self.db.execute(f"SELECT built FROM {STATE}").fetchone()[0])

    def catch_up(self, store: EventStore, *, should_stop: Callable[[], bool] | None = None,
                 progress: Callable[[int, int], None] | None = None,
                 batch: int | None = None) -> int:
        """Index the events the index lacks, a batch a transaction; the number indexed.
        `progress(indexed up to, last position)` after each batch (it may raise Cancelled);
        `should_stop()` true ends it early (what was indexed is kept). An index of another
        log (the store was replaced) is emptied first."""
        self._forget_another_log(store)
        batch = batch or BATCH
        done = 0
        last = store.last_position()
        in_parallel = True
        while should_stop is None or not should_stop():
            start = self.checkpoint()
            whole = self._whole_parts_after(self._next_position(store, start),
                                            store.last_position()) if in_parallel else []
            if whole:  # this process indexes up to the first whole part, workers the parts
                up_to = whole[0] * PART
                rows = store.search_texts(start, min(batch, up_to - start)) if start < up_to \
                    else []
                rows = rows[:bisect.bisect_right(rows, up_to, key=itemgetter(0))]
                if not rows:
                    indexed, in_parallel = build_parts(self, store, whole, start,
                                                       should_stop=should_stop,
                                                       progress=progress, last=last)
                    in_parallel = in_parallel and indexed > 0  # (none: go on in this one)
                    done += indexed
                    continue
            else:
                rows = store.search_texts(start, batch)
            if not rows:
                if not self.built():
                    with self.database.transaction() as db:
                        db.execute(f"UPDATE {STATE} SET built = 1")
                break
            with self.database.transaction() as db:
                checkpoint = int(db.execute(f"SELECT checkpoint FROM {STATE}").fetchone()[0])
                if checkpoint != start:  # another process indexed some: skip what it did
                    rows = [row for row in rows if row[0] > checkpoint]
                if rows:
                    self._insert(rows)
                    end = rows[-1][0]
                    db.execute(f"UPDATE {STATE} SET checkpoint = ?, checkpoint_event_id = ?",
                               (end, store.event_at(end).event_id))
            done += len(rows)
            if progress is not None:
                progress(self.checkpoint(), max(last, self.checkpoint()))
        return done

    @staticmethod
    def _next_position(store: EventStore, checkpoint: int) -> int:
        """The position of the first event after `checkpoint` (past a gap in the log, which may
        span parts), or `checkpoint` + 1 when there is none."""
        rows = store.search_texts(checkpoint, 1)
        return rows[0][0] if rows else checkpoint + 1

    @staticmethod
    def _whole_parts_after(next_position: int, last: int) -> list[int]:
        """The parts from the one holding `next_position` (the next event to index; from the
        one after it if that one is begun) that the log fills up to `last`, if there are enough
        to build them in worker processes (fulltext_parts); else none."""
        parts = list(range(-(-(next_position - 1) // PART), last // PART))
        return parts if workers_for(len(parts)) else []

    def _insert(self, rows: list[tuple[int, str]]) -> None:
        """Index (position, text) rows, in order, each in its part (in a transaction)."""
        parts = set(self._parts())
        start = 0
        while start < len(rows):
            part = (rows[start][0] - 1) // PART
            end = bisect.bisect_right(rows, (part + 1) * PART, lo=start, key=itemgetter(0))
            if part not in parts:
                _create_part(self.db, part)
                parts.add(part)
            self.db.executemany(_INSERT.format(table=f"{TABLE}_{part}"),
                                _indexed_texts(rows[start:end]))
            start = end

    def _forget_another_log(self, store: EventStore) -> None:
        """Empty the index if its checkpoint's event is not the store's (another file is at
        the store's path now): it is rebuilt from the start."""
        row = self.db.execute(f"SELECT checkpoint, checkpoint_event_id FROM {STATE}").fetchone()
        checkpoint, event_id = int(row[0]), row[1]
        if not checkpoint:
            return
        try:
            same = store.event_at(checkpoint).event_id == event_id
        except EventNotFoundError:
            same = False
        if not same:
            with self.database.transaction() as db:
                self._drop_parts()
                db.execute(f"UPDATE {STATE} SET checkpoint = 0, checkpoint_event_id = NULL, "
                           "built = 0")

    def newest_matches(self, text: str, *, before_position: int | None = None,
                       limit: int = 100) -> array[int]:
        """Positions of up to `limit` indexed events matching `text` (see search_query),
        newest first, before `before_position` if given."""
        found = array("q")
        with closing(self._newest_first(text, before_position)) as parts:
            for newer in parts:
                found.extend(row[0] for row in newer.fetchmany(limit - len(found)))
                if len(found) >= limit:
                    break
        return found

    def _newest_first(self, text: str, before_position: int | None,
                      ) -> Generator[sqlite3.Cursor]:
        """A cursor of each part's matches of `text` before a position, newest first, from the
        newest part (each runs when it is reached, and is closed when the next is asked for: an
        open statement would keep this connection's reads on the index as they were)."""
        terms = search_query(text)
        before = before_position if before_position is not None else 2**63 - 1
        for part in reversed(self._parts()):
            if part * PART + 1 < before:
                cursor = self._select(f"SELECT rowid FROM {TABLE}_{part} WHERE {TABLE}_{part} "
                                      "MATCH ? AND rowid < ? ORDER BY rowid DESC",
                                      (terms, before))
                try:
                    yield cursor
                finally:
                    cursor.close()

    def _select(self, sql: str, parameters: tuple[object, ...]) -> sqlite3.Cursor:
        """`sql` run on a part's table; again if FTS5 could not open the table because another
        connection changed the index's schema meanwhile (a part added: SQLite then fails the
        statement before it runs, "vtable constructor failed")."""
        for attempt in range(1, OPEN_ATTEMPTS + 1):
            try:
                return self.db.execute(sql, parameters)
            except sqlite3.OperationalError as error:
                if attempt == OPEN_ATTEMPTS or not str(error).startswith(
                        "vtable constructor failed"):
                    raise
        raise AssertionError("unreachable")

    def matches(self, text: str, *, after_position: int = 0,
                between_parts: Callable[[], None] | None = None) -> array[int]:
        """Positions of every indexed event matching `text` after a position, in order;
        `between_parts()` before each part is read (it may raise Cancelled: a word in every
        event of 10M is a hundred parts, 2-3 s)."""
        terms = search_query(text)
        found = array("q")
        for part in self._parts():
            if (part + 1) * PART <= after_position:
                continue
            if between_parts is not None:
                between_parts()
            # as one JSON array: half the time of a Python row per match (0.24 s for 910,883)
            listed = self._select(
                f"SELECT json_group_array(rowid) FROM (SELECT rowid FROM {TABLE}_{part} WHERE "
                f"{TABLE}_{part} MATCH ? AND rowid > ? ORDER BY rowid)", (terms, after_position),
            ).fetchone()[0]
            found.extend(sorted(orjson.loads(listed)))  # sorted: cheap, and sure
        return found


_INSERT = "INSERT INTO {table} (rowid, text) VALUES (?, ?)"
_SHADOW_TABLES = ("data", "idx", "config")
"""The tables in which FTS5 keeps a contentless table's index without its columns' sizes."""
_ESCAPE = re.compile(r"\\(?:u([0-9a-fA-F]{4})|(.))", re.DOTALL)
_ESCAPED = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f"}


def _indexed_texts(rows: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """(position, text) rows as they are indexed: the escapes of their JSON read (`\\n` a line
    break, `\\t` a tab, `\\u00eb` ë), so that the word after one is indexed as the list shows
    it (line2, not nline2), and the points that end words dropped (cancelled, not
    cancelled.; 12.5 and ada@example.com keep theirs)."""
    return [(position, _indexed_text(text)) for position, text in rows]


def _indexed_text(text: str) -> str:
    if "\\" in text:
        text = _ESCAPE.sub(_unescaped, text)
    return _WORD_END_POINTS.sub("", text) if _WORD_END.search(text) else text


_TOKEN = re.compile(r"[\w\-.@]+")
"""A word as TOKENIZER reads one from an indexed text (unicode61: letters and digits, with
tokenchars '_-.@')."""


def indexed_words(document: str) -> list[str]:
    """The words the index holds of a document's text (JSON as stored), in order: its escapes
    read and its words' ending points dropped as `_indexed_text` does, then tokenized as
    `tokens`. For telling what a search finds in texts the index does not hold
    (explorer.projections.search_upcasts)."""
    return tokens(_indexed_text(document))


def tokens(text: str) -> list[str]:
    """The words TOKENIZER reads of `text` (a searched phrase, say): case and diacritics
    folded (remove_diacritics 2)."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    return _TOKEN.findall("".join(c for c in folded if not unicodedata.combining(c)))


def _unescaped(escape: re.Match[str]) -> str:
    code, character = escape.groups()
    if code is None:
        return _ESCAPED.get(character, character)
    number = int(code, 16)
    # a NUL, or half a pair (which UTF-8 cannot hold): no word
    return " " if number == 0 or 0xD800 <= number <= 0xDFFF else chr(number)


def _create_part(db: sqlite3.Connection, part: int, *, merging: bool = True,
                 schema: str = "") -> None:
    """Make part `part`'s table (in the caller's transaction; in `schema`, as `main.`, if
    given); `merging`: with the options it is built with (not for a part moved in: they come
    with it)."""
    table = f"{TABLE}_{part}"
    db.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS {schema}{table} USING fts5(text, "
               f"tokenize = \"{TOKENIZER}\", content = '', columnsize = 0)")
    if merging:  # merge as it goes, in bigger steps than the default: builds ~1.5x faster
        db.execute(f"INSERT INTO {table} ({table}, rank) VALUES ('automerge', 8)")
        db.execute(f"INSERT INTO {table} ({table}, rank) VALUES ('crisismerge', 32)")
        # words kept in memory until 8 MB rather than 1: fewer segments to write and merge,
        # 1.2x faster (58,000 -> 72,000 events a CPU second), searched as fast
        db.execute(f"INSERT INTO {table} ({table}, rank) VALUES ('hashsize', {HASH_BYTES})")


def build_part_file(db: sqlite3.Connection, part: int,
                    batches: Iterable[list[tuple[int, str]]]) -> tuple[int, int]:
    """Build part `part`'s table in `db`, an empty file of a worker's own (fulltext_parts), from
    its events' (position, text) rows, in batches in order: (events indexed, the last's position
    or 0). One transaction, no journal: the file is thrown away unless this ends well."""
    db.execute("PRAGMA journal_mode = OFF")
    db.execute("PRAGMA synchronous = OFF")
    db.execute("BEGIN")
    _create_part(db, part)
    count = end = 0
    insert = _INSERT.format(table=f"{TABLE}_{part}")
    for rows in batches:
        db.executemany(insert, _indexed_texts(rows))
        count, end = count + len(rows), rows[-1][0]
    db.execute("COMMIT")
    return count, end


class PartMover(Closable):
    """A connection of its own to an index, moving into it the parts workers built in files of
    their own (fulltext_parts). Its own because FTS5 keeps a table's structure cached on each
    connection: one whose table's rows were changed under it by SQL would go on with a stale
    one. This one only ever makes new tables and is closed after; the index's other
    connections see the file changed and read the tables afresh."""

    def __init__(self, path: Path) -> None:
        self.database = ReadModelDatabase(path)
        self.db = self.database.db

    def close(self) -> None:
        self.database.close()

    def move_in(self, part: int, file: Path, expected: int, end: int,
                event_id: str | None) -> bool:
        """Make part `part`'s table the one built in `file`, and the checkpoint `end` (the
        position of its last event, `event_id`; 0: it holds none), in one transaction, if the
        checkpoint is still `expected`; else False (another process indexed some meanwhile)
        and nothing is changed."""
        table = f"{TABLE}_{part}"
        self.db.execute("ATTACH DATABASE ? AS built", (str(file),))
        try:
            with self.database.transaction() as db:
                checkpoint = db.execute(f"SELECT checkpoint FROM main.{STATE}").fetchone()[0]
                if int(checkpoint) != expected:
                    return False
                if end:
                    # (every name of the index's own qualified: `built` has the same ones)
                    db.execute(f"DROP TABLE IF EXISTS main.{table}")  # (none past a checkpoint)
                    _create_part(db, part, merging=False, schema="main.")
                    for shadow in _SHADOW_TABLES:
                        db.execute(f"DELETE FROM main.{table}_{shadow}")
                        db.execute(f"INSERT INTO main.{table}_{shadow} "
                                   f"SELECT * FROM built.{table}_{shadow}")
                    db.execute(f"UPDATE main.{STATE} SET checkpoint = ?, checkpoint_event_id = ?",
                               (end, event_id))
            return True
        finally:
            self.db.execute("DETACH DATABASE built")


def filtered(store: EventStore, positions: array[int], query: EventQuery) -> array[int]:
    """The positions (in order) of the events at `positions` that `query` also matches."""
    if query.is_everything:
        return positions
    kept = array("q")
    for start in range(0, len(positions), FILTER_CHUNK):
        chunk = tuple(positions[start:start + FILTER_CHUNK])
        kept.extend(store.positions(replace(query, at_positions=chunk)))
    return kept


def newest_matching(index: FullTextIndex, store: EventStore, text: str,
                    query: EventQuery | None = None, *, chunk: int = 1_000,
                    ) -> Generator[array[int]]:
    """Positions of the indexed events matching `text` and `query`, newest first, a chunk at a
    time (each chunk of the index's matches filtered by `query`; some may come out empty)."""
    with closing(index._newest_first(text, None)) as parts:
        for newer in parts:
            while found := array("q", [row[0] for row in newer.fetchmany(chunk)]):
                kept = filtered(store, array("q", reversed(found)), query or EventQuery())
                yield array("q", reversed(kept))


def newest_page(index: FullTextIndex, store: EventStore, text: str, query: EventQuery,
                count: int, *, chunks: int = 20) -> array[int]:
    """Positions (in order) of the newest `count` indexed events matching `text` and `query`
    (what a search shows first, before its whole list): fewer if the filters keep fewer of the
    newest `chunks` thousand matches."""
    page = array("q")
    with closing(newest_matching(index, store, text, query)) as newest:
        for _, found in zip(range(chunks), newest, strict=False):
            page.extend(found[:count - len(page)])
            if len(page) >= count:
                break
    page.reverse()
    return page


def all_matching(index: FullTextIndex, store: EventStore, text: str, query: EventQuery,
                 *, after_position: int = 0,
                 progress: Callable[[array[int]], None] | None = None,
                 between_parts: Callable[[], None] | None = None) -> array[int]:
    """Positions (in order) of the indexed events after a position matching `text` and
    `query`; `progress(found so far)` after each chunk checked against the filters, and
    `between_parts()` before each of the index's parts is read (either may raise Cancelled)."""
    candidates = index.matches(text, after_position=after_position,
                               between_parts=between_parts)
    if query.is_everything:
        return candidates
    if query.content is None and len(candidates) > INTERSECT_ABOVE:
        # the filters' own positions through the store's indexes, then both lists compared
        # (prod_1*'s 761,407 matches under an event-type filter at 1M: 4.2 s in chunks, 0.8 s)
        wanted = set(store.positions(query, after_position=after_position))
        kept = array("q", [position for position in candidates if position in wanted])
        if progress is not None:
            progress(kept)
        return kept
    kept = array("q")
    step = FILTER_CHUNK * 4
    for start in range(0, len(candidates), step):
        kept.extend(filtered(store, candidates[start:start + step], query))
        if progress is not None:
            progress(kept)
    return kept


__all__ = ["FullTextIndex", "SearchTextError", "all_matching", "filtered",
           "fulltext_path", "newest_matching", "newest_page", "search_query"]
