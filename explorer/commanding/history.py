"""The history of commands sent by hand, newest first, with favourites; secrets masked."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Annotated, Any

from pydantic import BeforeValidator, ValidationError

from explorer.commanding.sending import CommandRequest, Outcome, masked
from explorer.common.json_form import JsonForm
from explorer.domain import DomainModel

HISTORY_LIMIT = 500


def _text_or_none(value: Any) -> Any:
    return value if isinstance(value, str) else None


@dataclass(frozen=True)
class HistoryEntry(JsonForm):
    """One request sent and what became of it, when."""

    request: CommandRequest
    outcome: Outcome
    at_us: int
    favourite: bool = False
    store: Annotated[str | None, BeforeValidator(_text_or_none)] = None  # where it was sent
    # (its location), if known; a saved value that is not text is read as not known


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
            except ValidationError:
                continue
        return cls(entries, domain=domain)
