"""A projection's writes keep their own copy of each row version, whatever the handler does
with the dicts it gave or was given afterwards."""

from __future__ import annotations

import copy
import gc
import random
import sqlite3

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import sqlite

from explorer.projections import ProjectionError, Writes, versioned, versioned_table
from explorer.projections.versioned import VersionedWriter, current_rows, rows_as_of

metadata = sa.MetaData()
stock = versioned_table("stock", metadata, [sa.Column("product_id", sa.Text)],
                        [sa.Column("name", sa.Text), sa.Column("on_hand", sa.Integer)])
labels = versioned_table("labels", metadata, [sa.Column("product_id", sa.Text)],
                         [sa.Column("label", sa.Text)])


def writes_on(db: sqlite3.Connection) -> tuple[Writes, list[VersionedWriter]]:
    for table in (stock, labels):
        db.execute(str(sa.schema.CreateTable(table).compile(dialect=sqlite.dialect())))
    writers = [VersionedWriter(table, db, sqlite.dialect()) for table in (stock, labels)]
    return Writes({w.table.name: w for w in writers}), writers


def rows(db: sqlite3.Connection, query: sa.Select) -> list[tuple]:
    compiled = query.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True})
    return db.execute(str(compiled)).fetchall()


def test_dicts_given_and_returned_are_the_handlers_to_change():
    db = sqlite3.connect(":memory:")
    writes, writers = writes_on(db)
    writes.position = 1
    writes.put("stock", ("p1",), name="Widget", on_hand=5)
    writes.put("labels", ("p1",), label="new")
    writes.position = 2
    updated = writes.update("stock", ("p1",), on_hand=7)
    assert updated == {"name": "Widget", "on_hand": 7}
    updated["on_hand"] = 1000  # the handler changes the dict it got back
    seen = writes.get("stock", "p1")
    seen["name"] = "changed"  # and the copy it read
    writes.position = 3
    writes.put("stock", ("p2",), name="Gadget", on_hand=1)
    for writer in writers:
        writer.flush()
    assert writes.get("stock", "p1") == {"name": "Widget", "on_hand": 7}
    assert rows(db, current_rows(stock)) == [("p1", "Widget", 7), ("p2", "Gadget", 1)]
    assert rows(db, rows_as_of(stock, 1)) == [("p1", "Widget", 5)]
    assert rows(db, current_rows(labels)) == [("p1", "new")]


def widget_stored(db: sqlite3.Connection) -> tuple[Writes, list[VersionedWriter]]:
    """Writes on `db` with one row stored: p1, a Widget, 5 on hand from position 1."""
    writes, writers = writes_on(db)
    writes.position = 1
    writes.put("stock", ("p1",), name="Widget", on_hand=5)
    for writer in writers:
        writer.flush()
    return writes, writers


def test_a_row_read_back_from_the_database_is_changed_as_a_new_version():
    db = sqlite3.connect(":memory:")
    writes, writers = widget_stored(db)
    for writer in writers:
        writer.discard()  # forget the cache: the next get reads the stored row
    writes.position = 4
    assert writes.update("stock", ("p1",), on_hand=2) == {"name": "Widget", "on_hand": 2}
    for writer in writers:
        writer.flush()
    assert rows(db, sa.select(stock).order_by(stock.c.valid_from)) == [
        ("p1", "Widget", 5, 1, 4), ("p1", "Widget", 2, 4, None)]


def test_the_row_versions_kept_are_not_left_for_the_garbage_collector_to_walk():
    """A rebuild keeps tens of thousands of current rows cached: tracked containers, they made
    the collector's full passes (each walking every object of the process) come ever sooner."""
    db = sqlite3.connect(":memory:")
    writes, writers = writes_on(db)
    writer = writers[0]
    writer.start_empty()
    gc.collect()
    before = len(gc.get_objects())
    for position in range(1, 10_001):
        writes.position = position
        writes.put("stock", (f"p{position}",), name="Widget", on_hand=position)
        writes.update("stock", (f"p{position // 2 + 1}",), on_hand=0)
    gc.collect()
    assert len(gc.get_objects()) - before < 1_000  # was one or more an event: 10,000
    writer.flush()
    assert rows(db, current_rows(stock).where(stock.c.product_id == "p10000")) == [
        ("p10000", "Widget", 10_000)]
    assert writes.get("stock", "p3") == {"name": "Widget", "on_hand": 0}


def test_a_row_deleted_and_written_again_after_other_keys_ends_once(monkeypatch):
    """Its deletion is remembered until written, however many keys come between: with the
    cache full of others, the row was read back from the database, still current there, and
    its stored version ended a second time (valid_to 4 instead of 2)."""
    monkeypatch.setattr(versioned, "CACHE_KEYS", 1)
    db = sqlite3.connect(":memory:")
    writes, writers = writes_on(db)
    writes.position = 1
    writes.put("stock", ("p1",), name="Widget", on_hand=5)
    writers[0].flush()
    writers[0].delete(("p1",), 2)
    writes.position = 3
    writes.put("stock", ("p2",), name="Gadget", on_hand=1)
    writes.position = 4
    writes.put("stock", ("p1",), name="Widget", on_hand=9)
    writers[0].flush()
    assert rows(db, sa.select(stock).order_by(stock.c.product_id, stock.c.valid_from)) == [
        ("p1", "Widget", 5, 1, 2), ("p1", "Widget", 9, 4, None), ("p2", "Gadget", 1, 3, None)]


@pytest.mark.parametrize("from_empty, filtered", [(True, False), (False, False), (True, True)],
                         ids=["rebuilding", "following", "rebuilding past the exact keys"])
def test_every_version_written_is_the_one_a_plain_replay_makes(monkeypatch, from_empty,
                                                                filtered):
    """Puts, updates and deletes of a few keys, several to an event, in transactions committed
    or rolled back, with a cache of 3 keys (trimmed at each flush, missed keys read back):
    the stored versions and every get equal those of a plain model of versioned rows. Filtered:
    the keys written since the rebuild began are known by a filter of 16 bits from the third
    on, which takes most keys for maybe written (looked up in the database) and some never
    written for written."""
    monkeypatch.setattr(versioned, "CACHE_KEYS", 3)
    if filtered:
        monkeypatch.setattr(versioned, "EXACT_KEYS", 2)
        monkeypatch.setattr(versioned, "FILTER_BITS", 16)
    db = sqlite3.connect(":memory:", isolation_level=None)
    writes, writers = writes_on(db)
    writer = writers[0]
    if from_empty:
        writer.start_empty()
    chooser = random.Random(18)
    model: dict[str, list[list]] = {}  # key -> its versions: [name, on_hand, from, to]

    def current(key: str) -> list | None:
        versions = model.get(key, [])
        return versions[-1] if versions and versions[-1][3] is None else None

    def end(key: str, position: int) -> None:
        version = current(key)
        if version is not None and version[2] == position:
            model[key].pop()  # replaced by the event that wrote it: never valid
        elif version is not None:
            version[3] = position

    position = filtering = 0
    for _transaction in range(60):
        kept = copy.deepcopy(model)
        filtering += writer._written is not None and writer._written._exact is None
        db.execute("BEGIN")
        for _event in range(chooser.randrange(1, 12)):
            position += 1
            writes.position = position
            for _change in range(chooser.choice([1, 1, 1, 2, 3])):
                key = f"p{chooser.randrange(8)}"
                action = chooser.random()
                if action < 0.5:
                    values = {"name": chooser.choice(["a", "b", None]),
                              "on_hand": chooser.randrange(5)}
                    writes.put("stock", (key,), **values)
                    end(key, position)
                    model.setdefault(key, []).append([values["name"], values["on_hand"],
                                                      position, None])
                elif action < 0.75:
                    updated = writes.update("stock", (key,), on_hand=chooser.randrange(5))
                    if current(key) is None:
                        assert updated is None
                    else:
                        assert updated == {"name": current(key)[0], "on_hand": updated["on_hand"]}
                        end(key, position)
                        model[key].append([updated["name"], updated["on_hand"], position, None])
                elif action < 0.85:
                    writers[0].delete((key,), position)
                    end(key, position)
                else:
                    version = current(key)
                    expected = None if version is None else {"name": version[0],
                                                             "on_hand": version[1]}
                    assert writes.get("stock", key) == expected
        writer.flush()
        if chooser.random() < (0.05 if filtered else 0.2):  # (a rollback ends the filter)
            db.execute("ROLLBACK")
            writer.discard()
            model = kept
        else:
            db.execute("COMMIT")
        stored = rows(db, sa.select(stock).order_by(stock.c.product_id, stock.c.valid_from))
        assert stored == [(key, *version) for key in sorted(model) for version in model[key]]
    assert position > 200
    assert (filtering > 10) == filtered, filtering  # transactions begun with the filter


def test_the_keys_written_are_known_exactly_then_by_a_filter_of_fixed_size():
    """Past EXACT_KEYS, every key given is still known (no key written is taken for missing),
    few never given are taken for maybe written, and the memory is the filter's, not a set's."""
    written = versioned.WrittenKeys()
    given = [(f"0190f3a2-7c1e-7b3a-9d2e-{number:012d}",) for number in range(200_000)]
    for key in given[:versioned.EXACT_KEYS]:
        written.add(key)
    written.discard(given[0])
    assert given[0] not in written and written._exact is not None
    for key in given:
        written.add(key)
    assert written._exact is None and len(written._bits) == versioned.FILTER_BITS // 8
    assert all(key in written for key in given)
    never = [(f"1190f3a2-7c1e-7b3a-9d2e-{number:012d}",) for number in range(100_000)]
    assert sum(key in written for key in never) < 100  # about 0.004% at 200,000 keys
    written.discard(given[1])
    assert given[1] in written  # a filter's "maybe": the database has the truth


def test_a_put_missing_a_value_changes_nothing():
    """A put that raises (a value column not given) leaves the row as it was: a handler that
    catches the error and goes on writes versions as if the put was never made (review: the
    current version was taken out of the cache before the new one was made, then forgotten)."""
    db = sqlite3.connect(":memory:")
    writes, writers = widget_stored(db)
    writes.position = 2
    writes.put("stock", ("p1",), name="Widget", on_hand=6)
    writes.position = 3
    with pytest.raises(ProjectionError, match="without on_hand"):
        writes.put("stock", ("p1",), name="Widget")  # (no on_hand)
    assert writes.get("stock", "p1") == {"name": "Widget", "on_hand": 6}
    writes.position = 4
    writes.put("stock", ("p1",), name="Widget", on_hand=8)
    for writer in writers:
        writer.flush()
    assert rows(db, sa.select(stock).order_by(stock.c.valid_from)) == [
        ("p1", "Widget", 5, 1, 2), ("p1", "Widget", 6, 2, 4), ("p1", "Widget", 8, 4, None)]


def test_a_filter_whose_size_is_not_a_power_of_two_is_refused(monkeypatch):
    monkeypatch.setattr(versioned, "EXACT_KEYS", 1)
    monkeypatch.setattr(versioned, "FILTER_BITS", 12)
    written = versioned.WrittenKeys()
    written.add(("a",))
    with pytest.raises(ValueError, match="power of two"):
        written.add(("b",))
