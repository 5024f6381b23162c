"""The command line: each subcommand's output, JSON shapes, and one-line errors with exit codes;
on a store file and on a store on a PostgreSQL server (given its postgresql:// URL)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from explorer.cli import main
from explorer.demo.system import SHOP
from explorer.system.workspace import open_store
from tests.cli.running import run, seed_shop

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.backends
EVENT_KEYS = {"position", "stream_id", "stream_type", "version", "event_type", "event_id",
              "timestamp", "schema_version", "data", "metadata"}


@pytest.fixture
def seeded(shared_location):
    """A shop of 60 orders, seeded once a session for each backend."""
    return shared_location("cli", lambda location: seed_shop(location, orders=60, seed=3))


def run_json(capsys, *args):
    code, out, err = run(capsys, *args, "--json")
    assert code == 0, err
    return json.loads(out)


def test_seed_reports_what_it_made(locations, capsys):
    store = locations("s")
    code, out, _ = run(capsys, "seed", store, "--orders", "20", "--json")
    report = json.loads(out)
    assert code == 0 and report["orders"] == 20 and report["events"] == report["last_position"]
    assert report["store"] == str(store)
    code, _, err = run(capsys, "seed", store, "--orders", "20")
    assert code == 1 and err.startswith("error: ") and "already holds" in err
    assert err.count("\n") == 1


def test_seed_recent_ends_the_history_just_before_now(locations, capsys):
    from datetime import UTC, datetime, timedelta

    from explorer.common.timestamps import to_micros

    path = locations("recent")
    assert run(capsys, "seed", path, "--orders", "20", "--days", "3", "--recent")[0] == 0
    with open_store(path, system=SHOP, read_only=True) as store:
        last = max(e.timestamp_us for e in store.read_all())
    now = datetime.now(UTC)
    assert to_micros(now - timedelta(days=3)) < last < to_micros(now)


def test_streams_and_types(seeded, capsys):
    streams = run_json(capsys, "streams", seeded, "--type", "Order", "--limit", "5")
    assert len(streams) == 5
    assert set(streams[0]) == {"stream_id", "stream_type", "version", "last_timestamp"}
    assert {s["stream_type"] for s in streams} == {"Order"}
    matched = run_json(capsys, "streams", seeded, "--match", "prod_10?")
    assert [s["stream_id"] for s in matched] == [f"prod_10{i}" for i in range(1, 10)]
    code, out, _ = run(capsys, "streams", seeded, "--limit", "2")
    assert code == 0 and out.splitlines()[0].split() == ["STREAM", "TYPE", "VERSION", "LAST",
                                                          "EVENT", "(UTC)"]
    types = run_json(capsys, "types", seeded)
    assert [t["stream_type"] for t in types] == ["Customer", "Inventory", "Order",
                                                 "OrderFulfilment", "Payment"]


def test_events_in_json_have_the_documented_keys(seeded, capsys):
    events = run_json(capsys, "events", seeded, "--limit", "3", "--from-position", "5")
    assert [e["position"] for e in events] == [5, 6, 7]
    assert set(events[0]) == EVENT_KEYS
    assert events[0]["timestamp"].endswith("Z")
    placed = run_json(capsys, "events", seeded, "--type", "OrderPlaced,OrderShipped")
    assert {e["event_type"] for e in placed} == {"OrderPlaced", "OrderShipped"}
    legacy = [e for e in placed if "stored" in e]
    assert legacy and legacy[0]["stored"]["schema_version"] == 1
    one = run_json(capsys, "events", seeded, "--stream", "order_001")
    assert [e["version"] for e in one] == list(range(1, len(one) + 1))
    by_type = run_json(capsys, "events", seeded, "--stream-type", "Customer", "--limit", "4")
    assert {e["stream_type"] for e in by_type} == {"Customer"}
    code, out, _ = run(capsys, "events", seeded, "--limit", "2")
    assert code == 0 and len(out.splitlines()) == 3 and "POSITION" in out


def test_state_now_and_in_the_past(seeded, capsys):
    now = run_json(capsys, "state", seeded, "order_001")
    assert set(now) == {"stream_id", "stream_type", "version", "state", "generic"}
    assert now["generic"] is False  # the shop's own Order
    assert now["stream_type"] == "Order" and now["state"]["status"] in {"shipped", "cancelled"}
    first = run_json(capsys, "state", seeded, "order_001", "--at-version", "1")
    assert first["version"] == 1 and first["state"]["status"] == "placed"
    events = run_json(capsys, "events", seeded, "--stream", "order_001")
    at_position = run_json(capsys, "state", seeded, "order_001", "--at-position",
                           events[0]["position"])
    assert at_position["version"] == 1
    at_time = run_json(capsys, "state", seeded, "order_001", "--at-time", events[0]["timestamp"])
    assert at_time["version"] == 1
    code, out, _ = run(capsys, "state", seeded, "order_001")
    assert out.startswith(f"Order order_001 at version {now['version']}")
    # as of a position, it also says what the latest event there changed (like the window)
    second = events[1]
    changed = run_json(capsys, "state", seeded, "order_001", "--at-position", second["position"])
    assert changed["latest_event"] == {"position": second["position"],
                                       "event_type": second["event_type"]}
    assert changed["changes"] and all(c["kind"] in {"changed", "added", "removed"}
                                      for c in changed["changes"])
    code, out, _ = run(capsys, "state", seeded, "order_001", "--at-position", second["position"])
    assert f"changed by {second['event_type']} at position" in out


def test_state_errors(seeded, capsys):
    cases = [
        (["state", seeded, "nope"], "No stream named 'nope'"),
        (["state", seeded, "order_001", "--at-position", "1"], "did not exist yet at that point"),
        (["state", seeded, "order_001", "--at-time", "yesterday"], "'yesterday' is not a date"),
        (["state", seeded, "order_001", "--at-version", "999"], "has only"),
    ]
    for args, message in cases:
        code, out, err = run(capsys, *args)
        assert code == 1 and message in err and err.count("\n") == 1, err
        assert out == ""


def test_commands_run_with_json_data_or_generated_options(locations, capsys):
    path = locations("cmd")
    open_store(path, system=SHOP, create=True).close()
    placed = run_json(capsys, "command", path, "--system", "shop", "Order", "order_789", "place",
                      "--data",
                      '{"customer_id": "cust_456", "items": [{"product_id": "prod_123", '
                      '"quantity": 2, "price": 29.99}], "total": 59.98}')
    assert placed["version"] == 1 and placed["events"][0]["event_type"] == "OrderPlaced"
    assert placed["events"][0]["metadata"]["issued_by"].startswith("cli:")
    # the first command recorded the system in the store: the others find it there
    code, out, err = run(capsys, "command", path, "Order", "order_789", "ship", "--carrier",
                         "FedEx", "--tracking", "123456")
    assert code == 1 and err == "error: Cannot ship order order_789: it is not paid.\n"
    code, out, _ = run(capsys, "command", path, "Order", "order_789", "mark_paid", "--payment-id",
                       "pay_789", "--amount", "59.98")
    assert code == 0 and "version 1 -> 2" in out and "OrderPaid" in out
    shipped = run_json(capsys, "command", path, "Order", "order_789", "ship", "--carrier", "FedEx",
                       "--tracking", "123456", "--expected-version", "2")
    assert shipped["version"] == 3


def test_command_errors_are_one_line(locations, tmp_path, capsys):
    path = locations("cmd")
    open_store(path, system=SHOP, create=True).close()
    cases = [
        (["Order", "o1", "place", "--data", "{not json"], 2, "--data is not valid JSON"),
        (["Order", "o1", "place", "--data", "[1]"], 2, "--data must be a JSON object"),
        (["Order", "o1", "place", "--total", "lots"], 2, "--total needs a number"),
        (["Order", "o1", "place", "--total", "5"], 1, "customer_id: required; items: required"),
        (["Order", "o1", "fly"], 1, "Order has no command 'fly'"),
        (["Spaceship", "o1", "place"], 1, "There is no aggregate type 'Spaceship'"),
        (["Order", "o1", "cancel", "--reason", "x", "--expected-version", "3"], 1,
         "expected version 3, but it does not exist yet"),
        (["OrderFulfilment", "fulfilment-o1", "start"], 2,
         "belongs to the order fulfilment saga, which alone writes its stream"),
    ]
    for args, status, message in cases:
        code, out, err = run(capsys, "command", path, *args, "--system", "shop")
        assert code == status and message in err, (args, err)
        assert out == ""
    code, _, err = run(capsys, "command", tmp_path / "missing.evstore", "Order", "o", "cancel",
                       "--reason", "x")
    assert code == 1 and "No store at" in err
    assert not (tmp_path / "missing.evstore").exists()


def test_command_help_lists_the_fields(capsys):
    code, out, _ = run(capsys, "command", "x.evstore", "Order", "o", "ship", "--help")
    assert code == 0 and "--carrier CHOICE" in out and "one of FedEx, UPS" in out


def test_commands_lists_every_command(capsys):
    code, out, _ = run(capsys, "commands")
    assert code == 0 and "Order      place" in out and "fields: customer_id, items, total, " \
                                                      "currency?" in out
    described = run_json(capsys, "commands")
    assert len(described) == 14 and "properties" in described[0]["schema"]


@pytest.mark.sqlite_only("damages a copy of the file's bytes")
def test_check_passes_then_reports_damage(seeded, tmp_path, capsys):
    report = run_json(capsys, "check", seeded)
    assert report["ok"] and report["problem_count"] == 0
    damaged = tmp_path / "damaged.evstore"
    damaged.write_bytes(Path(seeded).read_bytes())
    for suffix in ("-wal", "-shm"):
        if Path(f"{seeded}{suffix}").exists():
            Path(f"{damaged}{suffix}").write_bytes(Path(f"{seeded}{suffix}").read_bytes())
    with open_store(damaged, system=SHOP) as store:
        last = store.last_position()
    with sqlite3.connect(damaged) as db:
        db.execute("INSERT INTO events (position, stream_id, stream_type, version, event_id, "
                   "event_type, schema_version, timestamp, data) VALUES (?, 'order_001', "
                   "'Order', 99, 'x', 'OrderShipped', 1, 9e15, '{')", (last + 2,))
    code, out, _ = run(capsys, "check", damaged)
    assert code == 1 and "gap: no event at position" in out and "undecodable" in out
    assert "problems found" in out


def test_summary_and_bad_stores(seeded, tmp_path, capsys):
    summary = run_json(capsys, "summary", seeded)
    assert summary["streams"] > 60 and set(summary["types"]) == {
        "Order", "Inventory", "Payment", "Customer", "OrderFulfilment"}
    text = tmp_path / "notes.txt"
    text.write_text("hello\n")
    for args, message in [
        (["summary", text], "is not an Event Explorer store: it is a text file"),
        (["events", tmp_path / "nothing.evstore"], "No store at"),
        (["streams", tmp_path], "is a folder"),
    ]:
        code, out, err = run(capsys, *args)
        assert code == 1 and message in err and out == ""
    assert text.read_text() == "hello\n"


def test_usage_errors_exit_with_2(capsys):
    with pytest.raises(SystemExit) as caught:
        main(["streams"])
    assert caught.value.code == 2
    with pytest.raises(SystemExit) as caught:
        main(["seed", "x.evstore", "--orders", "-4"])
    assert caught.value.code == 2
    assert "must be 1 or more" in capsys.readouterr().err


def test_the_module_and_main_py_run_as_programs(seeded):
    result = subprocess.run([sys.executable, "-m", "explorer", "types", str(seeded)],
                            capture_output=True, text=True, cwd=ROOT, check=True)
    assert "Inventory" in result.stdout
    piped = subprocess.run(f'"{sys.executable}" -m explorer events "{seeded}" | head -n 2',
                           shell=True, capture_output=True, text=True, cwd=ROOT)
    assert len(piped.stdout.splitlines()) == 2 and "Traceback" not in piped.stderr
    version = subprocess.run([sys.executable, "main.py", "--version"], capture_output=True,
                             text=True, cwd=ROOT, timeout=60)
    assert version.returncode == 0 and version.stdout.startswith("Event Explorer ")


def test_events_where_a_content_filter_holds(seeded, capsys):
    found = run_json(capsys, "events", seeded, "--where",
                     'data.items[*].product_id = "prod_101" and data.total > 50')
    assert found and all(any(i["product_id"] == "prod_101" for i in e["data"]["items"])
                         and e["data"]["total"] > 50 for e in found)
    code, _, err = run(capsys, "events", seeded, "--where", "data.total >")
    assert code == 1 and "ends too early (at column 13)" in err


def test_an_event_table_fits_its_long_stream_ids(seeded, capsys):
    """The saga's streams (fulfilment-order_0001) are longer than the stream column's least
    width: the column fits them, so each row's version and type line up under the headers."""
    code, out, err = run(capsys, "events", seeded, "--stream-type", "OrderFulfilment,Order",
                         "--limit", "20")
    assert code == 0, err
    header, *rows = out.splitlines()
    assert any(len(row.split()[3]) > 18 for row in rows)  # (a saga's stream id is listed)
    version_ends = header.index("VERSION") + len("VERSION")
    type_starts = header.index("TYPE")
    for row in rows:
        assert row[version_ends - 1].isdigit() and row[version_ends] == " "
        assert row[type_starts - 1] == " " and row[type_starts] != " "


def test_a_search_prints_its_header_and_first_match_before_the_next_is_found(
        seeded, capsys, monkeypatch):
    """Matches of a search may come seconds apart: each is printed as it comes, not held to
    fit the columns to the rows after it (review: the header and first row waited for the
    second match)."""
    from explorer.cli import handlers
    printed_before_second = []

    def slow_matches(store, text, query, progress):
        yield from store.query(query, limit=1)
        printed_before_second.append(capsys.readouterr().out)
        yield from store.query(query, after_position=1, limit=1)

    monkeypatch.setattr(handlers, "searched_events", slow_matches)
    code, out, err = run(capsys, "events", seeded, "--search", "anything")
    assert code == 0, err
    header, first = printed_before_second[0].splitlines()
    assert header.startswith("POSITION") and first.split()[0] == "1"
    assert len(out.splitlines()) == 1


def test_events_end_at_a_position_as_export_does(seeded, capsys):
    store = str(seeded)
    assert main(["events", store, "--from-position", "10", "--to-position", "12", "--json"]) == 0
    assert [e["position"] for e in json.loads(capsys.readouterr().out)] == [10, 11, 12]
    assert main(["events", store, "--from-position", "12", "--to-position", "10"]) == 1
    assert "--to-position 10 is before --from-position 12" in capsys.readouterr().err
