"""Projections: read models built asynchronously from the event log, versioned by position."""

from explorer.projections.database import ReadModelDatabase, read_model_path
from explorer.projections.engine import (
    Fault,
    Projection,
    ProjectionEngine,
    ProjectionError,
    ProjectionStatus,
    Writes,
    count_rows,
    projection_state_of,
    read_rows,
)
from explorer.projections.fulltext import FullTextIndex, SearchTextError, fulltext_path
from explorer.projections.search import SearchNotReadyError
from explorer.projections.versioned import (
    current_rows,
    rows_as_of,
    rows_changed_first,
    versioned_table,
)

__all__ = ["Fault", "FullTextIndex", "Projection", "ProjectionEngine", "ProjectionError",
           "ProjectionStatus", "ReadModelDatabase", "SearchNotReadyError", "SearchTextError",
           "Writes", "count_rows", "projection_state_of", "current_rows", "fulltext_path",
           "read_model_path", "read_rows", "rows_as_of", "rows_changed_first", "versioned_table"]
