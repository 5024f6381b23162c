"""The timeline's samples, stepping through the log or a stream, and real-time playback."""

from __future__ import annotations

import uuid
from array import array
from itertools import pairwise

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from explorer.demo import DEMO_DOMAIN
from explorer.demo.seed import seed_store
from explorer.demo.system import SHOP
from explorer.domain import CommandService
from explorer.system.workspace import open_store
from explorer.timetravel import machine as timetravel
from explorer.timetravel.machine import TimeMachine, parse_place
from tests.conftest import place_order


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    path = tmp_path_factory.mktemp("playback") / "shop.evstore"
    with open_store(path, system=SHOP, create=True) as store:
        seed_store(store, orders=30, seed=3, days=3)
    with open_store(path, system=SHOP, read_only=True) as store:
        yield store


def test_a_small_log_is_sampled_whole(seeded):
    samples = TimeMachine(seeded, None, SHOP).samples()
    everything = list(seeded.read_all())
    assert samples.weight == 1
    assert list(samples.positions) == [e.position for e in everything]
    assert list(samples.timestamps) == [e.timestamp_us for e in everything]
    assert [samples.types[c] for c in samples.type_codes] == [e.stream_type for e in everything]


@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(weight=st.integers(1, 9), first=st.integers(1, 6), more=st.integers(0, 6))
def test_samples_extended_as_the_log_grows_equal_samples_of_the_whole(tmp_path, weight, first,
                                                                     more):
    path = tmp_path / f"grow-{uuid.uuid4().hex}.evstore"
    with open_store(path, system=SHOP, create=True) as store:
        service = CommandService(store, DEMO_DOMAIN, issued_by="test")
        for number in range(first):
            place_order(service, f"order_{number}")
        machine = TimeMachine(store, None, SHOP)
        grown = machine.samples(weight=weight)
        for number in range(more):
            place_order(service, f"order_more_{number}")
            service.execute("Order", f"order_more_{number}", "cancel", {"reason": "test"})
            grown = machine.samples(after=grown)
        whole = machine.samples(weight=weight)
        last = store.last_position()
    assert list(grown.positions) == list(whole.positions)
    assert list(grown.timestamps) == list(whole.timestamps)
    assert [grown.types[c] for c in grown.type_codes] == [whole.types[c]
                                                          for c in whole.type_codes]
    assert whole.positions[-1] == last
    assert all((p - 1) % weight == 0 for p in whole.positions[:-1])
    assert len(whole.positions) == (last - 1) // weight + 1 + bool((last - 1) % weight)


def test_a_big_log_is_not_sampled_before_the_runner_has_counted_it(seeded, monkeypatch):
    monkeypatch.setattr(timetravel, "MAX_SAMPLES", 25)
    samples = TimeMachine(seeded, None, SHOP).samples()  # sampling a big log takes seconds
    assert samples.counting and not samples.positions
    weight = -(-seeded.last_position() // 25)
    samples = TimeMachine(seeded, None, SHOP).samples(weight=weight)  # asked for: sampled evenly
    assert len(samples.positions) <= 26 and not samples.counting
    assert samples.positions[-1] == seeded.last_position()


def test_steps_through_the_log_are_clamped_to_it(seeded):
    machine = TimeMachine(seeded, None, SHOP)
    last = seeded.last_position()
    assert machine.step(10, 1) == 11
    assert machine.step(10, -3) == 7
    assert machine.step(2, -5) == 1
    assert machine.step(last - 1, 10) == last


def test_steps_within_a_stream_visit_its_events_in_order(seeded):
    machine = TimeMachine(seeded, None, SHOP)
    stream = seeded.list_streams("Order", limit=1)[0].stream_id
    positions = [e.position for e in seeded.read_stream(stream)]
    assert len(positions) >= 3
    assert machine.step(0, 1, stream) == positions[0]
    assert machine.step(positions[0], 1, stream) == positions[1]
    assert machine.step(positions[0], 2, stream) == positions[2]
    assert machine.step(positions[-1], 1, stream) == positions[-1]  # nothing later: stays
    assert machine.step(positions[0] + 1, -1, stream) == positions[0]
    assert machine.step(positions[0], -1, stream) == positions[0]  # nothing earlier: stays
    assert machine.step(positions[0], 100, stream) == positions[-1]  # as far as it goes
    assert machine.step(positions[-1] + 1, -100, stream) == positions[0]


def test_real_time_playback_follows_the_clock_and_skips_quiet_stretches(seeded):
    machine = TimeMachine(seeded, None, SHOP)
    everything = list(seeded.read_all())
    start = everything[0]
    later = everything[20]
    position, clock = machine.play_time(start.position, later.timestamp_us)
    assert position == max(e.position for e in everything if e.timestamp_us <= later.timestamp_us)
    assert clock == later.timestamp_us
    # a long quiet stretch after the clock: jump to just before the next event
    gaps = [(b.timestamp_us - a.timestamp_us, a, b) for a, b in pairwise(everything)]
    gap, before, after = max(gaps, key=lambda g: g[0])
    assert gap > 1_000_000
    position, clock = machine.play_time(before.position, before.timestamp_us, None,
                                        max_gap_us=gap // 10)
    assert position == before.position
    assert before.timestamp_us < clock < after.timestamp_us
    assert after.timestamp_us - clock <= gap // 10
    stream = after.stream_id
    position, _ = machine.play_time(0, after.timestamp_us, stream)
    assert position == after.position


@pytest.mark.parametrize(("text", "place"), [
    ("12345", ("position", 12345)), ("12,345", ("position", 12345)), (" #7 ", ("position", 7)),
    ("2026-03-19", ("time", 1773878400000000)),
    ("2026-03-19 10:15:30", ("time", 1773915330000000)),
    ("2026-03-19T10:15:30Z", ("time", 1773915330000000)),
    ("2026-03-19T11:15:30+01:00", ("time", 1773915330000000)),
])
def test_places_typed_by_a_user_are_positions_or_times(text, place):
    assert parse_place(text) == place


@pytest.mark.parametrize(("text", "says"), [
    ("", "Type a position"), ("-5", "positions start at 1"), ("yesterday", "neither a position"),
    ("2026-13-01", "neither a position"),
])
def test_places_that_are_neither_say_what_is_understood(text, says):
    with pytest.raises(ValueError, match=says):
        parse_place(text)


def test_stream_marks_are_its_events_or_an_even_sample_of_a_long_one(seeded):
    machine = TimeMachine(seeded, None, SHOP)
    stream = max(seeded.list_streams("Inventory", limit=50), key=lambda s: s.version)
    stored = [(e.position, e.timestamp_us) for e in seeded.read_stream(stream.stream_id)]
    positions, timestamps = machine.stream_marks(stream.stream_id)
    assert list(zip(positions, timestamps, strict=True)) == stored
    positions, timestamps = machine.stream_marks(stream.stream_id, limit=5)
    assert len(positions) <= 6
    assert positions[0] == stored[0][0] and positions[-1] == stored[-1][0]
    assert set(zip(positions, timestamps, strict=True)) <= set(stored)
    assert machine.stream_marks("no-such-stream") == (array("q"), array("q"))
