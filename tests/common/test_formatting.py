"""Times and durations for people: what the window shows in place of raw microseconds."""

from __future__ import annotations

import pytest

from explorer.common.formatting import (
    clock_time,
    count_of,
    duration,
    is_time_field,
    raw_time,
    summarize,
    time_behind,
)
from explorer.common.timestamps import parse_time

AT = 1789656368145136  # "at" of a saga event, as stored


def test_a_time_reads_to_the_second_in_utc_and_its_raw_value_says_what_it_is():
    assert clock_time(AT) == "2026-09-17 14:46:08"
    assert clock_time(parse_time("2026-11-29 12:41:03")) == "2026-11-29 12:41:03"
    assert raw_time(AT) == f"{AT} µs since 1970-01-01 UTC (2026-09-17 14:46:08.145136)"


def test_a_number_no_calendar_holds_is_shown_as_it_is():
    assert clock_time(10**20) == str(10**20)
    assert raw_time(-(10**20)).startswith(f"{-(10**20)} µs")


@pytest.mark.parametrize(("seconds", "text"), [
    (0, "0 ms"), (0.35, "350 ms"), (0.9996, "1 s"), (12, "12 s"), (12.4, "12 s"),
    (59.6, "1 m 00 s"), (245, "4 m 05 s"), (2 * 3600 + 5 * 60 + 40, "2 h 05 m"),
    (7_509_984.1, "86 d 22 h"), (-12, "12 s"), (400 * 86_400, "400 d 00 h"),
])
def test_durations_use_two_units_at_most(seconds, text):
    assert duration(seconds) == text


def test_lag_says_how_far_behind_with_its_unit():
    assert time_behind(0) == "caught up"
    assert time_behind(12) == "12 s behind"
    assert time_behind(7525) == "2 h 05 m behind"
    assert count_of(1, "event") == "1 event"
    assert count_of(1234, "event") == "1,234 events"
    assert count_of(0, "event") == "0 events"


@pytest.mark.parametrize(("name", "value", "is_time"), [
    ("at", AT, True), ("scheduled_at", AT, True), ("outcome_at", AT, True),
    ("timestamp", AT, True), ("finished_at_us", AT, True),
    ("at", True, False),  # a yes/no is no time
    ("at", "2026-09-17T14:46:08Z", False),  # already readable
    ("at", 12, False),  # far too early to be a moment of this century
    ("total", AT, False), ("quantity", 3, False), ("format", AT, False),
])
def test_time_fields_are_named_so_and_hold_microseconds_of_this_century(name, value, is_time):
    assert is_time_field(name, value) is is_time


def test_a_one_line_summary_reads_times_as_times():
    assert summarize({"source_event_id": "e1", "at": AT, "quantity": 3}) == \
        "source_event_id=e1 at=2026-09-17 14:46:08 quantity=3"
    assert summarize({"step": {"scheduled_at": AT}}) == "step={scheduled_at=2026-09-17 14:46:08}"
