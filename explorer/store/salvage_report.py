"""What a salvage saved, lost, renumbered and could not vouch for, said plainly.

The report speaks of the damaged store's positions (the new store numbers its events again,
without gaps), says how positions and stream versions moved, and names the events copied where
the damaged store's hash chain did not hold: they are copied as they are now, which may not be as
they were written. The new store keeps the same facts in store_meta, which `check` on it reports
as a note (`salvage_note`), so that a salvage never turns an edited event into history no one can
tell from the rest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from explorer.common.formatting import count_of

SOURCE_KEY, AT_KEY = "salvaged_from", "salvaged_at"
LOST_KEY = "salvage_lost_positions"
"""store_meta's entries in a salvaged store: the damaged store, when, and its lost positions."""
NOT_AS_WRITTEN_KEY, NOT_AS_WRITTEN_THERE_KEY = "salvage_not_as_written", \
    "salvage_not_as_written_there"
"""The positions (in the new store, and in the damaged one) of the events copied where the damaged
store's hash chain did not hold."""
UNCHECKED_KEY = "salvage_unchecked"
"""The new store's positions of events the damaged store's chain could not vouch for (no link of
theirs could be read)."""
END_UNKNOWN_KEY = "salvage_unread_after"
"""The damaged store's last readable position, when events after it could not be read and how many
there were is not known."""
META_RANGES = 1000


def add_position(ranges: list[list[int]], position: int) -> None:
    """Add a position (in ascending order) to a list of [first, last] ranges."""
    if ranges and ranges[-1][1] >= position - 1:
        ranges[-1][1] = max(ranges[-1][1], position)
    else:
        ranges.append([position, position])


def ranges_text(ranges: list[list[int]], limit: int = 10) -> str:
    """'2,049, 3,001-3,004 and 5 more ranges'."""
    shown = [f"{a:,}" if a == b else f"{a:,}-{b:,}" for a, b in ranges[:limit]]
    more = f" and {len(ranges) - limit} more ranges" if len(ranges) > limit else ""
    return ", ".join(shown) + more


def positions_text(text: str) -> str:
    """'position 2,049' or 'positions 1, 50', of `ranges_text`'s text."""
    return f"position{'s' if ', ' in text or '-' in text else ''} {text}"


def _count(ranges: list[list[int]]) -> int:
    return sum(last - first + 1 for first, last in ranges)


@dataclass
class SalvageReport:
    """What a salvage saved and lost. `lost`, `not_as_written` and `unchecked` hold ranges of the
    damaged store's positions; `not_as_written_here` the same events' positions in the new one."""

    source: str
    target: str
    saved: int = 0
    last_position: int = 0
    end_known: bool = True
    lost: list[list[int]] = field(default_factory=list)
    renumbered: list[str] = field(default_factory=list)
    unread_after: int | None = None
    """The last position read, when the events after it could not be read and the store cannot
    tell how many there were."""
    not_as_written: list[list[int]] = field(default_factory=list)
    not_as_written_here: list[list[int]] = field(default_factory=list)
    unchecked: list[list[int]] = field(default_factory=list)
    unchecked_here: list[list[int]] = field(default_factory=list)
    last_saved_at: int = 0
    """The damaged store's position of the last event saved."""

    @property
    def lost_count(self) -> int:
        return _count(self.lost)

    def lose(self, position: int) -> None:
        add_position(self.lost, position)

    def lost_text(self, limit: int = 10) -> str:
        return ranges_text(self.lost, limit)

    def shifts(self) -> list[tuple[int, int]]:
        """(old position, how many less) where the new positions step down: after each lost
        range that a saved event follows."""
        steps, less = [], 0
        for first, last in self.lost:
            less += last - first + 1
            if last < self.last_saved_at:
                steps.append((last + 1, less))
        return steps

    def lines(self) -> list[str]:
        """The report for people: one sentence a line."""
        said = [f"Saved {count_of(self.saved, 'event')} of {self.source} into {self.target}."]
        if self.lost:
            said.append(f"Lost {count_of(self.lost_count, 'position')} of the damaged store: "
                        f"{self.lost_text()}.")
        if self.unread_after is not None:
            said.append(f"Events after position {self.unread_after:,} could not be read; how "
                        "many there were is not known.")
        if not self.lost and self.unread_after is None:
            said.append("No event was lost.")
        steps = self.shifts()
        if steps:
            moves = ", ".join(f"from position {at:,} on, each is {less:,} less" if i == 0 else
                              f"from {at:,} on {less:,} less" for i, (at, less) in
                              enumerate(steps[:5]))
            more = f" (and so on: {steps[-1][1]:,} less at the end)" if len(steps) > 5 else ""
            said.append(f"Later events have new positions in the new store: {moves}{more}.")
        if self.renumbered:
            shown = ", ".join(self.renumbered[:10])
            more = f" and {len(self.renumbered) - 10} more" if len(self.renumbered) > 10 else ""
            said.append(f"Streams that lost events get new version numbers for their later "
                        f"events (numbered on without a gap, so each is lower than before): "
                        f"{shown}{more}.")
        if steps or self.renumbered:
            said.append("Event ids are kept, so references by event id still hold; references "
                        "by position or stream version to the moved events do not.")
        if self.not_as_written:
            here = ranges_text(self.not_as_written_here)
            there = ranges_text(self.not_as_written)
            where = there if here == there else f"{there} (now {here})"
            said.append(f"The damaged store's hash chain did not hold at {positions_text(where)}: "
                        "the events there were copied as they are now, which may not be as "
                        "they were written. The new store records this; `check` on it says so.")
        if self.unchecked:
            said.append(f"{positions_text(ranges_text(self.unchecked)).capitalize()} could not be "
                        "checked against "
                        "the damaged store's hash chain (no link of theirs could be read); the "
                        "new store records this too.")
        return said

    def meta(self) -> dict[str, str]:
        """The store_meta entries the new store keeps about this salvage (besides its source
        and time)."""
        entries = {}
        if self.lost:
            entries[LOST_KEY] = ranges_text(self.lost, META_RANGES)
        if self.unread_after is not None:
            entries[END_UNKNOWN_KEY] = f"{self.unread_after:,}"
        if self.not_as_written:
            entries[NOT_AS_WRITTEN_KEY] = ranges_text(self.not_as_written_here, META_RANGES)
            entries[NOT_AS_WRITTEN_THERE_KEY] = ranges_text(self.not_as_written, META_RANGES)
        if self.unchecked:
            entries[UNCHECKED_KEY] = ranges_text(self.unchecked_here, META_RANGES)
        return entries

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "target": self.target, "saved": self.saved,
                "lost": self.lost_count, "lost_positions": [list(r) for r in self.lost],
                "last_position": self.last_position, "end_known": self.end_known,
                "unread_after": self.unread_after,
                "new_positions": [{"from": at, "less_by": less} for at, less in self.shifts()],
                "renumbered_streams": self.renumbered,
                "not_as_written": [list(r) for r in self.not_as_written],
                "not_as_written_now": [list(r) for r in self.not_as_written_here],
                "unchecked": [list(r) for r in self.unchecked],
                "event_ids_kept": True}


def salvage_note(meta: dict[str, str]) -> str | None:
    """What a salvaged store's store_meta says of where its events came from, for `check`."""
    source = meta.get(SOURCE_KEY)
    if source is None:
        return None
    at = f" at {meta[AT_KEY]}" if AT_KEY in meta else ""
    said = [f"salvaged from {source}{at}"]
    if LOST_KEY in meta:
        said.append(f"what was at its {positions_text(meta[LOST_KEY])} is not here (missing or "
                    "unreadable there; later events were renumbered)")
    if END_UNKNOWN_KEY in meta:
        said.append(f"events after position {meta[END_UNKNOWN_KEY]} there could not be read")
    if NOT_AS_WRITTEN_KEY in meta:
        there = meta.get(NOT_AS_WRITTEN_THERE_KEY, meta[NOT_AS_WRITTEN_KEY])
        where = (positions_text(there) if there == meta[NOT_AS_WRITTEN_KEY]
                 else f"{positions_text(meta[NOT_AS_WRITTEN_KEY])} here ({there} there)")
        said.append(f"the events at {where} were not as written there (its hash chain did not "
                    "hold at them): they were copied as they were found")
    if UNCHECKED_KEY in meta:
        said.append(f"the events at {positions_text(meta[UNCHECKED_KEY])} here could not be "
                    "checked against its hash chain")
    return "; ".join(said) + "."
