"""Event types known to a reader, their current schema versions and the upcasters between them.

Stored rows are never rewritten. A reader migrates an old event on read through a chain of
upcasters, one per version step (v1 to v2, v2 to v3, ...), and keeps the stored form beside it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]


class UpcastError(Exception):
    """An event could not be brought to its current schema version; the message says why."""


@dataclass(slots=True)
class EventTypeSpec:
    """One event type: its name, its stream type, its current schema version and upcasters."""

    name: str
    stream_type: str | None = None
    version: int = 1
    description: str = ""
    upcasters: dict[int, Upcaster] = field(default_factory=dict)


class EventRegistry:
    """The event types a reader understands.

    A registry is strict: rows of a type it does not know are returned as raw events. Readers
    given no registry at all decode every row's JSON as stored.
    """

    def __init__(self) -> None:
        self._specs: dict[str, EventTypeSpec] = {}
        self.current_versions: dict[str, int] = {}

    def register(self, name: str, *, stream_type: str | None = None, version: int = 1,
                 description: str = "") -> EventTypeSpec:
        if name in self._specs:
            raise ValueError(f"event type {name} is registered twice")
        if version < 1:
            raise ValueError(f"event type {name}: schema versions start at 1, not {version}")
        spec = EventTypeSpec(name, stream_type, version, description)
        self._specs[name] = spec
        self.current_versions[name] = version
        return spec

    def add_upcaster(self, name: str, from_version: int, upcaster: Upcaster) -> None:
        """Register the function that turns version `from_version` of `name` into the next one."""
        spec = self._specs[name]
        if not 1 <= from_version < spec.version:
            raise ValueError(
                f"{name} has versions 1..{spec.version}; cannot upcast from {from_version}")
        spec.upcasters[from_version] = upcaster

    def spec(self, name: str) -> EventTypeSpec | None:
        return self._specs.get(name)

    def __contains__(self, name: str) -> bool:
        return name in self._specs

    def __iter__(self) -> Iterator[EventTypeSpec]:
        return iter(self._specs.values())

    def upcast(self, name: str, version: int, data: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """Bring `data`, stored at `version`, to the current version of `name`.

        Raises UpcastError naming the missing or failing step. `data` may be changed in place.
        """
        spec = self._specs.get(name)
        if spec is None:
            raise UpcastError(f"unknown event type {name!r}")
        if version > spec.version:
            raise UpcastError(
                f"schema version {version} of {name} is newer than this program knows "
                f"(up to {spec.version}); update Event Explorer to read it")
        if version < 1:
            raise UpcastError(f"schema version {version} of {name} is not valid (they start at 1)")
        while version < spec.version:
            step = spec.upcasters.get(version)
            if step is None:
                raise UpcastError(f"no upcaster from version {version} of {name} to {version + 1}")
            try:
                data = step(data)
            except Exception as error:  # an upcaster's bug must not break the reader
                raise UpcastError(
                    f"upcasting {name} from version {version} to {version + 1} failed: "
                    f"{type(error).__name__}: {error}") from error
            if not isinstance(data, dict):
                raise UpcastError(f"the upcaster of {name} v{version} returned no JSON object")
            version += 1
        return version, data
