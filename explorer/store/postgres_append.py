"""Appending one stream's events to a store on a server in one round trip, the store's advisory
lock held by the server alone.

An append must know the log's newest event before it can write: its events' positions follow
it, their timestamps do not go back before its, and their hash chain links go on from its link
(BLAKE2b over the rows as stored: computed here, not by the server). The plain append
(`Appending._append_locked`) reads that under the lock, so the lock is held across a round trip
to this process and back: with eight writers on two cores, the holder waiting to be scheduled
was most of the time the lock was held (sampled in pg_stat_activity: the holder "ClientRead").

Here the append is planned from a view of the log's end taken *before* the lock, and sent in one
go: BEGIN, the lock, the events inserted only if the log still ends where the plan assumed and
the stream is still at the version planned on, their links and the stream's index row only if
the events went in (and the log's end announced), else the log's end read again, COMMIT. The server
runs it all without waiting for this process. If the log moved, nothing was written (the
transaction commits empty) and the end read in it plans the next try. If the stream moved, the
refused try also says whether any of its events is stored: when none is, it is a conflict, told
without the further round trip that asks for them (a retried request's events are).

The view is the newest end this session knows, without asking: what it wrote last, what a try
refused told it, or what another session's append announced (its NOTIFY payload: position,
timestamp and link, heard before planning). A stale view costs the round trip that reading the
end first would, and tells the end as that read would; a fresh one saves it. (8 writers on 20
shared orders, load ~9 on 2 cores: 1.8 round trips an append, from 3.2 with the end read
whenever another session had appended: 0.9 reads and 2.2 tries.) Letting the server choose the
positions itself is not open to it: each event's link hashes its row, position and timestamp
included, after the link before it, with BLAKE2b, which the server does not have.

Why no follower can miss a late commit still holds as the module `postgres` says: the events
are inserted after the lock is granted (each statement of a READ COMMITTED transaction sees
every commit before it began), and the lock is released only at the COMMIT. A plan's view
before the lock is only a guess the insert checks under it: positions, versions, timestamps and
links are what they would have been had the view been read under the lock.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import orjson
import psycopg

from explorer.store.chain import DIGEST_SIZE
from explorer.store.postgres_schema import text_literal

SPECULATIONS = 8
"""Tries before an append falls back to reading the log's end under the lock."""

FUNCTION = "append_if_unmoved_v3"
"""The store's server-side append (made beside its tables; a new body gets a new name)."""

_FUNCTION_SQL = """
CREATE FUNCTION {name}(lock_key bigint, planned_end bigint, stream text, kind text,
    planned_version bigint, event_rows text, new_links bytea)
RETURNS TABLE (written boolean, end_position bigint, end_timestamp bigint, head_type text,
    head_version bigint, chain_end bigint, chain_link bytea, stored boolean)
LANGUAGE plpgsql VOLATILE SET search_path FROM CURRENT AS $body$
DECLARE
    -- (the rows as the client planned them, columns in EVENT_COLUMNS order, as a JSON text:
    -- one parameter to send, where nine arrays cost the client more than the rest of a try;
    -- read only if written, as most tries of a busy log are not)
    planned json;
    first_row json;
    last_row json;
    announcement text;
BEGIN
    PERFORM pg_advisory_xact_lock(lock_key);
    -- (each statement from here sees every commit before the lock was granted)
    SELECT e.position, e.timestamp INTO end_position, end_timestamp
        FROM events e ORDER BY e.position DESC LIMIT 1;
    SELECT s.stream_type, s.version INTO head_type, head_version
        FROM streams s WHERE s.stream_id = stream;
    written := COALESCE(end_position, 0) = planned_end
        AND COALESCE(head_version, 0) = planned_version AND COALESCE(head_type, kind) = kind;
    IF written THEN
        planned := event_rows::json;
        first_row := planned -> 0;
        last_row := planned -> -1;
        -- The log's end for other writers' next plans, announced once: the events table's
        -- trigger announces this text too (two identical notifications of a transaction are
        -- delivered as one; a store made before its trigger read it gets both).
        announcement := (last_row ->> 0) || ' ' || (last_row ->> 7) || ' '
            || encode(substr(new_links, length(new_links) - 15, 16), 'hex');
        PERFORM set_config('event_explorer.announcement', announcement, true);
        INSERT INTO events (position, stream_id, stream_type, version, event_id, event_type,
                schema_version, timestamp, correlation_id, data, metadata)
            SELECT (r ->> 0)::bigint, stream, kind, (r ->> 3)::bigint, r ->> 4, r ->> 5,
                    (r ->> 6)::bigint, (r ->> 7)::bigint, r ->> 8, r ->> 9, r ->> 10
                FROM json_array_elements(planned) AS r;
        INSERT INTO event_hashes (position, links) VALUES ((first_row ->> 0)::bigint, new_links);
        INSERT INTO streams AS s (stream_id, stream_type, version, first_position,
                last_position, last_timestamp)
            VALUES (stream, kind, (last_row ->> 3)::bigint, (first_row ->> 0)::bigint,
                (last_row ->> 0)::bigint, (last_row ->> 7)::bigint)
            ON CONFLICT (stream_id) DO UPDATE SET version = excluded.version,
                last_position = excluded.last_position, last_timestamp = excluded.last_timestamp;
        PERFORM pg_notify({channel}, announcement);
    ELSE  -- what the next try plans from (as statements.append_head reads it)
        IF COALESCE(head_version, 0) <> planned_version THEN
            -- (a conflict: a retried request whose events are in already, or another writer's)
            stored := EXISTS (SELECT 1 FROM json_array_elements(event_rows::json) AS r
                JOIN events e ON e.event_id = r ->> 4);
        END IF;
        SELECT h.position + length(h.links) / 16 - 1,
               substr(h.links, length(h.links) - 15, 16) INTO chain_end, chain_link
            FROM event_hashes h ORDER BY h.position DESC LIMIT 1;
    END IF;
    RETURN NEXT;
END $body$"""

CALL = (f"SELECT * FROM {FUNCTION}(%s::BIGINT, %s::BIGINT, %s::TEXT, %s::TEXT, %s::BIGINT, "
        "%s::TEXT, %b::BYTEA)")


def ensure_function(db: Any, schema_name: str, channel: str, lock_class: int) -> bool:
    """Make the server-side append in the store's schema if it is not there yet (once, however
    many processes open the store at once); whether the store has it (a role that may not
    create functions there appends the plain way)."""
    exists = "SELECT to_regproc(%s) IS NOT NULL"
    qualified = f'"{schema_name}".{FUNCTION}'
    if db.execute(exists, (qualified,)).fetchone()[0]:
        return True
    db.execute("BEGIN")
    try:
        db.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (lock_class, schema_name))
        if not db.execute(exists, (qualified,)).fetchone()[0]:
            db.execute(_FUNCTION_SQL.format(name=qualified, channel=text_literal(channel)))
        db.execute("COMMIT")
    except psycopg.errors.InsufficientPrivilege:
        db.execute("ROLLBACK")
        return False
    except BaseException:
        db.execute("ROLLBACK")
        raise
    return True


def parameters(lock: int, rows: list[tuple[Any, ...]], links: bytes, position: int,
               stream_id: str, stream_type: str, version: int) -> list[Any]:
    """CALL's parameters: the lock, the log's end, stream and version the rows were planned
    on, the rows as a JSON array of arrays, their links."""
    return [lock, position, stream_id, stream_type, version, orjson.dumps(rows).decode(), links]


class LogEnd(NamedTuple):
    """The log's newest event as an append needs it: its position, timestamp and link."""

    position: int
    timestamp: int
    link: bytes


def end_after(rows: list[tuple[Any, ...]], links: bytes) -> LogEnd:
    """The log's end once `rows` (with their run of `links`) are in."""
    last = rows[-1]
    return LogEnd(last[0], last[7], links[-DIGEST_SIZE:])


def announced_end(payload: str) -> LogEnd | None:
    """The log's end an append announced (its NOTIFY payload: position, timestamp and link);
    None for another announcement (the events table's trigger says nothing of other inserts)."""
    parts = payload.split()
    if len(parts) != 3:
        return None
    return LogEnd(int(parts[0]), int(parts[1]), bytes.fromhex(parts[2]))
