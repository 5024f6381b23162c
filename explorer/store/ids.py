"""Event and command ids: time-ordered UUIDs (version 7, RFC 9562).

Ids that grow with time keep the unique index on event ids appending at its right edge, which is
several times faster to write than random version-4 ids once a store holds millions of events.
"""

from __future__ import annotations

import random
import time

# Seeded from the operating system's entropy once per process; drawing from it is ten times
# cheaper than a system call per id, and 74 random bits per millisecond keep ids unique.
_RANDOM = random.Random()


def uuid7(millis: int | None = None, rng: random.Random | None = None) -> str:
    """A version-7 UUID string for the given Unix time in milliseconds (default now).

    With `rng`, the random bits come from it, so a seeded generator gives repeatable ids.
    """
    if millis is None:
        millis = time.time_ns() // 1_000_000
    rand = (rng or _RANDOM).getrandbits(74)
    # 48 bits of time, version 7, 12 random bits, variant 0b10, 62 random bits
    value = (millis & 0xFFFF_FFFF_FFFF) << 80 | (0x7000 | rand >> 62) << 64 | 0x8 << 60 \
        | rand & 0x3FFF_FFFF_FFFF_FFFF
    h = value.to_bytes(16).hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
