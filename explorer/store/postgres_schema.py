"""The store's schema on a PostgreSQL server: the same tables (explorer.store.schema) in a schema
of their own, with what SQLite's triggers and markers do done the server's way.

- Integers are 64-bit, as SQLite's INTEGER is: `Integer` compiles to BIGINT for PostgreSQL (the
  columns, and the casts of bound values: a bound of 2**62 compared with a version is fine).
- Texts order by their bytes, as SQLite's do: every text column made here (the store's, the
  read models') is COLLATE "C", whatever the database's collation.
- The log is immutable: triggers refuse UPDATE, DELETE and TRUNCATE of events and their links.
- A commit adding events announces itself on the store's channel (LISTEN/NOTIFY) from a trigger,
  whoever wrote them: followers wake at once instead of polling.
- A store is made only in a new or empty schema, or one holding nothing but a store's tables:
  never beside another application's tables (its own table named `events`, say, would get our
  triggers), and never in a schema named as a store's read models' (NAME_readmodels).
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
from sqlalchemy.schema import CreateColumn

from explorer.store import chain, schema
from explorer.store.errors import NotAStoreError
from explorer.store.postgres_location import READ_MODELS_SUFFIX

LOCK_CLASS = schema.APPLICATION_ID
"""The first key of the store's advisory locks ("EVX1"); the second names the table or schema."""
SCHEMA_VERSION = 3
"""The newest store schema on a server (see the module's docstring)."""


@compiles(sa.Integer, "postgresql")
def _integer_is_64_bit(type_: sa.Integer, compiler: Any, **kw: Any) -> str:
    return "BIGINT"


@compiles(CreateColumn, "postgresql")
def _text_in_byte_order(create: CreateColumn, compiler: Any, **kw: Any) -> str | None:
    """A text column made on the server (a read model's, declared sa.Text) orders by its
    bytes, as the store's own (schema.Text) and as SQLite's: rows listed in key order are then
    in the same order on both backends, and the column's indexes serve that order
    (portable_sql.in_byte_order asks for it, whatever the database's collation)."""
    made: str | None = compiler.visit_create_column(create, **kw)
    column = create.element
    kind = column.type
    if made is None or not isinstance(kind, sa.String) or isinstance(kind, sa.Enum):
        return made
    head = (f"{compiler.preparer.format_column(column)} "
            + compiler.dialect.type_compiler_instance.process(
                kind, type_expression=column, identifier_preparer=compiler.preparer))
    if "COLLATE" in head or not made.startswith(head):  # (a collation of its own: kept)
        return made
    return f'{head} COLLATE "C"{made[len(head):]}'


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


TABLES = """
SELECT c.relname, c.relkind IN ('r', 'p'),
       array_agg(a.attname::text ORDER BY a.attnum) FILTER (WHERE a.attname IS NOT NULL)
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
  WHERE n.nspname = %s AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
  GROUP BY c.relname, c.relkind ORDER BY c.relname
"""
"""The schema's tables and views: each one's name, whether it is a table, and its columns."""
SHOWN_TABLES = 8
"""At most this many of a schema's other tables are named when refusing it."""
OWN_COLUMNS = {table.name: frozenset(table.columns.keys())
               for table in schema.metadata.tables.values()}


def schema_tables(db: Any, schema_name: str) -> dict[str, tuple[bool, list[str]]]:
    """The schema's tables and views by name: whether a table, and its columns (none when the
    schema is not there)."""
    return {name: (is_table, list(columns or ())) for name, is_table, columns
            in db.execute(TABLES, (schema_name,)).fetchall()}


def foreign_tables(tables: dict[str, tuple[bool, list[str]]]) -> list[str]:
    """The tables (and views) of `tables` that are not a store's, each said: named otherwise,
    or named as one of ours without its columns (a view, or a table of another application)."""
    said = []
    for name, (is_table, columns) in tables.items():
        ours = OWN_COLUMNS.get(name)
        if ours is None:
            said.append(name if is_table else f"{name} (a view)")
        elif not is_table or not ours <= set(columns):
            said.append(f"{name} ({'a view, ' if not is_table else ''}columns "
                        f"{', '.join(columns) or 'none'})")
    return said


def refuse_foreign(tables: dict[str, tuple[bool, list[str]]], schema_name: str, display: str,
                   *, creating: bool) -> None:
    """NotAStoreError if the schema holds tables (or views) not a store's: a store is never
    made beside another application's tables, nor read from them."""
    foreign = foreign_tables(tables)
    if not foreign:
        return
    base = schema_name.removesuffix(READ_MODELS_SUFFIX)
    whose = f", the read models of the store in the schema {base}" if base != schema_name else ""
    more = f"; and {len(foreign) - SHOWN_TABLES} more" if len(foreign) > SHOWN_TABLES else ""
    listed = f"{'; '.join(foreign[:SHOWN_TABLES])}{more}{whose}"
    if creating:
        raise NotAStoreError(
            f"Cannot make a store in the schema {schema_name} of {display}: it holds tables "
            f"that are not a store's ({listed}). Nothing was created. Choose another schema, "
            "a new or empty one (?schema=NAME).")
    raise NotAStoreError(
        f"{display} is not an Event Explorer store: the schema {schema_name} holds tables that "
        f"are not a store's ({listed}). Nothing was changed. Check the URL's ?schema=.")


def refuse_read_models_schema(schema_name: str, display: str) -> None:
    """NotAStoreError for a new store in a schema named as the read models' of another."""
    base = schema_name.removesuffix(READ_MODELS_SUFFIX)
    if base != schema_name:
        raise NotAStoreError(
            f"Cannot make a store in the schema {schema_name} of {display}: a schema named "
            f"NAME{READ_MODELS_SUFFIX} holds the read models of the store in the schema NAME "
            f"(here {base}). Nothing was created. Choose another schema (?schema=NAME).")


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


def create(db: Any, sa_connection: sa.Connection, schema_name: str, channel: str,
           display: str) -> None:
    """Make the store's schema and tables, once, even if several processes race to; refused
    (NotAStoreError, nothing made) where the schema holds tables that are not a store's, or
    is named as a store's read models' schema."""
    db.execute("BEGIN")
    try:
        db.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (LOCK_CLASS, schema_name))
        tables = schema_tables(db, schema_name)
        if "store_meta" in tables:  # another process made it first
            db.execute("COMMIT")
            return
        refuse_foreign(tables, schema_name, display, creating=True)
        refuse_read_models_schema(schema_name, display)
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
