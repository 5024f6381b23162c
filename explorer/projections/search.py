"""Searching a read model's current rows by any column, as the user types.

Each projection's shown table (its first) has a full-text index of its current rows: an FTS5
table with one column per visible column of the read model, and a table mapping each row's key
to its document's rowid. A search is then an index look-up, never a scan of the rows:

    order_001            rows with the words "order" and "001…" next to each other in a column
    compens prod_105     rows with a word starting "compens" and the words "prod 105…"

Each word the user types must be found (AND); within a word, its letters-and-digits runs form a
phrase whose last part may be the start of a word (so `prod_1` finds `prod_105`).

The index is kept by the projection engine in the same transactions as the rows: row by row
while the projection follows the log, and in one pass after a rebuild or a first catch-up (much
faster than row by row, which FTS5 makes slow when rowids arrive out of order). While it is being
built there is no index, and a search says so (SearchNotReadyError).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

TOKENIZER = "unicode61 remove_diacritics 2"
WORD_PARTS = re.compile(r"[^\W_]+")  # what the unicode61 tokenizer keeps: letters and digits


class SearchNotReadyError(Exception):
    """A read model has no search index yet (it is being built or rebuilt)."""


def search_terms(text: str | None) -> str | None:
    """The FTS5 query for what the user typed; None when it holds nothing to search for (no
    letter or digit). Every word must match; a word's parts form a phrase, the last a prefix."""
    phrases = []
    for word in (text or "").split():
        parts = WORD_PARTS.findall(word)
        if parts:
            phrases.append('"' + " ".join(parts) + '"*')
    return " AND ".join(phrases) or None


def index_names(table: sa.Table) -> tuple[str, str]:
    """The FTS5 table and the key-to-rowid table of a read model's search index."""
    return f"{table.name}__search", f"{table.name}__search_ids"


def index_exists(db: sqlite3.Connection, table: sa.Table) -> bool:
    fts, _ids = index_names(table)
    return db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                      (fts,)).fetchone() is not None


def matching(query: sa.Select[*tuple[Any, ...]], table: sa.Table, terms: str,
             where: Mapping[str, Any] | None = None) -> sa.Select[*tuple[Any, ...]]:
    """Narrow a select of `table`'s current rows to those matching `terms` (see search_terms),
    in the order their keys were first indexed. The text values `where` asks for (which the
    query checks exactly) narrow the matches in the index first, before any row is looked up."""
    fts_name, ids_name = index_names(table)
    keys = table.info["keys"]
    columns = [*keys, *table.info["values"]]
    for column, value in (where or {}).items():
        parts = WORD_PARTS.findall(value) if isinstance(value, str) else []
        if parts:
            terms += f' AND c{columns.index(column)} : "{" ".join(parts)}"'
    fts = sa.table(fts_name, sa.column("rowid"), sa.column(fts_name))
    ids = sa.table(ids_name, sa.column("search_id"), *[sa.column(k) for k in keys])
    joined = table.join(ids, sa.and_(*[ids.c[k] == table.c[k] for k in keys])).join(
        fts, fts.c.rowid == ids.c.search_id)
    return query.select_from(joined).where(fts.c[fts_name].op("MATCH")(terms)).order_by(
        fts.c.rowid)


def count_matching(db: sqlite3.Connection, table: sa.Table, terms: str) -> int:
    """How many current rows match `terms`, from the index alone (it holds current rows only)."""
    fts, _ids = index_names(table)
    count: int = db.execute(f'SELECT count(*) FROM "{fts}" WHERE "{fts}" MATCH ?',
                            (terms,)).fetchone()[0]
    return count


def check_ready(db: sqlite3.Connection, table: sa.Table, title: str | None = None) -> None:
    """Raise SearchNotReadyError, saying what to do, if `table` has no search index now."""
    if not index_exists(db, table):
        raise SearchNotReadyError(
            f"Searching {title or table.name} is not possible yet: its search index is built "
            "once the projection has caught up with the log (after a rebuild, too). Try again "
            "in a moment.")


class SearchIndex:
    """The search index of one versioned table, written by the engine (see the docstring)."""

    def __init__(self, table: sa.Table, db: sqlite3.Connection) -> None:
        self.table = table
        self.db = db
        self.keys: tuple[str, ...] = table.info["keys"]
        self.columns: tuple[str, ...] = (*self.keys, *table.info["values"])
        self.fts, self.ids = index_names(table)
        keys = ", ".join(f'"{k}"' for k in self.keys)
        key_match = " AND ".join(f'"{k}" = ?' for k in self.keys)
        slots = ", ".join("?" for _ in self.columns)
        self._fts_columns = ", ".join(f"c{i}" for i in range(len(self.columns)))
        key_slots = ", ".join("?" for _ in self.keys)
        self._add_key = f'INSERT OR IGNORE INTO "{self.ids}" ({keys}) VALUES ({key_slots})'
        self._id_of = f'SELECT search_id FROM "{self.ids}" WHERE {key_match}'
        self._put = (f'INSERT OR REPLACE INTO "{self.fts}" (rowid, {self._fts_columns}) '
                     f"VALUES (?, {slots})")
        self._delete = f'DELETE FROM "{self.fts}" WHERE rowid = ?'
        self._forget = f'DELETE FROM "{self.ids}" WHERE search_id = ?'

    def exists(self) -> bool:
        return index_exists(self.db, self.table)

    def drop(self) -> None:
        """Remove the index (in the caller's transaction): the rows are about to be rebuilt."""
        self.db.execute(f'DROP TABLE IF EXISTS "{self.fts}"')
        self.db.execute(f'DROP TABLE IF EXISTS "{self.ids}"')

    def build(self) -> int:
        """Create the index from the current rows in one pass (in the caller's transaction);
        the rows indexed."""
        self.drop()
        keys = ", ".join(f'"{k}"' for k in self.keys)
        table = f'"{self.table.name}"'
        self.db.execute(f'CREATE TABLE "{self.ids}" (search_id INTEGER PRIMARY KEY, {keys}, '
                        f"UNIQUE ({keys}))")
        self.db.execute(f'CREATE VIRTUAL TABLE "{self.fts}" USING fts5({self._fts_columns}, '
                        f"tokenize = '{TOKENIZER}', columnsize = 0)")
        self.db.execute(f'INSERT INTO "{self.ids}" ({keys}) SELECT {keys} FROM {table} '
                        f"WHERE valid_to IS NULL ORDER BY {keys}")
        joined = " AND ".join(f'i."{k}" = t."{k}"' for k in self.keys)
        values = ", ".join(f't."{c}"' for c in self.columns)
        return self.db.execute(
            f'INSERT INTO "{self.fts}" (rowid, {self._fts_columns}) SELECT i.search_id, {values} '
            f'FROM {table} AS t JOIN "{self.ids}" AS i ON {joined} WHERE t.valid_to IS NULL '
            "ORDER BY i.search_id").rowcount

    def apply(self, changes: Mapping[tuple[Any, ...], Mapping[str, Any] | None]) -> None:
        """Index the rows one transaction changed (key -> its current row, or None if deleted),
        in the caller's transaction. Nothing to do while the index does not exist."""
        if not changes or not self.exists():
            return
        db = self.db
        current = [(key, row) for key, row in changes.items() if row is not None]
        db.executemany(self._add_key, [key for key, _row in current])
        puts = sorted(((db.execute(self._id_of, key).fetchone()[0], row) for key, row in current),
                      key=lambda put: put[0])
        gone = sorted(found[0] for key, row in changes.items() if row is None
                      for found in [db.execute(self._id_of, key).fetchone()] if found)
        if gone:  # in rowid order, as FTS5 writes fastest
            db.executemany(self._delete, ((rowid,) for rowid in gone))
            db.executemany(self._forget, ((rowid,) for rowid in gone))
        db.executemany(self._put, ((rowid, *[row[c] for c in self.columns])
                                   for rowid, row in puts))
