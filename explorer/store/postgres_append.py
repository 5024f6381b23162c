"""Appending one stream's events to a store on a server in one round trip: the server chooses
their positions, under the store's advisory lock, held by the server alone.

An append must know the log's newest event to write: its events' positions follow it, their
timestamps do not go back before its, and their hash chain links go on from its link. The plain
append (`Appending._append_locked`) reads that under the lock, so the lock is held across a round
trip to this process and back, and with eight writers on two cores, the holder waiting to be
scheduled was most of the time the lock was held. Planning from a guess of the log's end read
before the lock, checked under it (this module's way until store schema 3), took one round trip
when the guess held; but on a busy log most guesses are stale by the time the lock is granted,
and eight writers sent three or four tries an event.

Here the server does what needs the log's end: the writer sends the events as it chose them
(ids, types, data, metadata, timestamps) with the digest of each (`chain.contents`), and the
server function, in one go, takes the lock, reads the log's end, the chain's last link and the
stream's head, checks the expected version and the stream's type, and inserts the events at the
next positions and versions, their timestamps raised to the log's newest where they are
earlier, their links computed in the chain's server form (`chain.server_link`: SHA-256, which
PostgreSQL has built in), and the stream's index row. It answers where the events went, so the
writer makes their records without asking again. A refused append (a stale expected version,
another stream type) writes nothing and says whether any of its events is stored: if none is,
a conflict, told without a further round trip (a retried request's events are). A log whose
chain does not reach its end (being linked) is left to the plain append.

Why no follower can miss a late commit still holds as the module `postgres` says: the events are
inserted after the lock is granted (each statement of a READ COMMITTED transaction sees every
commit before it began), and the lock is released only at the COMMIT.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import orjson
import psycopg

from explorer.store import chain
from explorer.store.encoding import Prepared

FUNCTION = "append_at_log_end_2"
"""The store's server-side append (made beside its tables; a new body gets a new name: a
store's earlier one, `append_at_log_end`, stays for the versions that call it, and writes the
same rows)."""

_FUNCTION_SQL = """
CREATE FUNCTION {name}(lock_key bigint, stream text, kind text, expected bigint,
    event_rows text, digests bytea, OUT end_position bigint, OUT end_timestamp bigint,
    OUT head_type text, OUT head_version bigint, OUT written boolean, OUT stored boolean)
LANGUAGE plpgsql VOLATILE AS $body$
-- (its tables named with their schema: a SET search_path clause cost ~10% of its CPU; each
-- statement here costs the server its executor's start and end, so there are few of them)
DECLARE
    -- (the events as a JSON text, each [event_id, event_type, schema_version, timestamp,
    -- correlation_id, data, metadata]: one parameter to send, where arrays cost the client
    -- more than the rest of an append; parsed once, into jsonb, where each use of a json
    -- value parses its text again)
    planned jsonb := event_rows::jsonb;
    chain_end bigint;
    link bytea;
    links bytea := ''::bytea;
    moment bigint;
    n int := jsonb_array_length(planned);
BEGIN
    PERFORM pg_advisory_xact_lock(lock_key);
    -- (each statement from here sees every commit before the lock was granted)
    SELECT e.position, e.timestamp, s.stream_type, s.version, h.chain_end, h.link
        INTO end_position, end_timestamp, head_type, head_version, chain_end, link
        FROM (SELECT) AS one
        LEFT JOIN LATERAL (SELECT e.position, e.timestamp FROM {schema}.events e
            ORDER BY e.position DESC LIMIT 1) e ON true
        LEFT JOIN {schema}.streams s ON s.stream_id = stream
        LEFT JOIN LATERAL (SELECT h.position + length(h.links) / 16 - 1 AS chain_end,
            substr(h.links, length(h.links) - 15, 16) AS link FROM {schema}.event_hashes h
            ORDER BY h.position DESC LIMIT 1) h ON true;
    end_position := COALESCE(end_position, 0);
    end_timestamp := COALESCE(end_timestamp, 0);
    written := false;
    IF COALESCE(head_type, kind) <> kind THEN
        RETURN;
    END IF;
    IF expected IS NOT NULL AND COALESCE(head_version, 0) <> expected THEN
        -- (a conflict, or a retried request whose events are in already: looked up by the
        -- event id's index whatever the planner knows of the table, where a join could be
        -- planned, on a new table, as a scan of every event)
        stored := EXISTS (SELECT 1 FROM {schema}.events s WHERE s.event_id = ANY (ARRAY(
            SELECT e ->> 0 FROM jsonb_array_elements(planned) AS e)));
        RETURN;
    END IF;
    IF end_position = 0 THEN
        link := ''::bytea;
    ELSIF chain_end IS DISTINCT FROM end_position THEN
        RETURN;  -- (the chain does not reach the log's end: the plain append links)
    END IF;
    moment := end_timestamp;
    FOR k IN 1..n LOOP
        moment := GREATEST(moment, (planned -> (k - 1) ->> 3)::bigint);
        link := substr(sha256(link || int8send(end_position + k)
            || int8send(COALESCE(head_version, 0) + k) || int8send(moment)
            || substr(digests, 16 * k - 15, 16)), 1, 16);
        links := links || link;
    END LOOP;
    WITH written_events AS (
        INSERT INTO {schema}.events (position, stream_id, stream_type, version, event_id,
                event_type, schema_version, timestamp, correlation_id, data, metadata)
            SELECT end_position + o, stream, kind, COALESCE(head_version, 0) + o, e ->> 0,
                    e ->> 1, (e ->> 2)::bigint,
                    GREATEST(end_timestamp, max((e ->> 3)::bigint) OVER (ORDER BY o)),
                    e ->> 4, e ->> 5, e ->> 6
                FROM jsonb_array_elements(planned) WITH ORDINALITY AS t(e, o)),
    written_links AS (
        INSERT INTO {schema}.event_hashes (position, links) VALUES (end_position + 1, links))
    INSERT INTO {schema}.streams AS s (stream_id, stream_type, version, first_position,
            last_position, last_timestamp)
        VALUES (stream, kind, COALESCE(head_version, 0) + n, end_position + 1,
            end_position + n, moment)
        ON CONFLICT (stream_id) DO UPDATE SET version = excluded.version,
            last_position = excluded.last_position, last_timestamp = excluded.last_timestamp;
    written := true;
END $body$"""

EARLIER = ("append_at_log_end",)
"""Earlier versions' server-side appends (the same parameters and answer, the same rows
written), newest first: called where this version's cannot be made."""


def call(function: str) -> str:
    """The statement calling the server-side append named `function`."""
    return (f"SELECT * FROM {function}(%s::BIGINT, %s::TEXT, %s::TEXT, %s::BIGINT, %s::TEXT, "
            "%b::BYTEA)")


CALL = call(FUNCTION)


def ensure_function(db: Any, schema_name: str, lock_class: int) -> str | None:
    """Make the server-side append in the store's schema if it is not there yet (once, however
    many processes open the store at once); the statement that calls it, or, for a role that may
    not create functions there, an earlier version's that the store has (None if none: it
    appends the plain way)."""
    exists = "SELECT to_regproc(%s) IS NOT NULL"
    qualified = f'"{schema_name}".{FUNCTION}'
    if db.execute(exists, (qualified,)).fetchone()[0]:
        return CALL
    db.execute("BEGIN")
    try:
        db.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (lock_class, schema_name))
        if not db.execute(exists, (qualified,)).fetchone()[0]:
            db.execute(_FUNCTION_SQL.format(name=qualified, schema=f'"{schema_name}"'))
        db.execute("COMMIT")
    except psycopg.errors.InsufficientPrivilege:
        db.execute("ROLLBACK")
        return next((call(name) for name in EARLIER if db.execute(
            exists, (f'"{schema_name}".{name}',)).fetchone()[0]), None)
    except BaseException:
        db.execute("ROLLBACK")
        raise
    return CALL


def parameters(lock: int, prep: Prepared) -> list[Any]:
    """CALL's parameters for one stream's prepared events."""
    return [lock, prep.stream_id, prep.stream_type, prep.expected_version,
            orjson.dumps([row[:7] for row in prep.rows]).decode(),
            chain.contents(prep.stream_id, prep.stream_type, prep.rows)]


class Answer(NamedTuple):
    """What the server-side append answered: the log's end and the stream's head it found
    under the lock, whether it wrote the events after them, and, refused on the stream's
    version, whether any of them is stored."""

    end_position: int
    end_timestamp: int
    head_type: str | None
    head_version: int | None
    written: bool
    stored: bool | None
