"""The tests of this folder are about a PostgreSQL server (its fixtures: tests/backends.py):
each test with a schema of its own, and the user's cache folder its own."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _private_cache(private_cache: None) -> None:
    """A server store's read models opened read-only live in the cache folder: the test's."""
