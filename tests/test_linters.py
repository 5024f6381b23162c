"""The tools that keep the code tidy pass: ruff's rules (pyproject.toml's [tool.ruff]) on the whole
repository, and mypy (its [tool.mypy], strict) on the core. The test extra installs them, so the
test command runs them on a fresh clone, as test_architecture.py runs lint-imports."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOT_YET_TYPED = {"ui"}
"""Packages of explorer/ that mypy does not pass on yet (the Qt user interface)."""


def run_tool(name: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run a command the venv installed (next to its python), at the repository's root."""
    tool = Path(sys.executable).with_name(name)
    assert tool.exists(), f"{tool} is missing: install the test extra (pip install -e '.[test]')"
    return subprocess.run([str(tool), *args], capture_output=True, text=True, cwd=ROOT)


def test_ruff_finds_nothing():
    result = run_tool("ruff", "check", "--no-cache", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def core_modules() -> list[str]:
    """mypy's arguments for the explorer package and every subpackage not in NOT_YET_TYPED: a
    new package is checked without being listed here."""
    packages = sorted(path.parent.name for path in (ROOT / "explorer").glob("*/__init__.py"))
    modules = [f"explorer.{path.stem}" for path in sorted((ROOT / "explorer").glob("*.py"))]
    return [*(arg for module in modules for arg in ("-m", module.removesuffix(".__init__"))),
            *(arg for name in packages if name not in NOT_YET_TYPED
              for arg in ("-p", f"explorer.{name}"))]


def test_mypy_finds_nothing_in_the_core():
    arguments = core_modules()
    assert "explorer.store" in arguments and "explorer.ui" not in arguments
    result = run_tool("mypy", *arguments)
    assert result.returncode == 0, result.stdout + result.stderr
