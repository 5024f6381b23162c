"""Packaging: every package is listed for setuptools, and resources ship as package data."""

from __future__ import annotations

import tomllib
from importlib.resources import files
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_package_is_listed_in_pyproject():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "explorer").rglob(
        "__init__.py")}
    assert found | {"explorer.resources"} == listed


def test_icons_and_the_desktop_file_are_package_data():
    resources = files("explorer.resources")
    icons = {p.name for p in resources.joinpath("icons").iterdir()}
    assert {"app.svg", "open.svg", "live.svg", "paused.svg"} <= icons
    assert "Exec=event-explorer" in resources.joinpath("event-explorer.desktop").read_text()
