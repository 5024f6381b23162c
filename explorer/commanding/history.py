"""The history of commands sent by hand, newest first, with favourites; secrets masked."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any

from explorer.commanding.sending import CommandRequest, Outcome, masked
from explorer.domain import DomainModel

HISTORY_LIMIT = 500


@dataclass(frozen=True)
class HistoryEntry:
    request: CommandRequest
    outcome: Outcome
    at_us: int
    favourite: bool = False
    store: str | None = None  # where it was sent (its location), if known

    def to_dict(self) -> dict[str, Any]:
        return {"request": self.request.to_dict(), "outcome": self.outcome.to_dict(),
                "at_us": self.at_us, "favourite": self.favourite, "store": self.store}

    @classmethod
    def from_dict(cls, value: dict[str, Any]) -> HistoryEntry:
        store = value.get("store")
        return cls(CommandRequest.from_dict(value["request"]),
                   Outcome.from_dict(value["outcome"]), int(value["at_us"]),
                   bool(value.get("favourite")), store if isinstance(store, str) else None)


class History:
    """Every command sent, newest first, with favourites kept however old they get; secrets
    masked (entries saved by older versions too)."""

    def __init__(self, entries: list[HistoryEntry] | None = None, *,
                 domain: DomainModel) -> None:
        self.domain = domain
        self.entries: list[HistoryEntry] = [replace(entry, request=masked(entry.request, domain))
                                            for entry in entries or []]

    def add(self, request: CommandRequest, outcome: Outcome,
            store: str | None = None) -> HistoryEntry:
        """Note a request sent (its secrets masked) and its outcome; the entry kept."""
        entry = HistoryEntry(masked(request, self.domain), outcome, time.time_ns() // 1000,
                             store=store)
        self.entries.insert(0, entry)
        self._trim()
        return entry

    def toggle_favourite(self, index: int) -> HistoryEntry:
        entry = replace(self.entries[index], favourite=not self.entries[index].favourite)
        self.entries[index] = entry
        return entry

    def favourites(self) -> list[HistoryEntry]:
        return [entry for entry in self.entries if entry.favourite]

    def _trim(self) -> None:
        if len(self.entries) > HISTORY_LIMIT:
            keep = self.entries[:HISTORY_LIMIT]
            keep += [e for e in self.entries[HISTORY_LIMIT:] if e.favourite]
            self.entries = keep

    def to_list(self) -> list[dict[str, Any]]:
        return [entry.to_dict() for entry in self.entries]

    @classmethod
    def from_list(cls, value: Any, domain: DomainModel) -> History:
        """History from saved data; entries that cannot be read are dropped, never fatal."""
        entries = []
        for item in value if isinstance(value, list) else []:
            try:
                entries.append(HistoryEntry.from_dict(item))
            except (KeyError, TypeError, ValueError, AttributeError):
                continue
        return cls(entries, domain=domain)
