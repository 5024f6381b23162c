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
    masked (entries saved by older versions too). Saved entries it cannot read (a later
    version's, one edited by hand) are not shown, and are saved again as they were, in their
    place by time (`to_list`): going back to an older version, or starting it, does not lose
    them."""

    def __init__(self, entries: list[HistoryEntry] | None = None, *,
                 domain: DomainModel, unread: list[Any] | None = None) -> None:
        self.domain = domain
        self.entries: list[HistoryEntry] = [replace(entry, request=masked(entry.request, domain))
                                            for entry in entries or []]
        self.unread: list[Any] = list(unread or [])[:HISTORY_LIMIT]

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

    def to_list(self) -> list[Any]:
        """The entries as saved, newest first: those it could not read put back by their time
        among those read (a later version's newest first, not after this version's oldest,
        which that version would show first and keep in their stead), any without a time last."""
        saved = [entry.to_dict() for entry in self.entries]
        if not self.unread:
            return saved
        return sorted(saved + self.unread, key=_newest_first)  # (stable: ties as they were)

    @classmethod
    def from_list(cls, value: Any, domain: DomainModel) -> History:
        """History from saved data; entries that cannot be read are kept aside (`unread`),
        never fatal."""
        entries, unread = [], []
        for item in value if isinstance(value, list) else []:
            try:
                entries.append(HistoryEntry.from_dict(item))
            except ValidationError:
                unread.append(_masked_item(item, domain))
        return cls(entries, domain=domain, unread=unread)


def _newest_first(item: Any) -> tuple[int, int]:
    """Where a saved entry goes, newest first: by its time (`at_us`), any without one last."""
    at = item.get("at_us") if isinstance(item, dict) else None
    return (0, -at) if type(at) is int else (1, 0)


def _masked_item(item: Any, domain: DomainModel) -> Any:
    """A saved entry this version cannot read, its request's secrets masked where the request
    can be read (a secret is never kept whole, whoever wrote the entry)."""
    if not isinstance(item, dict) or not isinstance(item.get("request"), dict):
        return item
    try:
        request = CommandRequest.from_dict(item["request"])
    except ValidationError:
        return item
    hidden = masked(request, domain)
    return item if hidden == request else {**item, "request": hidden.to_dict()}
