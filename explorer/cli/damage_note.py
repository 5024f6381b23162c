"""The read commands say, once, that the store they read is damaged.

A store opened for writing has its hash chain checked first and is refused when it does not hold;
one opened read-only (every read command's way) is read as it is. Those read commands print
what the file holds now, so they say first, in one line on stderr, what is wrong (the first
event not as it was written, say) and what to do (`check`, `salvage`): standard output stays
as it was (`--json` stays machine-readable), and nothing is written.

The check is the window's for a store opened read-only (EventStore.damage_found): SQLite's quick
check and the hash chain, for a file of up to damage.QUICK_CHECK_MAX_BYTES (about 0.7 s of CPU
at 45 MB); a larger store is not checked on every read, and nothing is said of it.
"""

from __future__ import annotations

import sys

from explorer.common.names import visible
from explorer.store import EventStore, StoreError
from explorer.store.errors import damage_advice

_said: set[str] = set()
"""The stores said damaged by the command running (each said once, however often it opens it)."""


def forget() -> None:
    """A new command begins: its stores are said damaged again (CLI tests run many a process)."""
    _said.clear()


def warn_if_damaged(store: EventStore) -> None:
    """Say on stderr, once a command, that `store` (opened read-only) is damaged, if a check
    cheap enough to make on every read finds it so (see the module)."""
    if not store.read_only or store.location in _said:
        return  # (one open for writing was checked, and refused if damaged)
    try:
        # (not remembered: a runner opened after reads it as before, `when` on a bug report)
        found = store.damage_found(remember=False)
    except StoreError:  # (a file SQLite cannot read as it is: the read itself says so)
        return
    if found is None:
        return
    _said.add(store.location)
    print(f"warning: {visible(store.location)} is damaged: {visible(found)}. What is shown is "
          "what the file holds now, which may not be what was written: "
          f"{visible(damage_advice(store.location, library=store.library))}",
          file=sys.stderr, flush=True)
