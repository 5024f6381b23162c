"""Examples taken from a store, for the hints a window shows in its empty fields.

A field's placeholder should show what to type in this store ("book_00 or member_*5",
`data.title = "The Hidden Compass"`), not in some other system's. `store_examples` reads the
first events of a store (a few hundred, by position: as cheap on ten million events as on ten)
and picks a stream id of each stream type, a text field and a number field of their data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import orjson

from explorer.store import EventStore

SAMPLE = 300  # events read from the start of the store
LONGEST_TEXT = 28  # a text value longer than this makes a poor example
FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


@dataclass(frozen=True)
class StoreExamples:
    """What to show as an example in a store's empty fields."""

    stream_ids: dict[str, str] = field(default_factory=dict)  # stream type -> a stream id of it
    text_field: tuple[str, str] | None = None  # a data field holding text, and its value
    number_field: tuple[str, int] | None = None  # a data field holding a number, and a bound

    def stream_pattern(self) -> str:
        """The stream filter's hint: a substring and a wildcard pattern, from real ids."""
        ids = list(self.stream_ids.values())
        if not ids:
            return "Filter streams: part of an id, or * and ? wildcards"
        first = ids[0]
        substring = first[:-1] if len(first) > 2 else first
        other = ids[1] if len(ids) > 1 else first
        cut = max(other.rfind("_"), other.rfind("-"), other.rfind(":"))
        wildcard = f"{other[:cut + 1]}*{other[-1]}" if 0 < cut < len(other) - 1 else f"{other[:2]}*"
        return f"Filter streams: {substring} or {wildcard}"

    def content_filter(self) -> str:
        """The content filter's hint: a comparison on text and one on a number of this store."""
        parts = []
        if self.text_field:
            name, value = self.text_field
            parts.append(f"data.{name} = {orjson.dumps(value).decode()}")
        if self.number_field:
            name, bound = self.number_field
            parts.append(f"data.{name} > {bound}")
        example = " and ".join(parts) or 'data.status = "open" and data.amount > 100'
        return f"Filter by content, e.g. {example}"

    def stream_id(self, stream_type: str | None = None) -> str:
        """The hint of a field that takes an aggregate's id (of `stream_type`, if given)."""
        example = self.stream_ids.get(stream_type or "") or next(iter(self.stream_ids.values()),
                                                                 None)
        return f"the aggregate's id, e.g. {example}" if example else "the aggregate's id"


def store_examples(store: EventStore) -> StoreExamples:
    """Examples from the first events of `store` (none from an empty one)."""
    stream_ids: dict[str, str] = {}
    text: tuple[str, str] | None = None
    number: tuple[str, int] | None = None
    for event in store.read_page(0, SAMPLE):
        stream_ids.setdefault(event.stream_type, event.stream_id)
        if event.is_raw or not isinstance(event.data, dict):
            continue
        for name, value in event.data.items():
            if not FIELD_NAME.match(name):
                continue
            if (text is None and isinstance(value, str) and 0 < len(value) <= LONGEST_TEXT
                    and value != event.stream_id and not name.endswith("id")):
                text = (name, value)
            elif (number is None and isinstance(value, int | float)
                  and not isinstance(value, bool) and abs(value) < 1e15):
                number = (name, int(value) // 2)
    return StoreExamples(stream_ids, text, number)
