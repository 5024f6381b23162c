"""`when STORE TARGET CONDITION`: its lines and JSON agree with the find-when service, read
models are brought up to date first, and bad targets or conditions are one-line usage errors;
on a store file and on a store on a PostgreSQL server."""

from __future__ import annotations

import json

import pytest

from explorer.demo.system import SHOP
from explorer.projections.database import open_read_models
from explorer.system.workspace import open_store
from explorer.timetravel.machine import TimeMachine
from explorer.timetravel.when import FindWhen
from tests.cli.running import run, seed_shop

pytestmark = pytest.mark.backends


@pytest.fixture
def seeded(shared_location):
    """A shop of 60 orders, seeded once a session for each backend."""
    return shared_location("when", lambda location: seed_shop(location, orders=60, seed=3))


def service_switches(path, target, condition, **options):
    with open_store(path, system=SHOP, read_only=True) as store, open_read_models(
            str(path), False, read_only=True) as readmodels:
        find = FindWhen(TimeMachine(store, readmodels, SHOP))
        return [s.to_dict() for s in find.with_events(
            find.switches(target, condition, **options).switches)]


def busiest(path, stream_type):
    with open_store(path, system=SHOP, read_only=True) as store:
        return max(store.list_streams(stream_type), key=lambda s: s.version).stream_id


def test_a_stream_first_switch_and_all_of_them(seeded, capsys):
    stream = busiest(seeded, "Inventory")
    code, out, err = run(capsys, "when", seeded, stream, "state.reserved > 0", "--all", "--json")
    assert code == 0 and err == ""
    every = json.loads(out)
    assert len(every) > 2 and [s["became"] for s in every[:2]] == [True, False]
    assert all(s["subject"] == stream and s["event_type"].startswith("Inventory")
               for s in every)
    code, out, _ = run(capsys, "when", seeded, stream, "state.reserved > 0")
    lines = out.splitlines()
    assert code == 0 and lines[0].split() == ["POSITION", "BECAME", "SUBJECT", "EVENT"]
    assert len(lines) == 2 and lines[1].split() == [
        f"{every[0]['position']:,}", "true", stream, every[0]["event_type"], "on", stream]
    after = every[1]["position"]
    code, out, _ = run(capsys, "when", seeded, stream, "state.reserved > 0", "--after", after,
                       "--json")
    assert json.loads(out) == [next(s for s in every if s["position"] > after and s["became"])]


def test_a_read_model_is_brought_up_to_date_then_searched(seeded, capsys):
    code, out, err = run(capsys, "when", seeded, "order_summary",
                         'total > 100 and status = "paid"', "--all", "--json")
    assert code == 0, err
    found = json.loads(out)
    assert found and found == service_switches(seeded, "order_summary",
                                               'total > 100 and status = "paid"')
    assert all(s["event_type"] is not None for s in found)
    code, out, _ = run(capsys, "when", seeded, "sagas", 'status = "compensating"')
    assert code == 0 and len(out.splitlines()) == 2 and "fulfilment-" in out
    code, out, _ = run(capsys, "when", seeded, "stock", "on_hand < -1")
    assert code == 0 and out == "'on_hand < -1' on stock never became true after position 0.\n"


@pytest.mark.parametrize(("condition", "as_number", "switches"), [
    ('total > "100"', "total > 100", True), ('item_count = " 2 "', "item_count = 2", True),
    ('total > "abc"', "total < 0 and total > 0", False), ('total <= "abc"', "total exists", True),
    ("status > 5", "status < 0 and status > 0", False),  # a text column: only numeric text
])
def test_a_column_compared_with_another_type_answers_as_on_sqlite(seeded, capsys, condition,
                                                                  as_number, switches):
    """A column of numbers against text (numeric text is its number, other text above every
    number), and one of text against a number: a server refused both ('operator does not
    exist: double precision > character varying'; the second sent sqlite3's placeholders
    into the number's regular expression)."""
    code, out, err = run(capsys, "when", seeded, "order_summary", condition, "--all", "--json")
    assert code == 0, err
    found = json.loads(out)
    assert found == service_switches(seeded, "order_summary", as_number, after=0)
    assert bool(found) == switches


@pytest.mark.parametrize(("args", "said"), [
    (("no_such_stream", "state.x = 1"), "not a stream of this store, nor one of its read "
                                        "models (order_summary, "),
    (("order_summary", "totl > 5"), "the condition: Unknown field 'totl': use one of "),
    (("order_summary", "total >"), "the condition: The filter ends too early"),
    (("prod_101", "state.onhand < 0"), "Inventory has no field state.onhand: its state's "
                                       "fields are "),
    (("prod_101", "on_hand < 0"), "use state.…"),
    (("prod_101", "state.on_hand < 0", "--after", "9999999"),  # (was "never became true")
     "Position 9,999,999 (--after) is after the last event, at position "),
    (("stock", "on_hand < 0", "--after", "9999999"), "(--after) is after the last event"),
])
def test_bad_targets_and_conditions_are_one_line_usage_errors(seeded, capsys, args, said):
    code, out, err = run(capsys, "when", seeded, *args)
    assert code == 2 and out == "" and err.startswith("error: ") and said in err, err
    assert err.count("\n") == 1


def test_without_a_system_streams_are_searched_by_the_generic_fold(seeded, capsys):
    stream = busiest(seeded, "Order")
    code, out, err = run(capsys, "when", seeded, stream, "state.customer_id exists", "--system",
                         "none")
    assert code == 0 and "generic fold" in err and stream in out
    code, _, err = run(capsys, "when", seeded, "sagas", 'status = "x"', "--system", "none")
    assert code == 2 and "no sagas" in err


@pytest.mark.parametrize(("target", "condition", "said"), [
    ("order_summary", 'total > "abc"', 'warning: total holds numbers, but "abc" is text'),
    ("prod_101", "state.reservations > 0", "warning: state.reservations holds objects, but 0 "
                                           "is a number"),
])
def test_a_comparison_with_another_type_than_the_field_holds_is_warned_of(
        seeded, capsys, target, condition, said):
    """As the window warns under the condition: the answer ('never') is right but most
    likely not what was meant."""
    code, out, err = run(capsys, "when", seeded, target, condition)
    assert code == 0 and "never became true" in out
    assert said in err and err.count("warning: ") == 1, err
    code, _, err = run(capsys, "when", seeded, target, condition.replace('"abc"', "100")
                       .replace("reservations", "reserved"))
    assert code == 0 and "warning" not in err, err
