"""The store's schema on a PostgreSQL server: the same tables (explorer.store.schema) in a schema
of their own, with what SQLite's triggers and markers do done the server's way.

- Integers are 64-bit, as SQLite's INTEGER is: `Integer` compiles to BIGINT for PostgreSQL (the
  columns, and the casts of bound values: a bound of 2**62 compared with a version is fine).
- The log is immutable: triggers refuse UPDATE, DELETE and TRUNCATE of events and their links.
- A commit adding events announces itself on the store's channel (LISTEN/NOTIFY) from a trigger,
  whoever wrote them: followers wake at once instead of polling.
- store_meta holds the schema marker and version that SQLite keeps in its file header.
- Store schema 3 (a server's own; files stay at schema.SCHEMA_VERSION): from the position
  store_meta's `server_links_from` names on, the server links the events, in the chain's server
  form (explorer.store.chain.ChainForm; see `postgres_append`). A store of schema 2 is moved to it
  when first opened for writing, and earlier versions, which link only the plain way, then
  refuse to open it.
"""

from __future__ import annotations

from typing import Any

import psycopg
import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles

from explorer.store import chain, schema
from explorer.store.errors import NotAStoreError

LOCK_CLASS = schema.APPLICATION_ID
"""The first key of the store's advisory locks ("EVX1"); the second names the table or schema."""
SCHEMA_VERSION = 3
"""The newest store schema on a server (see the module's docstring)."""


@compiles(sa.Integer, "postgresql")
def _integer_is_64_bit(type_: sa.Integer, compiler: Any, **kw: Any) -> str:
    return "BIGINT"


def triggers(schema_name: str) -> dict[str, str]:
    """Every trigger of the schema by name, its SQL as the server gives it back (for `check`:
    the table qualified by its schema, the function not)."""
    made = {"events_announce": (
        f"CREATE TRIGGER events_announce AFTER INSERT ON {schema_name}.events "
        "FOR EACH STATEMENT EXECUTE FUNCTION announce_events()")}
    for table in schema.IMMUTABLE_TABLES:
        on = f"{schema_name}.{table.name}"
        made[f"{table.name}_no_change"] = (
            f"CREATE TRIGGER {table.name}_no_change BEFORE DELETE OR UPDATE ON {on} "
            "FOR EACH ROW EXECUTE FUNCTION refuse_change()")
        made[f"{table.name}_no_truncate"] = (
            f"CREATE TRIGGER {table.name}_no_truncate BEFORE TRUNCATE ON {on} "
            "FOR EACH STATEMENT EXECUTE FUNCTION refuse_change()")
    return made


def text_literal(text: str) -> str:
    """`text` as an SQL string literal (for SQL written out, where no parameter can go)."""
    return "'" + text.replace("'", "''") + "'"


def exists(db: Any, schema_name: str) -> bool:
    """Whether the schema holds a store (its store_meta table)."""
    found = db.execute("SELECT to_regclass(%s)", (f'"{schema_name}".store_meta',)).fetchone()
    return found[0] is not None


def check_marker(db: Any, display: str) -> None:
    """Refuse a schema whose store_meta is not ours, or is of a newer version."""
    meta = dict(db.execute("SELECT key, value FROM store_meta").fetchall())
    if meta.get("schema") != schema.SCHEMA_NAME:
        raise NotAStoreError(
            f"{display} holds a store_meta table that is not an Event Explorer store's (schema "
            f"{meta.get('schema')!r}). Nothing was changed. Choose another ?schema=.")
    version = int(meta.get("schema_version", "0"))
    if version > SCHEMA_VERSION:
        raise NotAStoreError(
            f"{display} was written by a newer Event Explorer (store schema {version}; this "
            f"version reads up to {SCHEMA_VERSION}). Nothing was changed. Update Event "
            "Explorer to open it.")


def server_links(db: Any, log_lock: int) -> chain.ChainForm:
    """The store's chain form, moving a store of schema 2 to schema 3 first (its server links
    from the position after the log's end; set under the log's lock, so that no append falls
    between, and once, however many processes open it at once). A role that may not write
    store_meta leaves it as it is (plain links)."""
    asked = "SELECT value FROM store_meta WHERE key = %s"
    found = db.execute(asked, (chain.SERVER_LINKS_KEY,)).fetchone()
    if found is None:
        db.execute("BEGIN")
        try:
            db.execute("SELECT pg_advisory_xact_lock(%s)", (log_lock,))
            found = db.execute(asked, (chain.SERVER_LINKS_KEY,)).fetchone()
            if found is None:
                end = db.execute("SELECT COALESCE(max(position), 0) FROM events").fetchone()[0]
                found = (str(end + 1),)
                db.execute("INSERT INTO store_meta (key, value) VALUES (%s, %s)",
                           (chain.SERVER_LINKS_KEY, found[0]))
                db.execute("UPDATE store_meta SET value = %s WHERE key = 'schema_version'",
                           (str(SCHEMA_VERSION),))
            db.execute("COMMIT")
        except psycopg.errors.InsufficientPrivilege:
            db.execute("ROLLBACK")
            return chain.PLAIN
        except BaseException:
            db.execute("ROLLBACK")
            raise
    return chain.ChainForm(int(found[0]))


def create(db: Any, sa_connection: sa.Connection, schema_name: str, channel: str) -> None:
    """Make the store's schema and tables, once, even if several processes race to."""
    db.execute("BEGIN")
    try:
        db.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (LOCK_CLASS, schema_name))
        if exists(db, schema_name):  # another process made it first
            db.execute("COMMIT")
            return
        db.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema_name}"')
        schema.metadata.create_all(sa_connection)
        db.execute(_TRIGGER_FUNCTIONS.format(channel=text_literal(channel)))
        for statement in triggers(schema_name).values():
            db.execute(statement)
        sa_connection.execute(sa.insert(schema.store_meta), schema.first_meta())
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise


OBJECTS = """
SELECT 'table', c.relname, c.relname, NULL FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relkind = 'r'
UNION ALL
SELECT 'index', i.relname, t.relname, NULL FROM pg_index x
  JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
  JOIN pg_namespace n ON n.oid = t.relnamespace WHERE n.nspname = %s
UNION ALL
SELECT 'trigger', g.tgname, t.relname,
       pg_get_triggerdef(g.oid) || CASE WHEN g.tgenabled = 'D' THEN ' (disabled)' ELSE '' END
  FROM pg_trigger g
  JOIN pg_class t ON t.oid = g.tgrelid JOIN pg_namespace n ON n.oid = t.relnamespace
  WHERE n.nspname = %s AND NOT g.tgisinternal
"""
"""The schema's (type, name, table, SQL) as SQLite's sqlite_master lists its own."""

INDEX_COLUMNS = """
SELECT a.attname FROM pg_index x
  CROSS JOIN LATERAL unnest(x.indkey) WITH ORDINALITY AS k(attnum, n)
  JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum
  WHERE x.indexrelid = to_regclass(%s) ORDER BY k.n
"""

_TRIGGER_FUNCTIONS = """
CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
    RAISE EXCEPTION '% are immutable: the log is append-only', TG_TABLE_NAME;
END $body$;
CREATE FUNCTION announce_events() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
    PERFORM pg_notify({channel}, '');
    RETURN NULL;
END $body$;
"""
