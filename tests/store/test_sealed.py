"""The store is sealed: SQL on its tables lives in explorer/store alone.

Code above the store asks EventStore for what it needs (pages, positions, samples, steps,
branches), so that a second backend implements one package. Outside explorer/store no module
imports the store's tables or statements, or calls a private member of EventStore; none builds
SQL text on the store's tables; and only explorer/projections, which keeps a SQLite file of its
own (the read models), uses the SQLite backend's connection helpers and compiled statements.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from explorer.store import EventStore, schema
from explorer.store.query import EventQuery

ROOT = Path(__file__).resolve().parents[2]

STORE_INTERNALS = ("explorer.store.schema", "explorer.store.statements",
                   "explorer.store.navigation", "explorer.store.branching", "explorer.store.chain")
"""Modules of the store that only the store may import."""
SQL_HELPERS = ("explorer.store.compiled", "explorer.store.damage", "explorer.store.sqlite")
"""Modules that only the store and the read-model database (explorer/projections) may import."""
STORE_TABLES = frozenset(schema.metadata.tables)
SQL_ON_STORE_TABLES = re.compile(
    r"\b(?:FROM|INTO|JOIN|UPDATE|TABLE)\s+(?:\w+\.)?\"?(" + "|".join(sorted(STORE_TABLES))
    + r")\b\"?")
"""SQL text naming a store table (keywords in capitals, as the project writes SQL)."""


def modules(*folders: str, root: Path = ROOT) -> list[Path]:
    found = []
    for folder in folders:
        found.extend(path for path in sorted((root / folder).rglob("*.py"))
                     if not path.relative_to(root).as_posix().startswith("explorer/store/"))
    return found


def imported(tree: ast.AST) -> set[str]:
    """Every module a module imports, with each `from X import Y` also as X.Y."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def private_store_members(tmp_path: Path) -> frozenset[str]:
    """The names of EventStore's private methods and attributes (those of an open store too)
    and of EventQuery's (its SQL)."""
    with EventStore.open(tmp_path / "members.evstore", create=True) as store:
        names = set(dir(store)) | set(vars(store)) | set(dir(EventQuery))
    return frozenset(n for n in names if n.startswith("_") and not n.startswith("__"))


def violations(root: Path, private: frozenset[str]) -> list[str]:
    """What breaks the seal in the tree at `root`, one line each."""
    found = []
    for path in modules("explorer", "bench", root=root) + [root / "main.py"]:
        where = path.relative_to(root).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"), where)
        names = imported(tree)
        for module in STORE_INTERNALS:
            if module in names:
                found.append(f"{where} imports {module}")
        if not where.startswith("explorer/projections/"):
            for module in SQL_HELPERS:
                if module in names:
                    found.append(f"{where} imports {module}")
        for node in ast.walk(tree):
            on_itself = isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                and node.value.id in ("self", "cls")
            if isinstance(node, ast.Attribute) and node.attr in private and not on_itself:
                found.append(f"{where}:{node.lineno} uses the store's private {node.attr}")
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("table", "text") and node.args
                    and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)
                    and (node.args[0].value in STORE_TABLES
                         or SQL_ON_STORE_TABLES.search(node.args[0].value))):
                found.append(f"{where}:{node.lineno} builds SQL on {node.args[0].value!r}")
            if (where.startswith("explorer/") and isinstance(node, ast.Constant)
                    and isinstance(node.value, str)):
                match = SQL_ON_STORE_TABLES.search(node.value)
                if match:
                    found.append(f"{where}:{node.lineno} has SQL on the store's table "
                                 f"{match.group(1)}")
    return found


def test_nothing_outside_the_store_builds_sql_on_its_tables(tmp_path):
    assert violations(ROOT, private_store_members(tmp_path)) == []


def test_raw_access_is_private():
    assert not hasattr(EventStore, "execute"), \
        "EventStore.execute is raw access to the store's tables: ask the store a question instead"
    for sql in ("select", "count", "positions", "where"):
        assert not hasattr(EventQuery, sql), f"EventQuery.{sql} is the store's SQL: keep it private"


@pytest.mark.parametrize("source, expected", [
    ("from explorer.store.schema import events\n", "imports explorer.store.schema"),
    ("from explorer.store import statements\n", "imports explorer.store.statements"),
    ("from explorer.store.sqlite import read_only_uri\n", "imports explorer.store.sqlite"),
    ("def f(store):\n    return store._execute(None)\n", "private _execute"),
    ("def f(store):\n    return store._db\n", "private _db"),
    ("def f(query):\n    return query._select(limit=5)\n", "private _select"),
    ("SQL = 'SELECT position FROM events WHERE 1'\n", "table events"),
    ('SQL = "INSERT INTO source.snapshots SELECT 1"\n', "table snapshots"),
    ("import sqlalchemy as sa\nT = sa.table('streams')\n", "builds SQL on 'streams'"),
])
def test_the_seal_sees_each_way_around_it(tmp_path, source, expected):
    (tmp_path / "explorer" / "ui").mkdir(parents=True)
    (tmp_path / "explorer" / "ui" / "sneaky.py").write_text(source)
    (tmp_path / "bench").mkdir()
    (tmp_path / "main.py").write_text("")
    found = violations(tmp_path, private_store_members(tmp_path))
    assert len(found) >= 1 and all(expected in line for line in found), found


def test_the_seal_lets_prose_and_the_read_models_be(tmp_path):
    (tmp_path / "explorer" / "projections").mkdir(parents=True)
    (tmp_path / "explorer" / "projections" / "ours.py").write_text(
        '"""Read models are built from events, in order."""\n'
        "from explorer.store.compiled import CompiledStatement\n"
        "SQL = 'SELECT checkpoint FROM projection_state'\n")
    (tmp_path / "bench").mkdir()
    (tmp_path / "main.py").write_text("class A:\n    def f(self):\n        return self._db\n")
    assert violations(tmp_path, private_store_members(tmp_path)) == []
