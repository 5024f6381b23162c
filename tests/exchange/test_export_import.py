"""Export then import gives the same events; a malformed file is refused at its line, leaving
nothing behind; an export of a filter's result holds just those events."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from explorer.common.cancel import Cancelled
from explorer.exchange.export import ExportScope, export_file
from explorer.exchange.formats import (
    CLOUDEVENT_FIELDS,
    JSONL_FIELDS,
    ExchangeError,
    LineError,
)
from explorer.exchange.importing import import_file
from explorer.store import EventStore, NewEvent
from explorer.store.content_filter import parse_filter
from explorer.store.query import EventQuery
from tests.conftest import place_order


def fill(store: EventStore) -> None:
    """A few streams, interleaved, with metadata, correlation ids and an older schema version."""
    store.append("acc-1", "Account", [
        NewEvent("Opened", {"owner": "Ann", "limit": 1.5}, {"correlation_id": "c-1", "by": "x"},
                 timestamp_us=1_700_000_000_123_456),
        NewEvent("Deposited", {"amount": 10, "note": "ünïcode"}, {"correlation_id": "c-1"},
                 timestamp_us=1_700_000_001_000_000, schema_version=2)])
    store.append("acc-2", "Account", [NewEvent("Opened", {"owner": "Bob", "tags": [1, None]},
                                               timestamp_us=1_700_000_002_000_000)])
    store.append("acc-1", "Account", [NewEvent("Withdrawn", {"amount": 3},
                                               {"causation_id": "e-9"},
                                               timestamp_us=1_700_000_003_000_001)],
                 expected_version=2)
    store.append("order-1", "Order", [NewEvent("Placed", {"total": 59.98, "nested": {"a": [1]}},
                                               timestamp_us=1_700_000_004_000_000)])


def fingerprint(path: Path) -> list[tuple]:
    """What a round trip must keep of each event, in order."""
    with EventStore.open(path, read_only=True) as store:
        return [(e.event_id, e.stream_id, e.stream_type, e.event_type, e.version,
                 e.stored_schema_version, e.timestamp_us, e.stored_data, e.metadata,
                 e.correlation_id) for e in store.read_all()]


@pytest.mark.parametrize("format", ["jsonl", "cloudevents"])
def test_export_then_import_gives_the_same_events(store, tmp_path, format):
    fill(store)
    out = tmp_path / f"events.{format}"
    assert export_file(store.location, out, format=format) == 5
    target = tmp_path / "copy.evstore"
    report = import_file(out, target)
    assert (report.events, report.streams) == (5, 3)
    assert fingerprint(target) == fingerprint(Path(store.location))
    with EventStore.open(target, read_only=True) as copy:
        assert [e.position for e in copy.read_all()] == [1, 2, 3, 4, 5]
        assert copy.stream_info("acc-1").version == 3


def test_a_demo_store_round_trips_and_its_copy_checks_clean(tmp_path, service, store):
    from explorer.store.check import check_store

    for n in range(5):
        place_order(service, f"order_{n}")
    out = tmp_path / "events.jsonl"
    export_file(store.location, out)
    target = tmp_path / "copy.evstore"
    import_file(out, target)
    assert fingerprint(target) == fingerprint(Path(store.location))
    with EventStore.open(target, read_only=True) as copy:
        assert check_store(copy).ok


def test_jsonl_lines_have_the_documented_fields(store, tmp_path):
    fill(store)
    out = tmp_path / "events.jsonl"
    export_file(store.location, out)
    first = orjson.loads(out.read_bytes().splitlines()[0])
    assert first == {"position": 1, "stream_id": "acc-1", "stream_type": "Account",
                     "type": "Opened", "version": 1, "event_id": first["event_id"],
                     "time": "2023-11-14T22:13:20.123456Z", "schema_version": 1,
                     "data": {"owner": "Ann", "limit": 1.5},
                     "metadata": {"by": "x", "correlation_id": "c-1"}}


def test_cloudevents_follow_the_specification(store, tmp_path):
    fill(store)
    out = tmp_path / "events.ce.jsonl"
    export_file(store.location, out, format="cloudevents")
    event = orjson.loads(out.read_bytes().splitlines()[1])
    assert event["specversion"] == "1.0"
    assert event["source"] == Path(store.location).resolve().as_uri()
    assert (event["type"], event["subject"], event["datacontenttype"]) == (
        "Deposited", "acc-1", "application/json")
    assert event["time"] == "2023-11-14T22:13:21.000000Z"
    assert (event["position"], event["streamversion"], event["schemaversion"]) == (2, 2, 2)
    for name in event:  # extension attributes: lowercase letters and digits, at most 20
        assert name.isalnum() and name.islower() and len(name) <= 20, name
    assert orjson.loads(event["metadata"]) == {"correlation_id": "c-1"}


def test_export_of_a_filter_result_holds_only_its_events(store, tmp_path):
    fill(store)
    out = tmp_path / "big.jsonl"
    query = EventQuery(stream_types=("Account",), content=parse_filter("data.amount > 5"))
    assert export_file(store.location, out, ExportScope(query)) == 1
    lines = [orjson.loads(line) for line in out.read_bytes().splitlines()]
    assert [(e["stream_id"], e["type"]) for e in lines] == [("acc-1", "Deposited")]
    stream = tmp_path / "stream.jsonl"
    assert export_file(store.location, stream, ExportScope(EventQuery(stream_id="acc-1"))) == 3
    chosen = tmp_path / "chosen.jsonl"
    assert export_file(store.location, chosen, ExportScope(positions=[5, 2])) == 2
    assert [orjson.loads(line)["position"] for line in chosen.read_bytes().splitlines()] == [2, 5]


def test_export_refuses_an_existing_file_unless_forced(store, tmp_path):
    fill(store)
    out = tmp_path / "events.jsonl"
    out.write_text("keep me")
    with pytest.raises(ExchangeError, match="exists already"):
        export_file(store.location, out)
    assert out.read_text() == "keep me"
    assert export_file(store.location, out, force=True) == 5
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("test.evstore")) \
        == ["events.jsonl"]


@pytest.mark.parametrize("name", ["", "-wal", ".readmodels", ".fulltext"])
def test_export_never_replaces_the_store_or_a_file_beside_it(store, tmp_path, name):
    # Found by a tester: `export S S --force` replaced the store with its own export.
    fill(store)
    out = Path(store.location + name)
    if not out.exists():
        out.write_bytes(b"kept")
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    with pytest.raises(ExchangeError, match="the store being exported, or a file kept beside"):
        export_file(store.location, out, force=True)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()} == before
    other_case = out.with_name(out.name.upper())  # a case-blind folder would take it for it
    with pytest.raises(ExchangeError, match="the store being exported, or a file kept beside"):
        export_file(store.location, other_case, force=True)
    link = tmp_path / "hard.evstore"  # the store by another name
    link.hardlink_to(store.location)
    with pytest.raises(ExchangeError, match="the store being exported"):
        export_file(store.location, link, force=True)


def test_export_replaces_only_a_plain_file(store, tmp_path):
    fill(store)
    target = tmp_path / "elsewhere.jsonl"
    target.write_text("the link's target")
    link = tmp_path / "link.jsonl"
    link.symlink_to(target)
    with pytest.raises(ExchangeError, match="not a plain file"):
        export_file(store.location, link, force=True)
    assert link.is_symlink() and target.read_text() == "the link's target"


def test_a_cancelled_export_leaves_nothing(store, tmp_path):
    fill(store)

    def cancel(done: int, total: int) -> None:
        raise Cancelled

    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(Cancelled):
        export_file(store.location, tmp_path / "events.jsonl", progress=cancel)
    assert sorted(p.name for p in tmp_path.iterdir()) == before


# -- malformed files: refused at their line, nothing left --------------------------------------

def good_lines(store: EventStore, tmp_path: Path) -> list[bytes]:
    fill(store)
    out = tmp_path / "good.jsonl"
    export_file(store.location, out)
    return out.read_bytes().splitlines()


def mangled(line: bytes, **changes) -> bytes:
    value = orjson.loads(line)
    for key, new in changes.items():
        if new is None:
            del value[key]
        else:
            value[key] = new
    return orjson.dumps(value)


CASES = {
    "bad JSON": (lambda lines: [lines[0], lines[1][:-3], *lines[2:]], 2, "not valid JSON"),
    "not an object": (lambda lines: [lines[0], b"[1, 2]", *lines[2:]], 2, "not an object"),
    "missing field": (lambda lines: [lines[0], lines[1], mangled(lines[2], stream_id=None),
                                     *lines[3:]], 3, "no 'stream_id'"),
    "wrong type": (lambda lines: [mangled(lines[0], version="1"), *lines[1:]], 1,
                   "'version' is \"1\", not a whole number"),
    "data not an object": (lambda lines: [lines[0], mangled(lines[1], data=[1]), *lines[2:]], 2,
                           r"'data' is \[1\], not an object"),
    "bad time": (lambda lines: [mangled(lines[0], time="yesterday"), *lines[1:]], 1,
                 "not a date or time"),
    "time before 1970": (lambda lines: [mangled(lines[0], time="0001-01-01T00:00:00Z"),
                                        *lines[1:]], 1,
                         "0001-01-01T00:00:00Z is before 1970-01-01T00:00:00Z, the earliest"),
    "exported time before 1970": (lambda lines: [lines[0], mangled(
        lines[1], time="1969-12-31T23:59:59.000000Z"), *lines[2:]], 2, "is before 1970"),
    "duplicate id": (lambda lines: [*lines[:3], mangled(
        lines[3], event_id=orjson.loads(lines[0])["event_id"]), *lines[4:]], 4,
        "is used already, on line 1"),
    "out-of-order version": (lambda lines: [lines[0], lines[3], lines[1], *lines[4:]], 2,
                             "version 3 of stream acc-1 comes after version 1: version 2 is "
                             "missing"),
    "first version not 1": (lambda lines: lines[1:], 1,
                            "stream acc-1 starts here at version 2; each stream's events must "
                            "follow on from 1"),
    "a line repeated": (lambda lines: [lines[0], lines[1], lines[1], *lines[2:]], 3,
                        "version 2 of stream acc-1 is on an earlier line already \\(an event "
                        "repeated, or two exports joined\\?\\)"),
    "stream type changes": (lambda lines: [lines[0], mangled(lines[1], stream_type="Other"),
                                           *lines[2:]], 2, "of type Account on earlier lines"),
}


@pytest.mark.parametrize("case", CASES)
def test_a_malformed_file_is_refused_at_its_line_and_leaves_nothing(store, tmp_path, case):
    change, line, message = CASES[case]
    source = tmp_path / "bad.jsonl"
    source.write_bytes(b"\n".join(change(good_lines(store, tmp_path))) + b"\n")
    target = tmp_path / "new.evstore"
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(LineError, match=message) as raised:
        import_file(source, target)
    assert raised.value.line == line
    assert str(raised.value).startswith(f"line {line}: ")
    assert sorted(p.name for p in tmp_path.iterdir()) == before


@pytest.mark.parametrize("format", ["jsonl", "cloudevents"])
@pytest.mark.parametrize(("field", "text"), [
    ("stream_id", "acc\x001"), ("stream_id", "acc\n1"), ("stream_id", "acc\x1b[31m1"),
    ("stream_id", "acc\t1"), ("stream_type", "Acc\x1bount"), ("type", "Dep\nosited"),
    ("event_id", "e\x00"), ("correlation_id", "c\x1b1")])
def test_an_id_or_type_holding_a_control_character_is_refused_at_its_line(store, tmp_path,
                                                                          format, field, text):
    fill(store)
    exported = tmp_path / "good.events"
    export_file(store.location, exported, format=format)
    lines = exported.read_bytes().splitlines()
    key = (CLOUDEVENT_FIELDS if format == "cloudevents" else JSONL_FIELDS).get(field, field)
    if field == "correlation_id":
        metadata = {"correlation_id": text}
        lines[1] = mangled(lines[1], metadata=orjson.dumps(metadata).decode()
                           if format == "cloudevents" else metadata)
    else:
        lines[1] = mangled(lines[1], **{key: text})
    source = tmp_path / "bad.events"
    source.write_bytes(b"\n".join(lines))
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(LineError) as raised:
        import_file(source, tmp_path / "new.evstore")
    control = next(c for c in text if not c.isprintable())
    assert str(raised.value).startswith(f"line 2: {key!r} is ")
    assert f"holding {control!r}, a control character" in str(raised.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_a_duplicate_id_in_an_earlier_batch_is_found_by_the_store(store, tmp_path):
    lines = good_lines(store, tmp_path)
    lines[4] = mangled(lines[4], event_id=orjson.loads(lines[0])["event_id"])
    source = tmp_path / "bad.jsonl"
    source.write_bytes(b"\n".join(lines))
    with pytest.raises(LineError, match="by the event at position 1") as raised:
        import_file(source, tmp_path / "new.evstore", batch_events=2)
    assert raised.value.line == 5
    assert not (tmp_path / "new.evstore").exists()


def test_an_empty_file_makes_no_store(tmp_path):
    source = tmp_path / "empty.jsonl"
    source.write_bytes(b"\n\n")
    with pytest.raises(ExchangeError, match="holds no events"):
        import_file(source, tmp_path / "new.evstore")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.jsonl"]


def test_a_huge_line_is_refused_without_reading_it_whole(store, tmp_path, monkeypatch):
    from explorer.exchange import importing

    lines = good_lines(store, tmp_path)
    monkeypatch.setattr(importing, "MAX_LINE_BYTES", 1000)
    lines[2] = mangled(lines[2], data={"blob": "x" * 5000})
    source = tmp_path / "huge.jsonl"
    source.write_bytes(b"\n".join(lines))
    with pytest.raises(LineError, match="longer than") as raised:
        import_file(source, tmp_path / "new.evstore")
    assert raised.value.line == 3
    assert not (tmp_path / "new.evstore").exists()


def test_import_refuses_an_existing_store_and_leaves_it(store, tmp_path):
    lines = good_lines(store, tmp_path)
    source = tmp_path / "events.jsonl"
    source.write_bytes(b"\n".join(lines))
    before = Path(store.location).read_bytes()
    with pytest.raises(ExchangeError, match="exists already"):
        import_file(source, Path(store.location))
    assert Path(store.location).read_bytes() == before


def test_a_cancelled_import_leaves_nothing(store, tmp_path):
    lines = good_lines(store, tmp_path)
    source = tmp_path / "events.jsonl"
    source.write_bytes(b"\n".join(lines))
    before = sorted(p.name for p in tmp_path.iterdir())

    def cancel(done: int, total: int) -> None:
        raise Cancelled

    with pytest.raises(Cancelled):
        import_file(source, tmp_path / "new.evstore", progress=cancel, batch_events=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_times_that_go_back_are_raised_and_counted(store, tmp_path):
    lines = good_lines(store, tmp_path)
    lines[2] = mangled(lines[2], time="2020-01-01T00:00:00Z")
    source = tmp_path / "events.jsonl"
    source.write_bytes(b"\n".join(lines))
    report = import_file(source, tmp_path / "new.evstore")
    assert report.raised_times == 1
    with EventStore.open(tmp_path / "new.evstore", read_only=True) as copy:
        times = [e.timestamp_us for e in copy.read_all()]
    assert times == sorted(times) and times[2] == times[1]


def test_an_imported_store_is_left_in_wal_mode_and_a_used_one_is_not_loaded_bare(store,
                                                                                 tmp_path):
    from explorer.store.loading import loading_new_store

    lines = good_lines(store, tmp_path)
    source = tmp_path / "events.jsonl"
    source.write_bytes(b"\n".join(lines))
    target = tmp_path / "new.evstore"
    import_file(source, target, batch_events=2)
    assert target.read_bytes()[18:20] == b"\x02\x02"  # SQLite's header: write-ahead log
    with pytest.raises(ValueError, match="has events already"), loading_new_store(store):
        pass
