"""The live subcommands: project, projection, sagas, run and follow; on a store file and on a
store on a PostgreSQL server."""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from explorer.cli import main
from explorer.demo import DEMO_DOMAIN
from explorer.demo.system import SHOP
from explorer.domain import CommandService
from explorer.system.workspace import open_store
from tests.cli.running import run

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.backends


@pytest.fixture
def shop(store_location, capsys):
    path = store_location
    assert main(["seed", str(path), "--orders", "80", "--seed", "4"]) == 0
    capsys.readouterr()
    return path


def test_project_brings_everything_up_to_date(shop, capsys):
    code, out, _ = run(capsys, "project", shop, "--json")
    report = json.loads(out)
    assert code == 0
    assert {p["name"] for p in report["projections"]} == {
        "order_summary", "stock", "revenue_per_day", "orders_per_customer", "sagas"}
    assert all(p["state"] == "caught up" for p in report["projections"])
    assert report["sagas"][0]["checkpoint"] == report["last_position"]
    code, out, _ = run(capsys, "project", shop, "--rebuild", "stock")
    assert code == 0 and "stock" in out and "caught up" in out
    code, _, err = run(capsys, "project", shop, "--rebuild", "nothing")
    assert code == 1 and "There is no projection 'nothing'" in err


def test_projection_rows_now_and_as_of_a_position(shop, capsys):
    orders = json.loads(run(capsys, "projection", shop, "order_summary", "--json")[1])
    assert len(orders) == 80 and {"order_id", "customer_name", "status", "total", "item_count",
                                  "created_at", "updated_at"} <= set(orders[0])
    early = json.loads(run(capsys, "projection", shop, "order_summary", "--json",
                           "--at-position", "200")[1])
    assert 0 < len(early) < 80
    code, out, _ = run(capsys, "projection", shop, "stock", "--limit", "2")
    assert code == 0 and out.splitlines()[0].split()[:2] == ["PRODUCT_ID", "NAME"]
    assert len(out.splitlines()) == 3


def test_sagas_by_status(shop, capsys):
    everything = json.loads(run(capsys, "sagas", shop, "--json")[1])
    assert len(everything) == 80
    statuses = {row["status"] for row in everything}
    assert "completed" in statuses and "compensated" in statuses
    compensated = json.loads(run(capsys, "sagas", shop, "--status", "compensated", "--json")[1])
    assert compensated and {row["status"] for row in compensated} == {"compensated"}
    code, out, _ = run(capsys, "sagas", shop, "--status", "completed", "--limit", "3")
    assert code == 0 and len(out.splitlines()) == 4 and "completed" in out


def lines_of(process) -> queue.Queue:
    found: queue.Queue = queue.Queue()

    def read() -> None:
        for line in process.stdout:
            found.put(line)
    threading.Thread(target=read, daemon=True).start()
    return found


def serving(store: Path) -> tuple[subprocess.Popen, queue.Queue]:
    """`run STORE --serve --no-sagas` started, and its lines, once it said it was ready."""
    process = subprocess.Popen([sys.executable, "-m", "explorer", "run", str(store), "--serve",
                                "--no-sagas"], cwd=ROOT, stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True)
    lines = lines_of(process)
    try:
        assert json.loads(lines.get(timeout=60))["ready"] is True
    except BaseException:
        process.kill()
        raise
    return process, lines


def test_follow_prints_each_new_event_as_json_lines(shop):
    process = subprocess.Popen([sys.executable, "-m", "explorer", "follow", str(shop), "--json"],
                               cwd=ROOT, stdout=subprocess.PIPE, text=True)
    lines = lines_of(process)
    try:
        deadline = time.monotonic() + 30
        with open_store(shop, system=SHOP) as store:
            service = CommandService(store, DEMO_DOMAIN, issued_by="test")
            while True:  # append until the follower (which may still be starting) shows one
                service.execute("Inventory", "prod_101", "receive_stock", {"quantity": 1})
                try:
                    event = json.loads(lines.get(timeout=1))
                    break
                except queue.Empty:
                    assert time.monotonic() < deadline
        assert event["event_type"] == "InventoryStockReceived"
        assert event["stream_id"] == "prod_101" and "metadata" in event
    finally:
        process.terminate()
        process.wait(30)


def test_follow_prints_an_aligned_table(shop):
    """Without --json, followed events are a table whose columns stay under their headers (its
    rows were joined with two spaces, each as wide as it came)."""
    process = subprocess.Popen([sys.executable, "-m", "explorer", "follow", str(shop),
                                "--from-position", "1"],
                               cwd=ROOT, stdout=subprocess.PIPE, text=True)
    lines = lines_of(process)
    try:
        header = lines.get(timeout=60)
        rows = [lines.get(timeout=30) for _ in range(300)]
    finally:
        process.terminate()
        process.wait(30)
    version_ends = header.index("VERSION") + len("VERSION")
    type_starts = header.index("TYPE")
    assert any(len(row.split()[3]) > 18 for row in rows)  # (a saga's stream id among them)
    for row in rows:
        assert row[version_ends - 1].isdigit() and row[version_ends] == " ", row
        assert row[type_starts - 1] == " " and row[type_starts] != " ", row


def test_run_keeps_projections_and_sagas_going_until_stopped(shop):
    process = subprocess.Popen([sys.executable, "-m", "explorer", "run", str(shop),
                                "--status-every", "0.2"], cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    lines = lines_of(process)
    try:
        first = lines.get(timeout=60)
        assert first.startswith("position ") and "order_summary" in first
        with open_store(shop, system=SHOP) as store:
            CommandService(store, DEMO_DOMAIN).execute("Order", "order_run", "place", {
                "customer_id": "cust_001", "total": 29.99,
                "items": [{"product_id": "prod_101", "quantity": 1, "price": 29.99}]})
        deadline = time.monotonic() + 30
        while True:
            with open_store(shop, system=SHOP, read_only=True) as store:
                if [e.event_type for e in store.read_stream("order_run")][-1] == "OrderShipped":
                    break
            assert time.monotonic() < deadline and process.poll() is None
            time.sleep(0.05)
    finally:
        process.terminate()
        process.wait(30)


def test_serve_takes_commands_and_reports_in_json(shop):
    process, lines = serving(shop)
    try:
        process.stdin.write('{"rebuild": "stock"}\nnot json\n')
        process.stdin.flush()
        seen = {}
        deadline = time.monotonic() + 60
        while not {"finished", "failed"} <= set(seen):
            message = json.loads(lines.get(timeout=max(0.1, deadline - time.monotonic())))
            seen.update(message)
        assert seen["finished"] == "stock" and "Not a runner command" in seen["failed"]
        assert seen["status"]["projections"][0]["name"] == "order_summary"
        process.stdin.close()  # the end of stdin stops it
        assert process.wait(30) == 0
    finally:
        if process.poll() is None:
            process.kill()


def test_a_cancel_sent_before_a_rebuild_is_begun_stops_it_before_it_begins(shop):
    """The window's Cancel may reach the runner before the rebuild it asked for is begun (the
    runner busy with other work): that rebuild is then not begun, and the read model is left as
    it was. The runner used to forget that cancel as it began the rebuild, which then emptied
    the read model and ran to the end whatever the window said. A rebuild asked for after a
    cancel is begun as usual."""
    process, lines = serving(shop)
    try:
        with open_store(shop, system=SHOP, read_only=True) as store:
            last = store.last_position()
        deadline = time.monotonic() + 60

        def order_summary(message: dict) -> tuple[str, int]:
            summary, = (p for p in message["status"]["projections"] if p["name"] == "order_summary")
            return summary["state"], summary["checkpoint"]

        message: dict = {}
        while "status" not in message or order_summary(message) != ("caught up", last):
            message = json.loads(lines.get(timeout=max(0.1, deadline - time.monotonic())))
        process.stdin.write('{"rebuild": "order_summary"}\n{"cancel": true}\n')
        process.stdin.flush()
        seen = []
        while not any(message.get("finished") for message in seen) or "status" not in seen[-1]:
            seen.append(json.loads(lines.get(timeout=max(0.1, deadline - time.monotonic()))))
        assert not any("progress" in message for message in seen)  # never begun
        assert order_summary(seen[-1]) == ("caught up", last)  # left as it was, not emptied
        process.stdin.write('{"rebuild": "order_summary"}\n')
        process.stdin.flush()
        while not seen or seen[-1].get("finished") != "order_summary" or not any(
                "progress" in message for message in seen):
            seen.append(json.loads(lines.get(timeout=max(0.1, deadline - time.monotonic()))))
        process.stdin.close()
        assert process.wait(30) == 0
    finally:
        if process.poll() is None:
            process.kill()


def test_follow_from_a_position_past_the_next_event_is_refused(shop, capsys):
    """It waited, then skipped the events before that position as they came, unsaid."""
    with open_store(shop, system=SHOP, read_only=True) as store:
        last = store.last_position()
    code, out, err = run(capsys, "follow", shop, "--from-position", last + 2)
    assert code == 2 and out == ""
    assert err == (f"error: Position {last + 2:,} (--from-position) is after the next event's, "
                   f"{last + 1:,}: choose a position up to {last + 1:,}, or leave the option "
                   "out to start at the end.\n")
