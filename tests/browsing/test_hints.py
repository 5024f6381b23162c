"""The hints of a window's empty fields are examples from the store open: its stream ids and its
events' fields, whatever the system (or none)."""

from __future__ import annotations

from explorer.browsing.hints import StoreExamples, store_examples
from explorer.store import NewEvent
from explorer.system import NO_SYSTEM, System
from explorer.system.workspace import open_store
from tests.systems.cases import seeded


def test_a_seeded_store_gives_its_own_ids_and_fields(system: System, tmp_path):
    with open_store(seeded(tmp_path, system, 5), system=system, read_only=True) as store:
        examples = store_examples(store)
        first = store.read_page(0, 300)
    assert examples.stream_ids == {event.stream_type: event.stream_id
                                   for event in reversed(first)}
    name, value = examples.text_field
    assert any(event.data.get(name) == value for event in first)
    assert f"data.{name} = " in examples.content_filter()
    assert examples.number_field is not None
    pattern = examples.stream_pattern()
    ids = list(examples.stream_ids.values())
    assert pattern.startswith(f"Filter streams: {ids[0][:-1]} or ")
    for stream_type, stream_id in examples.stream_ids.items():
        assert examples.stream_id(stream_type) == f"the aggregate's id, e.g. {stream_id}"


def test_an_empty_store_gives_plain_hints(tmp_path):
    with open_store(tmp_path / "empty.evstore", system=NO_SYSTEM, create=True) as store:
        examples = store_examples(store)
    assert examples == StoreExamples()
    assert examples.stream_pattern() == "Filter streams: part of an id, or * and ? wildcards"
    assert examples.content_filter().startswith("Filter by content, e.g. data.")
    assert examples.stream_id("Order") == "the aggregate's id"


def test_ids_fields_and_long_or_odd_values_are_not_offered(tmp_path):
    with open_store(tmp_path / "odd.evstore", system=NO_SYSTEM, create=True) as store:
        store.append("probe-7", "Probe", [NewEvent("Launched", {
            "probe_id": "probe-7", "weird key": "x", "notes": "n" * 200, "ok": True,
            "label": "Voyager", "mass": 721.9})])
        examples = store_examples(store)
    assert examples.text_field == ("label", "Voyager")
    assert examples.number_field == ("mass", 360)
    assert examples.stream_pattern() == "Filter streams: probe- or probe-*7"
