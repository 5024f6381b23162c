"""The read models' own tables, whose names no projection may give one of its tables: making a
projection's tables again (when they changed shape) drops a table of its name, so a projection
table named `projection_state` would take every projection's checkpoint with it.
tests/projections/test_reserved_tables.py checks that these are all the tables a read-model file
holds besides the projections'."""

from __future__ import annotations

OWN_TABLES = frozenset({"projection_state", "projection_resets", "projection_feeds",
                        "runner_presence",
                        "readmodel_meta",
                        "timeline_buckets", "timeline_state", "timeline_event_types",
                        "timeline_stream_types"})
OWN_MARKS = ("__search", "__probe")
"""What the names of the tables made beside a projection's table hold (its search index and
SQLite's tables of that index, a probe of its indexes)."""


def reserved_table_name(name: str) -> str | None:
    """Why a projection may not name a table `name` (None: it may)."""
    lowered = name.lower()
    if lowered in OWN_TABLES:
        return "the read models' own table of that name"
    if lowered.startswith("sqlite_"):
        return "SQLite keeps its own tables under names starting sqlite_"
    mark = next((m for m in OWN_MARKS if m in lowered), None)
    if mark is not None:
        return f"names holding {mark} are the read models' own, beside a projection's table"
    return None
