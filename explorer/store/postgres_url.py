"""Telling a store on a PostgreSQL server's URL from a file path, without loading the driver.

The window, the command line and the workspace ask this of every target they are given; the
driver (psycopg) is imported only when a server store is opened (explorer.store.postgres).
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeGuard

SCHEMES = ("postgresql", "postgres", "postgresql+psycopg")


def is_server_url(target: str | Path) -> TypeGuard[str]:
    """Whether `target` names a store on a PostgreSQL server rather than a file."""
    return isinstance(target, str) and "://" in target \
        and target.split("://", 1)[0].lower() in SCHEMES
