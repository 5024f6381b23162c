"""What the tests of refusals on a server ask: what the server's catalog holds (to show that
nothing was made or changed), and the command line's one-line refusal."""

from __future__ import annotations

from tests.cli.running import run

CATALOG = """
SELECT 'schema', n.nspname, '' FROM pg_namespace n WHERE n.nspname = ANY(%(names)s)
UNION ALL
SELECT 'relation', n.nspname || '.' || c.relname, c.relkind::text FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ANY(%(names)s)
UNION ALL
SELECT 'function', n.nspname || '.' || p.proname, '' FROM pg_proc p
  JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = ANY(%(names)s)
UNION ALL
SELECT 'trigger', n.nspname || '.' || c.relname || '.' || g.tgname, '' FROM pg_trigger g
  JOIN pg_class c ON c.oid = g.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = ANY(%(names)s) AND NOT g.tgisinternal
"""


def catalog(admin, *schemas: str) -> set[tuple[str, str, str]]:
    """The schemas (those there), and their relations, functions and triggers."""
    return set(admin.execute(CATALOG, {"names": list(schemas)}).fetchall())


def refused_in_one_line(capsys, *args) -> str:
    """Run the command line, which must refuse in one line (no traceback): that line."""
    code, out, err = run(capsys, *args)
    assert code == 1, (out, err)
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert err.startswith("error: ")
    return err
