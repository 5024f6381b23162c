"""Demo scripts: reading, writing, recording and playing them, and the ones shipped."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.resources import files
from pathlib import Path

import pytest

from explorer.commanding.scripts import (
    Script,
    ScriptError,
    load_script,
    parse_script,
    play,
    record_script,
    save_script,
)
from explorer.commanding.sending import CommandRequest, Outcome, send
from explorer.demo import DEMO_DOMAIN, make_context
from explorer.demo.seed import seed_store
from explorer.demo.system import SHOP
from explorer.domain import CommandService
from explorer.runtime.runner import Runner
from explorer.system.workspace import open_store
from tests.conftest import LINE
from tests.systems.cases import seeded

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted(p.name for p in files("explorer.resources").joinpath("scripts").iterdir()
                 if p.name.endswith((".yaml", ".json")))


def test_the_shipped_scripts_are_packaged_and_valid():
    assert SHIPPED == ["address-change.yaml", "happy-path-order.yaml", "out-of-stock.yaml",
                       "payment-failure.yaml"]
    for name in SHIPPED:
        script = load_script(Path(str(files("explorer.resources").joinpath("scripts", name))))
        assert script.name and script.description and script.steps


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    path = tmp_path_factory.mktemp("scripts") / "shop.evstore"
    with open_store(path, system=SHOP, create=True) as store:
        seed_store(store, orders=30, seed=5)
    return path


def play_with_sagas(path: Path, name: str):
    script = load_script(ROOT / "resources" / "scripts" / name)
    with open_store(path, system=SHOP) as store, \
            Runner(str(path), SHOP, context_options={"failure_rate": 0.0}) as runner:
        service = CommandService(store, DEMO_DOMAIN, issued_by="test", context=make_context())

        def step(request: CommandRequest):
            outcome = send(service, request, SHOP)
            runner.run_pending()  # the sagas react before the next step, as in a live demo
            return outcome

        results = play(script, step, delay=0)
        orders = {r.request.stream_id for r in results if r.request.stream_type == "Order"}
        order_events = {o: [e.event_type for e in store.read_stream(o)] for o in orders}
    return results, order_events


@pytest.mark.parametrize(("name", "order_ends"), [
    ("happy-path-order.yaml", ["OrderPlaced", "OrderPaid", "OrderShipped"]),
    ("payment-failure.yaml", ["OrderPlaced", "OrderCancelled"]),
    ("out-of-stock.yaml", ["OrderPlaced", "OrderCancelled"]),
    ("address-change.yaml", ["OrderPlaced", "OrderPaid", "OrderShipped"]),
])
def test_each_shipped_script_tells_its_story(shop, name, order_ends):
    results, orders = play_with_sagas(shop, name)
    assert all(r.as_expected for r in results), [(r.number, r.outcome) for r in results]
    assert list(orders.values()) == [order_ends]


def test_every_systems_scripts_play_as_they_expect(system, case, tmp_path):
    """Each system's demo scripts, played with its sagas running (as the window plays them),
    twice: every step ends as the script expects, with fresh ids each time."""
    path = seeded(tmp_path, system, case.seed_size)
    names = sorted(p.name for p in system.scripts.iterdir() if p.name.endswith((".yaml",
                                                                               ".json")))
    assert len(names) >= 2
    with Runner(str(path), system, context_options={"failure_rate": 0.0}) as runner:
        service = CommandService(runner.store, system.domain, issued_by="test",
                                 context=system.make_context(failure_rate=0.0))

        def step(request: CommandRequest) -> Outcome:
            outcome = send(service, request, system)
            runner.run_pending()
            return outcome

        for name in names:
            script = load_script(Path(str(system.scripts.joinpath(name))))
            assert script.name and script.description
            for _ in range(2):
                results = play(script, step, delay=0)
                assert all(r.as_expected for r in results), \
                    (name, [(r.number, r.outcome) for r in results if not r.as_expected])


def test_playing_twice_makes_new_ids_each_time(shop):
    first, _ = play_with_sagas(shop, "address-change.yaml")
    second, _ = play_with_sagas(shop, "address-change.yaml")
    assert first[0].request.stream_id != second[0].request.stream_id
    assert all(r.outcome.ok for r in second)


def test_play_waits_between_steps_and_can_stop(service):
    script = parse_script({"delay": 1.5, "steps": [
        {"stream_type": "Inventory", "stream_id": "prod_101", "command": "receive_stock",
         "data": {"quantity": 1}},
        {"stream_type": "Inventory", "stream_id": "prod_101", "command": "receive_stock",
         "data": {"quantity": 2}, "wait": 0.25},
        {"stream_type": "Inventory", "stream_id": "prod_101", "command": "receive_stock",
         "data": {"quantity": 3}}]})
    waits: list[float] = []
    seen = []
    results = play(script, lambda r: send(service, r, SHOP), sleep=waits.append,
                   on_step=seen.append)
    assert waits == [0.25, 1.5] and [r.number for r in seen] == [1, 2, 3]
    assert all(r.outcome.ok for r in results)
    waits.clear()
    assert len(play(script, lambda r: send(service, r, SHOP), delay=0, sleep=waits.append,
                    should_stop=lambda: len(waits) >= 1)) == 1


def test_recorded_commands_round_trip_as_json_and_yaml(tmp_path):
    requests = [CommandRequest("Order", "order_{run}", "place",
                               {"customer_id": "cust_1", "items": [LINE], "total": 59.98}),
                CommandRequest("Order", "order_{run}", "cancel", {"reason": "changed my mind"})]
    recorded = parse_script({"name": "Recorded", "delay": 0.5, "steps": [
        {"stream_type": r.stream_type, "stream_id": r.stream_id, "command": r.command,
         "data": r.data} for r in requests]})
    for suffix in (".json", ".yaml"):
        path = tmp_path / f"recorded{suffix}"
        save_script(path, recorded)
        again = load_script(path)
        assert again == recorded
        assert again.requests("r1")[0].stream_id == "order_r1"
    assert json.loads((tmp_path / "recorded.json").read_text())["steps"][1]["command"] == "cancel"


def test_a_recording_plays_again_and_again_with_fresh_ids(shop, tmp_path):
    address = {"street": "1 Main St", "city": "Leeds", "postal_code": "LS1 1AA", "country": "GB"}
    sent_requests = [
        CommandRequest("Customer", "cust_rec", "register", {"name": "Ada", "email": "a@b.co",
                                                            "address": address}),
        CommandRequest("Order", "order_rec", "place", {"customer_id": "cust_rec",
                                                       "items": [LINE], "total": 59.98}),
        CommandRequest("Order", "order_rec", "ship", {"carrier": "UPS", "tracking": "1Z999AA1"}),
        CommandRequest("Order", "order_rec", "cancel", {"reason": ""}),  # invalid: left out
        CommandRequest("Order", "order_rec", "cancel", {"reason": "changed my mind"}),
        CommandRequest("Order", "order_0001", "cancel", {"reason": "too late"}),
    ]
    with open_store(shop, system=SHOP) as store:
        service = CommandService(store, DEMO_DOMAIN, issued_by="test", context=make_context())
        sent = [(request, send(service, request, SHOP)) for request in sent_requests]
        assert [o.kind for _, o in sent] == ["events", "events", "rejected", "invalid",
                                             "events", "rejected"]
        script = record_script(sent, name="Recorded", delay=0, derived=SHOP.derived_streams)
        assert [s.stream_id for s in script.steps] == [
            "cust_rec_{run}", "order_rec_{run}", "order_rec_{run}", "order_rec_{run}",
            "order_0001"]  # an existing stream keeps its id
        assert script.steps[1].data["customer_id"] == "cust_rec_{run}"
        assert [s.expect for s in script.steps] == [None, None, "rejected", None, "rejected"]
        save_script(tmp_path / "recorded.yaml", script)
        again = load_script(tmp_path / "recorded.yaml")
        for _ in range(2):
            results = play(again, lambda request: send(service, request, SHOP), delay=0)
            assert all(r.as_expected for r in results), [r.outcome.message for r in results]
    with pytest.raises(ScriptError, match="Nothing to save"):
        record_script([(request, outcome) for request, outcome in sent
                       if outcome.kind == "invalid"], derived=SHOP.derived_streams)


def test_a_recording_renames_the_streams_a_saga_named_after_its_own():
    sent = [
        (CommandRequest("Order", "order_rec", "place", {"customer_id": "c", "items": [LINE],
                                                         "total": 59.98}),
         Outcome("events", "placed", (10,), ("OrderPlaced",), 1)),
        (CommandRequest("Order", "order_rec", "mark_paid", {"payment_id": "pay_rec",
                                                             "amount": 59.98}),
         Outcome("events", "paid", (14,), ("OrderPaid",), 4)),
        (CommandRequest("Payment", "pay_rec", "refund", {"amount": 59.98}),  # the saga's
         Outcome("events", "refunded", (15,), ("PaymentRefunded",), 2)),
        (CommandRequest("Payment", "pay_0007", "refund", {"amount": 1.0}),  # someone else's
         Outcome("rejected", "no")),
    ]
    steps = record_script(sent, derived=SHOP.derived_streams).steps
    assert [s.stream_id for s in steps] == ["order_rec_{run}", "order_rec_{run}", "pay_rec_{run}",
                                            "pay_0007"]
    assert steps[1].data["payment_id"] == "pay_rec_{run}"
    played = Script(steps=steps).requests("r9")
    assert played[2].stream_id == "pay_rec_r9"  # what the saga names order_rec_r9's payment


@pytest.mark.parametrize(("content", "suffix", "says"), [
    ("{not json", ".json", "not valid JSON"),
    ("steps: [unclosed", ".yaml", "not valid YAML"),
    ("- just a list", ".yaml", "bad.yaml is not a script: it holds a list, not a mapping"),
    ("", ".yaml", "bad.yaml is not a script: it holds nothing: it is empty"),  # (/dev/null)
    ("root:x:0:0:root:/root:/bin/bash", ".yaml", "it holds plain text. A script is a mapping"),
    ("42", ".json", r"it holds just the value 42\. A script is a mapping with a list of `steps`"),
    ("steps: []", ".yaml", "steps: list should have at least 1 item"),
    ("steps: [{stream_type: Order, stream_id: o}]", ".yaml", r"step 1 \(command\): field req"),
    ("delay: -1\nsteps: [{stream_type: O, stream_id: o, command: c}]", ".yaml", "delay"),
    ("steps: [{stream_type: O, stream_id: o, command: c, colour: red}]", ".yaml", "colour"),
])
def test_bad_scripts_say_what_is_wrong(tmp_path, content, suffix, says):
    path = tmp_path / f"bad{suffix}"
    path.write_text(content)
    with pytest.raises(ScriptError, match=says):
        load_script(path)


def test_missing_and_unreadable_scripts(tmp_path):
    with pytest.raises(ScriptError, match="No script at"):
        load_script(tmp_path / "nope.yaml")
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(ScriptError, match="Cannot read"):
        load_script(binary)


def test_the_script_command_line(shop, tmp_path):
    run = [sys.executable, "-m", "explorer", "script", str(shop)]
    done = subprocess.run([*run, "resources/scripts/payment-failure.yaml", "--delay", "0",
                           "--run-sagas"], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "3 of 3 steps ended as expected" in done.stdout
    assert "rejected: Cannot ship order" in done.stdout
    lines = subprocess.run([*run, "resources/scripts/address-change.yaml", "--delay", "0",
                            "--json"], capture_output=True, text=True, cwd=ROOT, timeout=120)
    steps = [json.loads(line) for line in lines.stdout.splitlines()]
    assert [s["step"] for s in steps] == [1, 2, 3, 4] and all(s["as_expected"] for s in steps)
    failing = tmp_path / "fails.json"
    save_script(failing, Script(steps=[{"stream_type": "Order", "stream_id": "nope_order",
                                        "command": "ship", "data": {"carrier": "UPS",
                                                                    "tracking": "ABC"}}]))
    done = subprocess.run([*run, str(failing), "--delay", "0"], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)
    assert done.returncode == 1 and "UNEXPECTED" in done.stdout
    bad = subprocess.run([*run, str(tmp_path / "missing.yaml")], capture_output=True, text=True,
                         cwd=ROOT, timeout=120)
    assert bad.returncode == 1 and bad.stderr.startswith("error: No script at")
