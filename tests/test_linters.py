"""The tools that keep the code tidy pass: ruff's rules (pyproject.toml's [tool.ruff]) on the whole
repository, and mypy (its [tool.mypy]: strict on the core, the user interface without required
annotations) on the whole package. The test extra installs them, so the test command runs them on
a fresh clone, as test_architecture.py runs lint-imports."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_tool(name: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run a command the venv installed (next to its python), at the repository's root."""
    tool = Path(sys.executable).with_name(name)
    assert tool.exists(), f"{tool} is missing: install the test extra (pip install -e '.[test]')"
    return subprocess.run([str(tool), *args], capture_output=True, text=True, cwd=ROOT)


def test_ruff_finds_nothing():
    result = run_tool("ruff", "check", "--no-cache", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_finds_nothing():
    """The whole package, the Qt user interface too: strict on the core, explorer.ui checked
    without requiring annotations (pyproject.toml's [tool.mypy] and its overrides)."""
    result = run_tool("mypy", "-p", "explorer")
    assert result.returncode == 0, result.stdout + result.stderr
