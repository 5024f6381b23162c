"""A projection's handler that calls `writes` wrongly (a table it has not, a key that is not a
tuple of its key columns, a row missing a column or with one the table has not, a value no
column can hold) faults that projection at the event, saying what was wrong and where in its
own code; the events before it are kept. Found with a system of one's own: the faults said
"KeyError: 'n' (in wrongcol, <lambda> line 179)" and "ProgrammingError: Incorrect number of
bindings", and a dict put as a value ended `project` in a traceback at the chunk's commit."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from explorer.projections import Projection, ProjectionEngine, Writes, versioned_table
from explorer.projections.database import open_read_models
from explorer.store import EventStore, NewEvent, RecordedEvent

TABLE = versioned_table("notes_seen", sa.MetaData(), [sa.Column("note_id", sa.Text)],
                        [sa.Column("n", sa.Integer), sa.Column("text", sa.Text)])


class Mistaken(Projection):
    """Writes rightly, except for the event whose n is 2: there `wrong(writes, event)`."""

    name = "mistaken"
    title = "Mistaken"
    event_types = frozenset({"NoteWritten"})
    tables = (TABLE,)

    def __init__(self, wrong: Any) -> None:
        self.wrong = wrong

    def handle(self, event: RecordedEvent, writes: Writes) -> None:
        if event.data["n"] == 2:
            self.wrong(writes, event)
            return
        writes.put("notes_seen", (event.stream_id,), n=event.data["n"], text="fine")


CASES = {
    "no such table": (
        lambda writes, event: writes.put("note_seen", (event.stream_id,), n=2, text="x"),
        "ProjectionError: writes.put('note_seen', ...): the projection has no table "
        "'note_seen'; its tables are notes_seen (in <lambda>, "),
    "a key that is no tuple": (
        lambda writes, event: writes.put("notes_seen", event.stream_id, n=2, text="x"),
        "ProjectionError: writes.put('notes_seen', 'note_2', ...): a row's key is a tuple of "
        "its key columns' values (note_id), e.g. ('note_2',), not a str (in <lambda>, "),
    "two key values": (
        lambda writes, event: writes.get("notes_seen", event.stream_id, 2),
        "ProjectionError: writes.get('notes_seen', ...) was given 2 key value(s) ('note_2', "
        "2); notes_seen's key is 1 column(s): note_id (in <lambda>, "),
    "a column missing, one unknown": (
        lambda writes, event: writes.put("notes_seen", (event.stream_id,), count=2, text="x"),
        "ProjectionError: writes.put('notes_seen', ...) was given a row without n and with "
        "count, which it has not: a row of notes_seen gives every value column, n, text "
        "(writes.update changes some of them) (in <lambda>, "),
    "an update of a column the table has not": (
        lambda writes, event: writes.update("notes_seen", ("note_1",), count=2),
        "ProjectionError: writes.update('notes_seen', ...) was given count, which notes_seen "
        "has not: its value columns are n, text (in <lambda>, "),
    "an update whose key is no tuple": (
        lambda writes, event: writes.update("notes_seen", event.stream_id, n=2),
        "ProjectionError: writes.update('notes_seen', 'note_2', ...): a row's key is a tuple "
        "of its key columns' values (note_id), e.g. ('note_2',), not a str (in <lambda>, "),
    "a dict as a value": (
        lambda writes, event: writes.put("notes_seen", (event.stream_id,), n=2,
                                         text={"a": 1}),
        "ProjectionError: writes.put('notes_seen', ...) was given text={'a': 1}, a dict, which "
        "a column cannot hold: give text, a number, true or false, or None"),
    "a number past 64 bits": (
        lambda writes, event: writes.put("notes_seen", (event.stream_id,), n=2**70, text="x"),
        f"ProjectionError: writes.put('notes_seen', ...) was given n={2**70}, an int, which a "
        "column cannot hold"),
}


@pytest.mark.parametrize("case", CASES)
def test_a_wrong_call_of_writes_faults_the_projection_at_its_event_saying_what_was_wrong(
        tmp_path, case):
    wrong, said = CASES[case]
    with EventStore.open(tmp_path / "notes.evstore", create=True) as store:
        for n in (1, 2, 3):
            store.append(f"note_{n}", "Note", [NewEvent("NoteWritten", {"n": n})], 0)
        with open_read_models(store.location, False) as db:
            engine = ProjectionEngine(store, db, [Mistaken(wrong)])
            engine.catch_up_all()
            status = engine.statuses()[0]
            assert status.state == "faulted" and status.fault.position == 2
            assert status.fault.error.startswith(said), status.fault.error
            if "(in <lambda>, " in said:
                assert f"{__file__} line " in status.fault.error
            assert [row["note_id"] for row in engine.rows("mistaken")] == ["note_1"]
