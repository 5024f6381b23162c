"""Bug-report bundles: one file holding a consistent copy of a store and the view on it.

A bundle is itself a store file (copied with SQLite's backup API while others may write, the
source only read: explorer.store.copying) whose store_meta also holds the view it was taken from
under BUNDLE_KEY, as JSON: the cursor's position, the selected event, the stream shown, the
filters and the open tab. Opening it (`python main.py BUNDLE`) shows the same view, read-only;
anything that reads stores can read it.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import orjson

from explorer import __version__
from explorer.common.timestamps import iso, now_micros
from explorer.exchange.formats import ExchangeError
from explorer.store import EventStore
from explorer.store.copying import BUNDLE_KEY, TAKEN_KEY, copy_store, meta_of_store_file
from explorer.store.foreign.library_store import LibraryStore


@dataclass(frozen=True)
class BundleFilters:
    """The event list's filters as a bundle keeps them (plain values; the content filter as
    its text)."""

    event_types: tuple[str, ...] = ()
    stream_type: str | None = None
    from_time_us: int | None = None
    to_time_us: int | None = None
    content: str | None = None


@dataclass(frozen=True)
class BundleView:
    """What the window showed: the cursor's position (None: live), the selected event's
    position, the stream shown (None: all), the filters and the bottom tab's name."""

    cursor_position: int | None = None
    selected_position: int | None = None
    stream_id: str | None = None
    filters: BundleFilters = field(default_factory=BundleFilters)
    tab: str | None = None

    def to_json(self) -> str:
        return orjson.dumps(asdict(self)).decode()

    @classmethod
    def from_json(cls, text: str) -> BundleView:
        """The view a bundle keeps; ExchangeError for text that is not one."""
        try:
            value = orjson.loads(text)
            filters = value.pop("filters", None) or {}
            filters["event_types"] = tuple(filters.get("event_types") or ())
            return cls(filters=BundleFilters(**filters), **value)
        except (orjson.JSONDecodeError, TypeError, AttributeError) as error:
            raise ExchangeError(f"The bug report's view cannot be read ({error}); the store in it "
                                "can still be opened.") from None


def bundle_view(meta: dict[str, str]) -> BundleView | None:
    """The view a store's store_meta keeps if it is a bug-report bundle, else None."""
    text = meta.get(BUNDLE_KEY)
    return None if text is None else BundleView.from_json(text)


def is_bundle(path: str | Path) -> bool:
    """Whether the file at `path` is a bug-report bundle (every open of one is read-only:
    EventStore.open); False for anything that is not a store (opening it says what it is)."""
    meta = meta_of_store_file(Path(path).expanduser())
    return meta is not None and BUNDLE_KEY in meta


def save_bundle(source: str | Path, target: str | Path, view: BundleView = BundleView(), *,
                taken_from: str | None = None) -> Path:
    """Write a bundle of the store at `source` with `view` to the new file `target`. The store
    is only read; others may write to it meanwhile. A cursor beyond the copy's last event (or
    before its first) is refused, and nothing is left at `target`. The bundle says it was taken
    from `source`, or `taken_from` (a server store staged in a file first)."""
    source, target = Path(source).expanduser(), Path(target).expanduser()
    with EventStore.open(source, read_only=True, verify=False) as store:  # (a clear refusal
        foreign = isinstance(store, LibraryStore)  # for what is not a store)
    if foreign:
        raise ExchangeError(
            f"{source.name} is a store of another program: a bug report copies an Event "
            f"Explorer store file. Copy it into one first (`copy {source} NEW.evstore`), then "
            "save the bug report of that.")
    copy_store(source, target, {BUNDLE_KEY: view.to_json(),
                                TAKEN_KEY: f"{iso(now_micros())} by Event Explorer "
                                           f"{__version__} from "
                                           f"{_as_text(taken_from or str(source))}"})
    try:
        with EventStore.open(target, read_only=True, verify=False) as copy:
            last = copy.last_position()
        for name, position in (("cursor", view.cursor_position),
                               ("selected event", view.selected_position)):
            if position is not None and not 0 <= position <= last:
                raise ExchangeError(f"The {name}'s position {position:,} is not in {source.name}: "
                                    f"its events are at positions 1 to {last:,}.")
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return target


def _as_text(path: str) -> str:
    """`path` as text a database keeps: a name that is not UTF-8 (its bytes kept by Python as
    lone surrogates, which SQLite refuses) with those bytes written \\xe9."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def describe(view: BundleView) -> dict[str, Any]:
    """The view as JSON-ready values (for the CLI's report)."""
    return asdict(view)
