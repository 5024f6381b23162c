"""A read model of every instance of one saga: its status, progress and current step.

Each row keeps the saga's step table (step name to status) and is computed from it, folded the
way the saga folds its own events (`record_in`) and completed by its steps' commands' first
events (`command_stored`), exactly as the step view is (explorer.sagas.steps): a saga's row and
its steps never disagree, now or as of any position. Two tables: the rows, and which step's
command each awaited first event id belongs to.

Subclasses name the saga and declare the tables with `saga_tables`; extra columns of the rows
take the value of the same field of the saga's events (the latest event that has it).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import orjson
import sqlalchemy as sa

from explorer.domain.aggregate import Aggregate
from explorer.projections import Projection, ReadModelDatabase, Writes, versioned_table
from explorer.projections.timetext import iso
from explorer.projections.versioned import current_rows
from explorer.sagas.process import ProcessManager, record_in
from explorer.sagas.progress import Progress, command_stored, first_event_id, statuses
from explorer.store.records import RecordedEvent

DECODED_KEPT = 20_000
ROW_COLUMNS = ("status", "current_step", "steps_done", "steps_compensated", "steps_failed",
               "steps_unconfirmed", "steps_total", "reason", "started_at", "updated_at", "steps")


def saga_tables(saga: type[ProcessManager], metadata: sa.MetaData,
                extra_columns: Sequence[sa.Column[Any]] = ()) -> tuple[sa.Table, sa.Table]:
    """The versioned tables of a saga's instances: their rows (saga_id, the extra columns,
    then ROW_COLUMNS) and the first event ids of their steps' commands."""
    text, integer = sa.Text, sa.Integer
    rows = versioned_table(f"{saga.name}_instances", metadata, [sa.Column("saga_id", text)], [
        *extra_columns, sa.Column("status", text), sa.Column("current_step", text),
        sa.Column("steps_done", integer), sa.Column("steps_compensated", integer),
        sa.Column("steps_failed", integer), sa.Column("steps_unconfirmed", integer),
        sa.Column("steps_total", integer),
        sa.Column("reason", text), sa.Column("started_at", text), sa.Column("updated_at", text),
        sa.Column("steps", text)], wide=("steps",))
    # The current rows by status, in key order: a page of the sagas of one status (the
    # panel's filter) is a range of it, where the key order's index was read until a page of
    # them was found (1.4 s for the first page of the 5,692 running sagas of the 10M store,
    # the latest of 750,000); a count of one status, or of each, reads this index alone.
    sa.Index(f"ix_{rows.name}_status", rows.c.status, rows.c.saga_id, rows.c.valid_to,
             sqlite_where=rows.c.valid_to.is_(None), postgresql_where=rows.c.valid_to.is_(None))
    return rows, _lookup_table(f"{saga.name}_step_commands", metadata)


def _lookup_table(name: str, metadata: sa.MetaData) -> sa.Table:
    """A versioned table (event_id -> saga_id, step) read by its key alone: without the
    secondary indexes of `versioned_table`, which only reading rows as of a position needs."""
    table = sa.Table(
        name, metadata, sa.Column("event_id", sa.Text), sa.Column("saga_id", sa.Text),
        sa.Column("step", sa.Text), sa.Column("valid_from", sa.Integer, nullable=False),
        sa.Column("valid_to", sa.Integer),
        sa.PrimaryKeyConstraint("event_id", "valid_from", name=f"pk_{name}"),
        sqlite_with_rowid=False)
    table.info["keys"] = ("event_id",)
    table.info["values"] = ("saga_id", "step")
    return table


def followed_event_types(saga: type[ProcessManager],
                         aggregates: Iterable[type[Aggregate]]) -> frozenset[str]:
    """What a saga's instances read model reads: the saga's own events, and those of every
    other aggregate type (the first event of any step's command may be of any of them)."""
    types = set(saga.declarations)
    for aggregate in aggregates:
        if not issubclass(aggregate, ProcessManager):
            types.update(aggregate.declarations)
    return frozenset(types)


@dataclass
class _Instance:
    """A saga's row being changed: its step table and status (what `record_in` folds into).
    The read model keeps each step's status alone."""

    status: str
    reason: str | None
    steps: dict[str, dict[str, Any]]


class SagaInstancesProjection(Projection):
    """Every instance of `saga`: status, current step and progress, from its step table.

    Subclasses set `saga`, `tables` (from `saga_tables`), `event_types` (from
    `followed_event_types`) and the Projection attributes. An instance remembers the step
    tables it wrote last: give each engine its own.
    """

    saga: ClassVar[type[ProcessManager]]
    keeps_rows = True  # (an instance's row and its steps' commands are only ever put)
    event_fields = frozenset({"stream_type", "stream_id", "event_id", "timestamp_us",
                              "metadata_json"})

    def __init__(self) -> None:
        rows, commands = self.tables
        self._rows, self._commands = rows.name, commands.name
        self._extra = tuple(c for c in rows.info["values"] if c not in ROW_COLUMNS)
        self._stream_type = self.saga.stream_type
        self._issuer = f'"{self.saga.issuer()}"'  # as it appears in the metadata's JSON
        self._new_row = {**dict.fromkeys(self._extra), "status": "new", "reason": None,
                         "steps": "{}"}  # (and started_at)
        # The step tables of rows written lately, and their progress, by their text.
        self._decoded: dict[str, tuple[dict[str, str], Progress]] = {}

    @property
    def rows_table(self) -> sa.Table:
        return self.tables[0]

    def handle(self, event: RecordedEvent, writes: Writes) -> None:
        if event.stream_type == self._stream_type:
            self._saga_event(event, writes)
        elif self._issuer in (event.metadata_json or ""):  # else no step's command stored it
            self._command_event(event, writes)

    def _saga_event(self, event: RecordedEvent, writes: Writes) -> None:
        saga_id = event.stream_id
        data = event.data
        when = iso(event.timestamp_us)
        row = writes.get(self._rows, saga_id) or {**self._new_row, "started_at": when}
        instance = self._instance(row)
        record_in(instance, data)
        for step in data.get("schedule", ()):
            writes.put(self._commands, (first_event_id(step["command_id"]),),
                       saga_id=saga_id, step=step["step"])
        for column in self._extra:
            if column in data:
                row[column] = data[column]
        self._put(writes, saga_id, row, instance, when)

    def _command_event(self, event: RecordedEvent, writes: Writes) -> None:
        """The first event of a step's command: the step is done, or unconfirmed."""
        command = writes.get(self._commands, event.event_id)
        if command is None:
            return
        saga_id = command["saga_id"]
        row = writes.get(self._rows, saga_id)
        if row is None:
            return
        instance = self._instance(row)
        if command_stored(instance.steps, command["step"], self.saga, event.event_type,
                          event.event_id, event.timestamp_us):
            self._put(writes, saga_id, row, instance, iso(event.timestamp_us))

    def _instance(self, row: dict[str, Any]) -> _Instance:
        """A row's step table, to change (decoded again only if this projection did not write
        that row: its step statuses as text are the key)."""
        known = self._decoded.get(row["steps"])
        steps = known[0] if known is not None else orjson.loads(row["steps"])
        return _Instance(row["status"], row["reason"],
                         {name: {"status": status} for name, status in steps.items()})

    def _put(self, writes: Writes, saga_id: str, row: dict[str, Any], instance: _Instance,
             when: str) -> None:
        """Put the saga's row, its values from its step table, changed at `when`."""
        steps = statuses(instance.steps)
        text = orjson.dumps(steps).decode()
        decoded = self._decoded
        known = decoded.get(text)
        if known is None:  # (about two rows in five repeat a step table written lately)
            if len(decoded) >= DECODED_KEPT:
                decoded.clear()
            known = decoded[text] = (steps, Progress.of(steps))
        progress = known[1]
        row["status"] = instance.status
        row["reason"] = instance.reason
        row["current_step"] = progress.current_step
        row["steps_done"] = progress.done
        row["steps_compensated"] = progress.compensated
        row["steps_failed"] = progress.failed
        row["steps_unconfirmed"] = progress.unconfirmed
        row["steps_total"] = progress.total
        row["updated_at"] = when
        row["steps"] = text
        writes.put(self._rows, (saga_id,), **row)


def sagas_with_pending_steps(db: ReadModelDatabase,
                             projection: SagaInstancesProjection) -> list[str]:
    """The sagas with a step whose command has not run, by id, in the read model as it is."""
    table = projection.rows_table
    return [row.saga_id for row in db.execute(
        current_rows(table).where(table.c.current_step.is_not(None)))]
