"""The SQL that shows the `eventsourcing` library's tables as the store's own (see library_store).

The library's file is attached as `library`, read-only. TEMP views and tables carry the names of
the store's tables (explorer.store.schema), so every statement the store runs reads them as it
reads its own file: unqualified names find TEMP objects first.

- `streams` is a TEMP table, the derived stream index: built when first needed (a listing of
  streams, every match of a query; the window asks for it after the first page) by one
  grouped scan of the log's primary key (originator id, version; the rowid rides along in it),
  extended by notification id as events arrive; it also maps each originator id (32 hex digits)
  to the stream id shown (a UUID with dashes), so a stream's events are found through the
  log's key.
- `events` shows the log up to `index_mark` (the last notification id shown). Until the index
  is built it is the log alone (`unindexed_events_view`): each row's stream id and type are
  computed from the row (its type from its stream's first event, one lookup by the log's key),
  so the newest or oldest events are read by notification id without reading the whole log;
  one stream is read meanwhile through the log's key (its row listed alone, `index_one_statement`,
  and `events` joined to it for the read). Once it is built, `events` joins the log to it
  (`indexed_events_view`), and `index_mark` is the last notification id indexed, so the log
  never shows an event whose stream is not listed yet: new events appear together with their
  streams, never leaving a gap a reader has paged past.
Columns are computed by Python functions registered on the connection (`es_*`), except in the
statements that build the stream index: there the stream id, stream type and (for the library's
own plain states) the timestamp are computed in SQL (`stream_id_sql`, ...), so the index of the
library's usual files is built calling no Python: SQLite scans the log while the interpreter's
lock is free, and the window's thread never waits for it. (Read row by row, the events' data
and metadata call Python anyway, and the SQL forms cost more than the calls: a quarter of
reading the whole log.) A state is handed to them as the bytes it is (CAST AS BLOB), so that one
stored as text that is not UTF-8 is one unreadable event, not a failed read.
"""

from __future__ import annotations

from explorer.store.foreign.layout import LibraryLayout

LIBRARY = "library"
"""The schema name the library's file is attached as."""


def _split(text: str, mark: str) -> str:
    """SQL for the JSON array of `text` split at each `mark` (its quotes and backslashes
    escaped; json_valid says whether it is one: a control character is not escaped)."""
    escaped = f"""replace(replace({text}, '\\', '\\\\'), '"', '\\"')"""
    return f"""('["' || replace({escaped}, '{mark}', '","') || '"]')"""


def stream_id_sql(column: str) -> str:
    """The stream id shown for the originator id in `column`: a UUID stored as 32 hex digits
    with its dashes (in lower case, as UUID shows it); any other id as it is."""
    dashed = " || '-' || ".join(f"substr(t, {start}, {length})" for start, length in
                                ((1, 8), (9, 4), (13, 4), (17, 4), (21, 12)))
    return (f"(SELECT CASE WHEN length(t) = 32 AND t NOT GLOB '*[^0-9a-fA-F]*' "
            f"THEN lower({dashed}) ELSE t END "
            f"FROM (SELECT coalesce(CAST({column} AS TEXT), 'None') AS t))")


def _of_qualname(topic: str, named: str, fallback: str) -> str:
    """SQL naming what a topic (`module:qualname`) is: `named` of the qualname `q` (after the
    last colon); a topic SQL cannot split (a control character in it) by `fallback`."""
    return (f"(SELECT CASE WHEN json_valid(a) THEN (SELECT {named} "
            f"FROM (SELECT json_extract(a, '$[#-1]') AS q)) ELSE {fallback}(t) END "
            f"FROM (SELECT t, {_split('t', ':')} AS a FROM (SELECT CAST({topic} AS TEXT) AS t)))")


def stream_type_sql(topic: str) -> str:
    """`pkg.mod:Account.Credited` -> `Account` (the aggregate class the event is nested in)."""
    owner = f"json_extract({_split('q', '.')}, '$[#-2]')"
    return _of_qualname(topic, f"coalesce(nullif({owner}, ''), nullif(q, ''), '?')",
                        "es_stream_type")


def event_type_sql(topic: str) -> str:
    """`pkg.mod:Account.Credited` -> `Credited`."""
    name = f"json_extract({_split('q', '.')}, '$[#-1]')"
    return _of_qualname(topic, f"coalesce(nullif({name}, ''), '?')", "es_event_type")


_PLAIN_TIMESTAMP = '{"timestamp":{"_type_":"datetime_iso","_data_":"'
_ISO_WITH_OFFSET = ("[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]"
                    ".[0-9][0-9][0-9][0-9][0-9][0-9][+-][0-9][0-9]:[0-9][0-9]")


def timestamp_sql(state: str) -> str:
    """When the event of the stored `state` happened, in microseconds: computed in SQL from a
    plain state as the library writes it (its timestamp first, an aware datetime with
    microseconds), else by the state reader (`es_timestamp`: compressed, encrypted or other
    states). The state is checked to be JSON, the date and time valid (SQLite would move 31
    February on) and the fraction added apart, so the value is exactly the reader's."""
    start = len(_PLAIN_TIMESTAMP) + 1
    return (f"coalesce((SELECT CASE WHEN d GLOB '{_ISO_WITH_OFFSET}' "
            "AND substr(d, 1, 4) > '0000' AND substr(d, 28, 2) < '24' "
            "AND substr(d, 31, 2) < '60' "
            "AND datetime(substr(d, 1, 19), '+0 seconds') = replace(substr(d, 1, 19), 'T', ' ') "
            "THEN CAST(strftime('%s', substr(d, 1, 19) || substr(d, 27)) AS INTEGER) * 1000000 "
            "+ CAST(substr(d, 21, 6) AS INTEGER) END "
            f"FROM (SELECT CASE WHEN CAST(substr({state}, 1, {start - 1}) AS TEXT) = "
            f"'{_PLAIN_TIMESTAMP}' AND CAST(substr({state}, {start + 32}, 1) AS TEXT) = '\"' "
            f"AND json_valid(CAST({state} AS TEXT)) "
            f"THEN CAST(substr({state}, {start}, 32) AS TEXT) END AS d)), "
            f"es_timestamp(CAST({state} AS BLOB)))")


def create_statements(layout: LibraryLayout) -> list[str]:
    """Everything made on open, in order."""
    log = f'{LIBRARY}."{layout.events_table}"'
    made = [
        "CREATE TEMP TABLE index_mark (last INTEGER NOT NULL)",
        "INSERT INTO temp.index_mark VALUES (0)",
        "CREATE TEMP TABLE streams (stream_id TEXT PRIMARY KEY, stream_type TEXT NOT NULL, "
        "version INTEGER NOT NULL, first_position INTEGER NOT NULL, "
        "last_position INTEGER NOT NULL, last_timestamp INTEGER NOT NULL, "
        "originator_id TEXT NOT NULL UNIQUE, events INTEGER NOT NULL) WITHOUT ROWID",
        "CREATE INDEX temp.ix_streams_type ON streams (stream_type, stream_id)",
        "CREATE TEMP TABLE event_topics (topic TEXT PRIMARY KEY, event_type TEXT NOT NULL) "
        "WITHOUT ROWID",
        "CREATE TEMP TABLE topics_mark (last INTEGER NOT NULL)",
        "INSERT INTO temp.topics_mark VALUES (0)",
        "CREATE TEMP TABLE store_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID",
        "CREATE TEMP TABLE event_hashes (position INTEGER PRIMARY KEY, links BLOB NOT NULL)",
        unindexed_events_view(layout),
    ]
    if layout.snapshots_table:
        made.append(f"""CREATE TEMP VIEW snapshots AS SELECT
              s.stream_id AS stream_id, x.originator_version AS version,
              s.stream_type AS stream_type,
              coalesce((SELECT e.rowid FROM {log} AS e WHERE e.originator_id = x.originator_id
                        AND e.originator_version = x.originator_version), 0) AS position,
              es_timestamp(CAST(x.state AS BLOB)) AS timestamp, 1 AS state_version,
              es_snapshot(CAST(x.state AS BLOB)) AS state,
              es_timestamp(CAST(x.state AS BLOB)) AS taken_at
            FROM {LIBRARY}."{layout.snapshots_table}" AS x
            JOIN temp.streams AS s ON s.originator_id = x.originator_id""")
    else:
        made.append("CREATE TEMP TABLE snapshots (stream_id TEXT, version INTEGER, "
                    "stream_type TEXT, position INTEGER, timestamp INTEGER, "
                    "state_version INTEGER, state TEXT, taken_at INTEGER)")
    if layout.tracking_table:
        made.append(f"""CREATE TEMP VIEW process_checkpoints AS SELECT
              application_name AS name, max(notification_id) AS position, 0 AS updated_at
            FROM {LIBRARY}."{layout.tracking_table}" GROUP BY application_name""")
    else:
        made.append("CREATE TEMP TABLE process_checkpoints (name TEXT PRIMARY KEY, "
                    "position INTEGER NOT NULL, updated_at INTEGER NOT NULL)")
    return made


def unindexed_events_view(layout: LibraryLayout) -> str:
    """`events` before the stream index is built: the log alone, up to `index_mark`."""
    log = f'{LIBRARY}."{layout.events_table}"'
    first_topic = (f"(SELECT f.topic FROM {log} AS f WHERE f.originator_id = e.originator_id "
                   "ORDER BY f.originator_version LIMIT 1)")
    return f"""CREATE TEMP VIEW events AS SELECT
              e.rowid AS position, es_stream_id(e.originator_id) AS stream_id,
              es_stream_type({first_topic}) AS stream_type,
              e.originator_version AS version,
              es_stream_id(e.originator_id) || ':' || e.originator_version AS event_id,
              es_event_type(e.topic) AS event_type, 1 AS schema_version,
              es_timestamp(CAST(e.state AS BLOB)) AS timestamp, NULL AS correlation_id,
              es_data(CAST(e.state AS BLOB)) AS data,
              es_metadata(e.topic, CAST(e.state AS BLOB)) AS metadata
            FROM {log} AS e
            WHERE e.rowid <= (SELECT last FROM temp.index_mark)"""


def stored_ids(stream_id: str) -> dict[str, str]:
    """The originator ids the stream id shown as `stream_id` may be stored as: as shown, or a
    UUID shown with dashes stored as its 32 hex digits (in either case)."""
    hex_digits = stream_id.replace("-", "") if len(stream_id) == 36 else stream_id
    return {"raw": stream_id, "hex": hex_digits.lower(), "upper_hex": hex_digits.upper(),
            "stream_id": stream_id}


def index_one_statement(layout: LibraryLayout) -> str:
    """List the stream whose id shown is :stream_id (stored as `stored_ids` gives), up to
    notification id :upto: its entries of the log's key and two lookups by rowid."""
    log = f'{LIBRARY}."{layout.events_table}"'
    return f"""INSERT OR IGNORE INTO temp.streams (stream_id, stream_type, version,
            first_position, last_position, last_timestamp, originator_id, events)
        SELECT {stream_id_sql("g.originator_id")}, {stream_type_sql("f.topic")}, g.version,
               g.first, g.last, {timestamp_sql("l.state")}, g.originator_id, g.events
        FROM (SELECT originator_id, max(originator_version) AS version, min(rowid) AS first,
                     max(rowid) AS last, count(*) AS events
              FROM {log} WHERE originator_id IN (:raw, :hex, :upper_hex)
                AND {stream_id_sql("originator_id")} = :stream_id AND rowid <= :upto
              GROUP BY originator_id) AS g
        JOIN {log} AS f ON f.rowid = g.first JOIN {log} AS l ON l.rowid = g.last"""


def indexed_events_view(layout: LibraryLayout) -> list[str]:
    """Make `events` the log joined to the stream index, once that is built."""
    log = f'{LIBRARY}."{layout.events_table}"'
    return ["DROP VIEW temp.events", f"""CREATE TEMP VIEW events AS SELECT
              e.rowid AS position, s.stream_id AS stream_id, s.stream_type AS stream_type,
              e.originator_version AS version,
              s.stream_id || ':' || e.originator_version AS event_id,
              es_event_type(e.topic) AS event_type, 1 AS schema_version,
              es_timestamp(CAST(e.state AS BLOB)) AS timestamp, NULL AS correlation_id,
              es_data(CAST(e.state AS BLOB)) AS data,
              es_metadata(e.topic, CAST(e.state AS BLOB)) AS metadata
            FROM {log} AS e JOIN temp.streams AS s ON s.originator_id = e.originator_id
            WHERE e.rowid <= (SELECT last FROM temp.index_mark)"""]


def index_statement(layout: LibraryLayout, *, whole: bool) -> str:
    """Add (or move on) the streams of the events after notification id :after up to :upto.

    One grouped scan; each stream's type comes from its first event's topic, its last timestamp
    from its last event (two lookups by rowid a stream). The `whole` log is scanned through its
    primary key's index, which holds every column the scan needs in stream order (no sort, no
    state read) and takes every row (read in the same transaction as :upto, the log's end, so
    it holds nothing after it: testing each row's rowid would cost a third of the scan); the few
    events appended since, by their rowids."""
    log = f'{LIBRARY}."{layout.events_table}"'
    scanned = (f'{log} INDEXED BY "{layout.key_index}"' if whole and layout.key_index
               else log)
    rows = "" if whole else "WHERE rowid > :after AND rowid <= :upto"
    return f"""INSERT INTO temp.streams (stream_id, stream_type, version, first_position,
                                         last_position, last_timestamp, originator_id, events)
        SELECT {stream_id_sql("g.originator_id")}, {stream_type_sql("f.topic")}, g.version,
               g.first, g.last, {timestamp_sql("l.state")}, g.originator_id, g.events
        FROM (SELECT originator_id, max(originator_version) AS version, min(rowid) AS first,
                     max(rowid) AS last, count(*) AS events
              FROM {scanned} {rows}
              GROUP BY originator_id) AS g
        JOIN {log} AS f ON f.rowid = g.first JOIN {log} AS l ON l.rowid = g.last
        WHERE true
        ON CONFLICT (originator_id) DO UPDATE SET version = max(version, excluded.version),
            last_position = max(last_position, excluded.last_position),
            last_timestamp = excluded.last_timestamp, events = events + excluded.events"""


def topics_statement(layout: LibraryLayout) -> str:
    """Add the event types of the events after notification id :after up to :upto (the type
    named once a distinct topic, not once an event: a quarter of the time on a million)."""
    return f"""INSERT OR IGNORE INTO temp.event_topics (topic, event_type)
        SELECT topic, {event_type_sql("topic")} FROM (
            SELECT DISTINCT topic FROM {LIBRARY}."{layout.events_table}"
            WHERE rowid > :after AND rowid <= :upto)"""


STREAM_ROWS = "SELECT * FROM temp.streams"
INSERT_STREAM_ROWS = "INSERT INTO temp.streams VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
TOPIC_ROWS = "SELECT * FROM temp.event_topics"
INSERT_TOPIC_ROWS = "INSERT OR IGNORE INTO temp.event_topics VALUES (?, ?)"


def last_rowid_statement(layout: LibraryLayout) -> str:
    return f'SELECT max(rowid) FROM {LIBRARY}."{layout.events_table}"'
