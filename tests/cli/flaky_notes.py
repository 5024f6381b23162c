"""A tiny system whose projection can be made to fail on one note (while FAILS_ON names its
title): for the command line's tests of a faulted projection's retry and skip. Notes are
written; the `notes` projection files each by its title, `counts` counts them (and never fails)."""

from __future__ import annotations

import os
from typing import Any, ClassVar

import sqlalchemy as sa

from explorer.domain import Aggregate, Command, DomainModel, applies
from explorer.projections import Projection, Writes, versioned_table
from explorer.store import RecordedEvent
from explorer.system import System

SPEC = "tests.cli.flaky_notes:SYSTEM"
FAILS_ON: dict[str, str | None] = {"title": os.environ.get("FLAKY_NOTES_FAIL_ON")}
"""The title of the note `notes` fails on (None: it fails on none), as a bug fixed later would;
for a `run` started as a process, its environment's FLAKY_NOTES_FAIL_ON."""


class Note(Aggregate):
    stream_type = "Note"

    def write(self, title: str) -> None:
        self._record("NoteWritten", note_id=self.id, title=title)

    @applies("NoteWritten")
    def _written(self, data: dict[str, Any]) -> None:
        pass


class WriteNote(Command):
    stream_type: ClassVar[str] = "Note"
    command_name: ClassVar[str] = "write"
    creates_stream: ClassVar[bool | None] = True
    title: str


metadata = sa.MetaData()
notes = versioned_table("notes", metadata, [sa.Column("note_id", sa.Text)],
                        [sa.Column("title", sa.Text)])
counts = versioned_table("note_counts", metadata, [sa.Column("kind", sa.Text)],
                         [sa.Column("count", sa.Integer)])


class NotesProjection(Projection):
    name = "notes"
    title = "Notes by id"
    event_types = frozenset({"NoteWritten"})
    tables = (notes,)

    def handle(self, event: RecordedEvent, writes: Writes) -> None:
        if event.data["title"] == FAILS_ON["title"]:
            raise ValueError(f"cannot file {event.data['title']!r}")
        writes.put("notes", (event.stream_id,), title=event.data["title"])


class CountsProjection(Projection):
    name = "counts"
    title = "Notes written"
    event_types = frozenset({"NoteWritten"})
    tables = (counts,)

    def handle(self, event: RecordedEvent, writes: Writes) -> None:
        found = writes.get("note_counts", "notes")
        writes.put("note_counts", ("notes",), count=(found["count"] if found else 0) + 1)


SYSTEM = System(name="flaky-notes", title="Notes",
                domain=DomainModel("notes", aggregates=[Note], commands=[WriteNote]),
                projections=lambda: [NotesProjection(), CountsProjection()])
