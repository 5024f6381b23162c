"""Hostile input gets a one-line error, in bounded time and memory: scripts built to exhaust memory
or the stack, filters built to exhaust SQLite, numbers beyond 64 bits, and commands that hope to
be coerced."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest
import yaml

from explorer.cli import main
from explorer.commanding import scripts
from explorer.commanding.scripts import (
    MAX_DEPTH,
    MAX_SCRIPT_BYTES,
    MAX_STEPS,
    ScriptError,
    load_script,
)
from explorer.demo.system import SHOP
from explorer.domain import CommandValidationError
from explorer.store.content_filter import MAX_LENGTH, FilterError, parse_filter
from explorer.store.query import EventQuery
from explorer.store.records import NewEvent
from explorer.store.schema import MAX_INTEGER
from explorer.system.workspace import open_store
from explorer.timetravel.machine import parse_place

ROOT = Path(__file__).resolve().parents[2]

# 700 bytes that name 9^9 (387 million) strings; nested aliases grow without limit when walked.
BILLION_LAUGHS = "lol: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{name}: &{name} [{', '.join([f'*{before}'] * 9)}]\n"
    for before, name in zip("abcdefgh", "bcdefghi", strict=True)) + "steps: [*i]\n"
STEP = '{"stream_type": "Order", "stream_id": "o", "command": "cancel", "data": {"reason": "x"}}'


def peak_memory(call) -> int:
    """The most memory (bytes) Python allocated while `call` ran."""
    tracemalloc.start()
    try:
        call()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


def refused(call, error: type[Exception] = ScriptError) -> tuple[str, int]:
    """The message `call` was refused with, and the memory it took to refuse."""
    caught: list[Exception] = []

    def attempt() -> None:
        with pytest.raises(error) as raised:
            call()
        caught.append(raised.value)
    peak = peak_memory(attempt)
    return str(caught[0]), peak


def one_line_error(capsys, *args) -> str:
    """Run the CLI in this process; it must end with one 'error: ...' line and status 1 or 2."""
    try:
        code = main([str(a) for a in args])
    except SystemExit as stop:  # argparse's usage errors
        code = stop.code
    out, err = capsys.readouterr()
    assert code in (1, 2) and "Traceback" not in err and err.count("\n") == 1, err
    last = err.splitlines()[-1]
    assert last.startswith("error: "), err
    return last


# Scripts --------------------------------------------------------------------------------------

def test_a_yaml_alias_bomb_is_refused_before_it_expands(tmp_path):
    bomb = tmp_path / "laughs.yaml"
    bomb.write_text(BILLION_LAUGHS)
    assert len(BILLION_LAUGHS) < 800
    message, peak = refused(lambda: load_script(bomb))
    assert "aliases are not allowed in scripts" in message and "laughs.yaml" in message
    assert peak < 5_000_000


@pytest.mark.parametrize("loader", ["libyaml", "pure Python"])
def test_any_alias_is_refused_whichever_yaml_parser_runs(tmp_path, monkeypatch, loader):
    if loader == "pure Python":
        monkeypatch.setattr(scripts, "_YAML_LOADER", yaml.SafeLoader)
    elif not hasattr(yaml, "CSafeLoader"):
        pytest.skip("PyYAML was built without libyaml")
    path = tmp_path / "alias.yaml"
    path.write_text(f"base: &order {STEP}\nsteps: [*order]\n")
    with pytest.raises(ScriptError, match=r"anchor or alias .*line 1.*not allowed"):
        load_script(path)


def test_a_huge_script_is_refused_before_it_is_read(tmp_path):
    huge = tmp_path / "huge.json"
    with huge.open("wb") as file:  # 100 MB, sparse: no disk needed
        file.truncate(100_000_000)
    message, peak = refused(lambda: load_script(huge))
    assert f"larger than {MAX_SCRIPT_BYTES // 1_000_000} MB" in message
    assert peak < 1_000_000


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_an_endless_file_is_read_no_further_than_the_limit(tmp_path):
    endless = tmp_path / "endless.yaml"
    endless.symlink_to("/dev/zero")  # has no size to check
    message, peak = refused(lambda: load_script(endless))
    assert "larger than" in message and peak < 3 * MAX_SCRIPT_BYTES


@pytest.mark.parametrize(("suffix", "text"), [
    (".json", "[" * 100_000 + "]" * 100_000),
    (".json", '{"steps": [' + '{"a": [' * 20 + "1" + "]}" * 20 + "]}"),
    (".yaml", "steps: " + "[" * 100_000 + "]" * 100_000),
    (".yaml", "steps:\n" + "".join(" " * level + "- \n" for level in range(50))),
])
def test_deep_nesting_is_refused_before_it_is_built(tmp_path, suffix, text):
    path = tmp_path / f"deep{suffix}"
    path.write_text(text)
    message, peak = refused(lambda: load_script(path))
    assert f"more than {MAX_DEPTH} levels deep" in message
    assert peak < 5_000_000


def test_nesting_within_the_limit_and_brackets_in_text_are_fine(tmp_path):
    path = tmp_path / "fine.json"
    data = '{"note": "[[[[{{{{", "nested": ' + "[" * 25 + "]" * 25 + "}"
    path.write_text('{"steps": [' + STEP.replace('"reason": "x"', data[1:-1]) + "]}")
    assert load_script(path).steps[0].data["note"] == "[[[[{{{{"


def test_too_many_steps_are_refused(tmp_path):
    path = tmp_path / "long.json"
    path.write_text('{"steps": [' + ", ".join([STEP] * (MAX_STEPS + 1)) + "]}")
    with pytest.raises(ScriptError, match=f"more than the {MAX_STEPS:,} a script may hold"):
        load_script(path)
    path.write_text('{"steps": [' + ", ".join([STEP] * MAX_STEPS) + "]}")
    assert len(load_script(path).steps) == MAX_STEPS


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_a_number_too_long_to_read_is_a_script_error(tmp_path, suffix):
    path = tmp_path / f"digits{suffix}"
    path.write_text('{"steps": [' + "9" * 5000 + "]}")
    with pytest.raises(ScriptError, match="not valid .*4300 digits"):
        load_script(path)


def test_the_script_command_refuses_a_bomb_in_one_line(tmp_path):
    bomb = tmp_path / "laughs.yaml"
    bomb.write_text(BILLION_LAUGHS)
    done = subprocess.run([sys.executable, "-m", "explorer", "script", str(tmp_path / "s.db"),
                           str(bomb)], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.startswith("error: laughs.yaml uses a YAML anchor or alias")
    assert done.stderr.count("\n") == 1
    assert not (tmp_path / "s.db").exists()


def test_the_script_command_refuses_deep_nesting_in_one_line(tmp_path, capsys):
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    assert one_line_error(capsys, "script", tmp_path / "s.db", deep).startswith(
        "error: deep.json nests lists and mappings more than")


# Content filters ------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "says", "column"), [
    ("not " * 200 + "data.x = 1", "nest more than 20 deep", 81),
    ("(" * 500 + "data.x = 1" + ")" * 500, "nest more than 20 deep", 21),
    (" or ".join(["data.x = 1"] * 2_000), "more than the 4,000 allowed; shorten it", 4_001),
    (" or ".join([f"data.x = {n}" for n in range(101)]), "more than 100 conditions",
     len(" or ".join([f"data.x = {n}" for n in range(100)])) + 5),
    ("data.total > 1e26", "between -1e18 and 1e18", 14),
    ("data.total > 1e400", "between -1e18 and 1e18", 14),
    ("data.total > -2e19", "between -1e18 and 1e18", 14),
    ("data.total > 100000000000000000000000", "whole numbers must be between "
     "-9,223,372,036,854,775,808 and 9,223,372,036,854,775,807", 14),
    ("position >= 9223372036854775808", "out of range", 13),
    ("data.x = " + "9" * 3_990, "999999999999999999999999999999… is out of range", 10),
])
def test_filters_beyond_the_limits_say_which_limit(text, says, column):
    message, peak = refused(lambda: parse_filter(text), FilterError)
    assert says in message and message.endswith(f"(at column {column})")
    assert peak < 5_000_000


def test_the_largest_filter_allowed_runs_in_sqlite(store):
    store.append("order_1", "Order", [NewEvent("OrderPlaced", {"items": [{"quantity": 3}],
                                                               "x": 5})])
    conditions = " and ".join(["data.items[*].quantity > 2"] * 100)
    text = "not " * 10 + "(" * 10 + conditions + ")" * 10  # an even number of nots
    assert len(text) <= MAX_LENGTH
    found = store.query(EventQuery(content=parse_filter(text)), limit=10)
    assert [e.position for e in found] == [1]
    edges = parse_filter("data.x > -9223372036854775808 and data.x < 9223372036854775807 "
                         "and data.x < 1e18 and data.x > -1e18")
    assert [e.position for e in store.query(EventQuery(content=edges), limit=10)] == [1]


def test_the_events_command_refuses_hostile_filters_in_one_line(tmp_path, capsys):
    open_store(tmp_path / "s.db", system=SHOP, create=True).close()
    for text in ["not " * 200 + "data.x = 1", "(" * 500 + "data.x = 1" + ")" * 500,
                 " or ".join(["data.x = 1"] * 2_000), "data.total > 1e400",
                 "data.total > 100000000000000000000000"]:
        assert one_line_error(capsys, "events", tmp_path / "s.db", "--where", text).startswith(
            "error: ")


# Positions and versions beyond 64 bits ----------------------------------------------------------

HUGE = "99999999999999999999999"
LARGEST = str(MAX_INTEGER)


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    path = tmp_path_factory.mktemp("hostile") / "shop.evstore"
    assert main(["seed", str(path), "--orders", "5", "--seed", "1"]) == 0
    return path


@pytest.mark.parametrize(("args", "says"), [
    (["events", "{store}", "--from-position", HUGE], f"'{HUGE}' is too large: at most "
                                                     "9,223,372,036,854,775,807"),
    (["events", "{store}", "--limit", HUGE], "is too large"),
    (["events", "{store}", "--from-position", "9" * 5_000], "'999999999999999999999999999999…' "
                                                           "is too large"),
    (["streams", "{store}", "--limit", HUGE], "is too large"),
    (["state", "{store}", "order_001", "--at-position", HUGE], "is too large"),
    (["state", "{store}", "order_001", "--at-version", HUGE], "is too large"),
    (["projection", "{store}", "stock", "--at-position", HUGE], "is too large"),
    (["projection", "{store}", "stock", "--at-position", "-1"], "must not be negative"),
    (["projection", "{store}", "stock", "--limit", HUGE], "is too large"),
    (["projection", "{store}", "stock", "--limit", "-3"], "must be 1 or more"),
    (["sagas", "{store}", "--at-position", HUGE], "is too large"),
    (["sagas", "{store}", "--limit", "-3"], "must be 1 or more"),
    (["follow", "{store}", "--from-position", HUGE], "is too large"),
    (["follow", "{store}", "--from-position", "-5"], "must be 1 or more"),
    (["seed", "{store}.new", "--orders", HUGE], "is too large: at most 1,000,000 orders"),
    (["seed", "{store}.new", "--orders", "1", "--days", HUGE], "at most 36,500 days"),
    (["seed", "{store}.new", "--orders", "1", "--days", "0"], "must be 1 or more"),
    (["run", "{store}", "--failure-rate", "nan"], "must be between 0 and 1"),
    (["run", "{store}", "--payment-latency", "inf"], "must be between 0 and 3600 seconds"),
    (["run", "{store}", "--status-every", "-1"], "must be between 0 and 3600 seconds"),
    (["command", "{store}", "--expected-version", HUGE, "Order", "order_001", "cancel"],
     "is too large"),
    (["command", "{store}", "Order", "order_001", "cancel", "--reason", "x",
      "--expected-version", HUGE], "is too large"),
    (["command", "{store}", "Order", "order_001", "cancel", "--reason", "x",
      "--expected-version", "-3"], "must not be negative"),
    (["command", "{store}", "Inventory", "prod_101", "receive_stock", "--quantity", HUGE],
     "--quantity is out of range: whole numbers go up to 9,223,372,036,854,775,807"),
    (["command", "{store}", "Inventory", "prod_101", "receive_stock", "--quantity",
      "18446744073709551615"], "--quantity is out of range"),
    (["command", "{store}", "Order", "order_001", "mark_paid", "--payment-id", "p",
      "--amount", "1e400"], "--amount needs a number, not '1e400'"),
])
def test_numbers_beyond_64_bits_are_usage_errors(shop, capsys, args, says):
    before = shop.read_bytes()
    last = one_line_error(capsys, *[a.format(store=shop) for a in args])
    assert last.split("error: ", 1)[1].startswith("argument --") and says in last, last
    assert shop.read_bytes() == before and not Path(f"{shop}.new").exists()


def test_the_largest_positions_are_answered(shop, capsys):
    assert main(["events", str(shop), "--from-position", LARGEST, "--json"]) == 0
    assert capsys.readouterr().out.strip() == "[]"
    # (a position after the last event is refused in a line, not shown as the present)
    assert main(["state", str(shop), "order_001", "--at-position", LARGEST, "--json"]) == 2
    assert "(--at-position) is after the last event" in capsys.readouterr().err
    assert main(["sagas", str(shop), "--at-position", LARGEST, "--limit", LARGEST]) == 2
    assert "(--at-position) is after the last event" in capsys.readouterr().err
    assert main(["sagas", str(shop), "--limit", LARGEST]) == 0
    assert main(["events", str(shop), "--limit", LARGEST, "--json"]) == 0


@pytest.mark.parametrize(("typed", "says"), [
    (HUGE, f"{HUGE} is beyond the last possible position (9,223,372,036,854,775,807)"),
    (f"#{MAX_INTEGER + 1:,}", "is beyond the last possible position"),
    ("9" * 5_000, "999999999999999999999999999999… is beyond the last possible position"),
    ("-" + "9" * 5_000, "positions start at 1"),
])
def test_the_windows_position_box_refuses_positions_beyond_64_bits(typed, says):
    with pytest.raises(ValueError, match=re.escape(says)):
        parse_place(typed)
    assert parse_place(f"#{MAX_INTEGER:,}") == ("position", MAX_INTEGER)


# Commands validate strictly -------------------------------------------------------------------

LINE = {"product_id": "prod_101", "quantity": 2, "price": 29.99}


@pytest.mark.parametrize(("data", "field", "says"), [
    ({"items": [{**LINE, "quantity": True}]}, "items[0].quantity",
     "expected a whole number, not true"),
    ({"items": [{**LINE, "quantity": "5 units"}]}, "items[0].quantity",
     'expected a whole number, not "5 units"'),
    ({"items": [{**LINE, "quantity": "2.5"}]}, "items[0].quantity",
     'expected a whole number, not "2.5"'),
    ({"items": [{**LINE, "quantity": 2.5}]}, "items[0].quantity",
     "expected a whole number, not 2.5"),
    ({"total": "60 EUR"}, "total", 'expected a number, not "60 EUR"'),
    ({"total": "nan"}, "total", 'expected a number, not "nan"'),
    ({"total": "1,5"}, "total", 'expected a number, not "1,5"'),
    ({"total": False}, "total", "expected a number, not false"),
    ({"customer_id": 456}, "customer_id", "expected text, not 456"),
    ({"total": float("nan")}, "total", "expected a finite number, not nan"),
    ({"total": float("-inf")}, "total", "expected a finite number, not -inf"),
    ({"items": [{**LINE, "quantity": 10**30}]}, "items[0].quantity",
     "1000000000000000000000000000000 is out of range: whole numbers go up to "
     "9,223,372,036,854,775,807"),
])
def test_commands_are_not_coerced(service, data, field, says):
    place = {"customer_id": "cust_456", "items": [LINE], "total": 59.98, **data}
    with pytest.raises(CommandValidationError) as caught:
        service.execute("Order", "order_1", "place", place)
    assert {p.field: p.message for p in caught.value.problems} == {field: says}
    assert service.store.last_position() == 0


def test_a_whole_number_is_a_number_and_a_date_may_be_text(service):
    service.execute("Order", "order_1", "place", {
        "customer_id": "cust_456", "items": [{**LINE, "quantity": 3, "price": 20}], "total": 60})
    service.execute("Inventory", "prod_101", "receive_stock",
                    {"quantity": 5, "best_before": "2026-05-01"})
    assert [e.data.get("total") for e in service.store.read_all()][:1] == [60]


def test_a_number_may_be_written_as_people_write_one(service):
    # Found by a tester: `command --data` refused a price of "5.00" ('expected a number, not
    # "5.00"'), which `--price 5.00` took, and a quantity of 2.0.
    service.execute("Order", "order_1", "place", {
        "customer_id": "cust_456", "items": [{**LINE, "quantity": "2", "price": "5.00"},
                                             {**LINE, "product_id": "prod_102", "quantity": 1.0,
                                              "price": " 2.5e1 "}],
        "total": "35.00"})
    placed = next(service.store.read_all()).data
    assert placed["total"] == 35 and [(i["quantity"], i["price"]) for i in placed["items"]] == [
        (2, 5), (1, 25)]
    assert all(type(i["quantity"]) is int for i in placed["items"])


def test_the_command_line_names_the_field_it_would_not_coerce(shop, capsys):
    before = shop.read_bytes()
    last = one_line_error(capsys, "command", shop, "Inventory", "prod_101", "reserve", "--data",
                          '{"order_id": "order_001", "quantity": true}')
    assert last == "error: reserve: quantity: expected a whole number, not true"
    last = one_line_error(capsys, "command", shop, "Inventory", "prod_101", "reserve",
                          "--order-id", "order_001", "--quantity", "true")
    assert "--quantity needs a whole number, not 'true'" in last
    assert shop.read_bytes() == before


def test_the_command_line_takes_a_price_written_as_text(shop, capsys):
    code = main(["command", str(shop), "Order", "order_text", "place", "--json", "--data",
                 '{"customer_id": "cust_001", "total": "5.00", "items": [{"product_id": '
                 '"prod_101", "quantity": 1.0, "price": "5.00"}]}'])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert json.loads(out)["events"][0]["data"]["total"] == 5


def test_the_command_lines_options_take_a_number_as_its_data_does(shop, capsys):
    # `--data '{"quantity": 2.0}'` was taken, `--quantity 2.0` refused ('needs a whole number,
    # not '2.0''), and so were `--total .5` and `--total +35.00` ("+35.00" as --data's).
    assert main(["command", str(shop), "Inventory", "prod_101", "receive_stock", "--json",
                 "--quantity", "2.0"]) == 0, capsys.readouterr().err
    received = json.loads(capsys.readouterr().out)["events"][0]["data"]["quantity"]
    assert received == 2 and type(received) is int
    for n, total in enumerate((".5", "+35.00")):
        assert main(["command", str(shop), "Order", f"order_typed_{n}", "place", "--json",
                     "--customer-id", "cust_001", "--total", total, "--items",
                     f'[{{"product_id": "prod_101", "quantity": 1, "price": {float(total)}}}]'
                     ]) == 0, \
            capsys.readouterr().err
        assert json.loads(capsys.readouterr().out)["events"][0]["data"]["total"] == float(total)
    for quantity, says in (("2.5", "needs a whole number, not '2.5'"),
                           ("2 units", "needs a whole number, not '2 units'")):
        last = one_line_error(capsys, "command", shop, "Inventory", "prod_101", "receive_stock",
                              "--quantity", quantity)
        assert f"--quantity {says}" in last


def test_a_script_step_that_hopes_for_coercion_is_refused(shop, tmp_path, capsys):
    path = tmp_path / "coerce.yaml"
    path.write_text("steps:\n- {stream_type: Inventory, stream_id: prod_101, command: reserve,\n"
                    "   data: {order_id: order_001, quantity: 'five'}}\n")
    assert main(["script", str(shop), str(path), "--delay", "0", "--json"]) == 1
    assert 'quantity: expected a whole number, not \\"five\\"' in capsys.readouterr().out
