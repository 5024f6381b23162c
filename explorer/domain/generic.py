"""The generic fold: a stream's state when no loaded system knows its type.

Each event's data is merged into the state in order: keys replaced, nested objects merged, lists
replaced. It is not what the system itself would compute (its aggregates may ignore fields,
derive others, or keep nothing of an event); it is a faithful summary of what the events said,
labelled as such wherever it is shown, with the same diff of what the latest event changed.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from explorer.domain.aggregate import Aggregate

GENERIC_LABEL = "generic fold: each event's data merged in order (no system knows this type)"


def merge(state: dict[str, Any], data: dict[str, Any]) -> None:
    """Merge `data` into `state` in place: objects merge key by key, anything else replaces."""
    for key, value in data.items():
        current = state.get(key)
        if isinstance(value, dict) and isinstance(current, dict):
            merge(current, value)
        elif isinstance(value, dict):
            state[key] = _copy(value)
        else:
            state[key] = _copy(value) if isinstance(value, list) else value


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy(item) for item in value]
    return value


class GenericFold(Aggregate):
    """A stream of a type no loaded system knows, folded by `merge`. Read-only: it takes no
    commands and is never snapshotted."""

    snapshot_every = 0
    generic = True

    def __init__(self, stream_id: str) -> None:
        super().__init__(stream_id)
        self._fields: dict[str, Any] = {}

    def apply(self, event_type: str, data: dict[str, Any]) -> None:
        merge(self._fields, data)

    def state(self) -> dict[str, Any]:
        copied: dict[str, Any] = _copy(self._fields)
        return copied

    def restore(self, state: dict[str, Any]) -> None:
        raise ValueError("the generic fold is never snapshotted")


@cache
def generic_fold_for(stream_type: str) -> type[GenericFold]:
    """The generic fold class for one stream type (made once per type)."""
    return type(f"GenericFold[{stream_type}]", (GenericFold,), {"stream_type": stream_type})
