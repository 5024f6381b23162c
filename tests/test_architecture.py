"""The core (store, domain, demo, CLI) stays free of Qt, and the engine names no concrete
system: checked statically (import-linter, grep) and at run time."""

from __future__ import annotations

import argparse
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import explorer

ROOT = Path(__file__).resolve().parents[1]
QT_PACKAGES = ("PySide6", "pyqtgraph", "shiboken6")


def core_modules() -> list[str]:
    return [m.name for m in pkgutil.walk_packages(explorer.__path__, "explorer.")
            if not m.name.startswith("explorer.ui") and not m.name.endswith("__main__")]


def test_the_import_contracts_hold():
    lint_imports = Path(sys.executable).with_name("lint-imports")  # import-linter's command
    result = subprocess.run([str(lint_imports), "--no-cache"], capture_output=True, text=True,
                            cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "KEPT" in result.stdout and "BROKEN" not in result.stdout


def test_importing_every_core_module_loads_no_qt():
    modules = core_modules()
    assert "explorer.store.event_store" in modules and "explorer.cli.main" in modules
    code = (f"import importlib, sys\nfor name in {modules!r}:\n    importlib.import_module(name)\n"
            f"print(sorted(m for m in sys.modules if m.split('.')[0] in {QT_PACKAGES!r}))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=ROOT, check=True)
    assert result.stdout.strip() == "[]"


SYSTEM_ROOTS = {"explorer/cli/main.py", "explorer/cli/systems.py", "explorer/ui/app.py"}
"""The composition roots: the only modules besides the plug-in itself that may name the demo."""


def test_only_the_roots_and_the_plug_in_name_the_demo_shop():
    found = subprocess.run(["grep", "-rnI", "explorer.demo", "explorer"], capture_output=True,
                           text=True, cwd=ROOT)
    assert found.returncode in (0, 1), found.stderr  # 1: no line at all
    files = {line.split(":", 1)[0] for line in found.stdout.splitlines()}
    assert {f for f in files if not f.startswith("explorer/demo/")} <= SYSTEM_ROOTS, \
        found.stdout
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert 'shop = "explorer.demo.system:SHOP"' in pyproject  # registered like any system


def test_importing_the_engine_loads_no_concrete_system():
    modules = [m for m in core_modules() if not m.startswith("explorer.demo")
               and m.replace(".", "/") + ".py" not in SYSTEM_ROOTS]
    assert "explorer.runtime.runner" in modules and "explorer.cli.handlers" in modules
    code = (f"import importlib, sys\nfor name in {modules!r}:\n    importlib.import_module(name)\n"
            "print(sorted(m for m in sys.modules if m.startswith('explorer.demo')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=ROOT, check=True)
    assert result.stdout.strip() == "[]"


DEMO_SUBCOMMANDS = {"seed", "commands"}
"""Subcommands whose help is about the demo shop itself: they use it unless told otherwise."""
SHOP_IDS = ("order_", "cust_", "prod_", "pay_", "txn_", "fulfilment-")
"""How the demo shop's stream ids begin (order_0870, prod_101, ...)."""


def shop_names() -> re.Pattern[str]:
    """What names the demo shop in a text: its aggregate types, its commands' and fields' names
    with an underscore, its read models' and sagas' names, its ids, 'shop'; its commands' plain
    names (place, ship) where they are given as examples. 'the demo shop' names it as the demo."""
    from explorer.demo.system import SHOP
    from explorer.domain.forms import form_of

    domain = SHOP.domain
    commands = {name for named in domain.commands.values() for name in named}
    fields = {spec.name for named in domain.commands.values() for command in named.values()
              for spec in form_of(command)}
    named = {*domain.aggregates, *(p.name for p in SHOP.projections() if p.name != "sagas"),
             *(saga.name for saga in SHOP.sagas), *(n for n in commands | fields if "_" in n)}
    plain = sorted(n for n in commands if "_" not in n)
    return re.compile(
        r"(?<!demo )\bshop\b"
        rf"|\b(?:{'|'.join(map(re.escape, sorted(named)))})\b"
        rf"|\b(?:{'|'.join(map(re.escape, SHOP_IDS))})\w*"
        rf"|(?:e\.g\.|such as|,|`|')\s*(?:{'|'.join(plain)})\b")


def test_the_command_lines_help_names_no_concrete_system():
    """The engine's help gives generic examples (<StreamType>, account-17), not the demo shop's
    (Order, order_789, place), except where it is about the demo (seed)."""
    from explorer.cli.main import build_parser

    names = shop_names()
    assert names.search("STREAM_ID e.g. order_789 COMMAND e.g. place, ship")
    assert not names.search("defaults to the demo shop; put it in place")
    found = []
    parsers = [("", build_parser())]
    while parsers:
        prefix, parser = parsers.pop()
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                parsers.extend((f"{prefix} {name}".strip(), sub)
                               for name, sub in action.choices.items()
                               if name not in DEMO_SUBCOMMANDS)
        text = " ".join(parser.format_help().split())
        found += [f"{prefix}: …{text[max(0, m.start() - 50):m.end() + 20]}…"
                  for m in names.finditer(text)]
    assert found == [], "\n".join(found)
