"""Fixtures for the system tests: modules written on the path, as a user's system is."""

from __future__ import annotations

import sys
import textwrap

import pytest


@pytest.fixture
def module(tmp_path, monkeypatch):
    """Write a module on the path; its name is returned, and it is forgotten afterwards."""
    made: list[str] = []

    def write(name: str, source: str) -> str:
        (tmp_path / f"{name}.py").write_text(textwrap.dedent(source))
        made.append(name)
        return name

    monkeypatch.syspath_prepend(str(tmp_path))
    yield write
    for name in made:
        sys.modules.pop(name, None)
