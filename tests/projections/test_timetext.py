"""The read models' fast time text is the common one, for times in order or not."""

from __future__ import annotations

import random

from explorer.common import timestamps
from explorer.projections import timetext


def test_iso_and_day_equal_the_common_text():
    chooser = random.Random(18)
    start = 1_767_600_000_000_000
    in_order = [start + i * 7_812_345 for i in range(20_000)]  # a log: a day's many events
    anywhere = [chooser.randrange(-10**16, 253_402_300_799_999_999) for _ in range(20_000)]
    edges = [0, -1, 1, 86_399_999_999, 86_400_000_000, -86_400_000_000, 999_999,
             253_402_300_799_999_999]  # the epoch, just before it, a day's ends, 9999's end
    for micros in in_order + anywhere + edges + in_order[::-1]:
        expected = timestamps.iso(micros)
        assert timetext.iso(micros) == expected, micros
        assert timetext.day(micros) == expected[:10], micros
