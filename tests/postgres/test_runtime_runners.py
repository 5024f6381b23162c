"""Several runner processes on one server store share the work: each projection and the saga
manager are advanced by one runner at a time (its advisory lock), another takes over within
seconds when the leading one is killed (kill -9), and no saga step is done twice: the events
are those one runner alone writes, with one charge an order at most."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from explorer.demo.system import SHOP
from explorer.projections.postgres_readmodels import LOCK_CLASS, SCHEMA_SUFFIX
from explorer.runtime.runner import Runner
from explorer.system.workspace import open_store
from tests.sagas.test_fulfilment import signature, with_orders

ROOT = Path(__file__).resolve().parents[2]
ORDERS = 60
TAKEOVER_S = 30  # the deadline for another runner to take over (it does in about a second)
WORK = (*(p.name for p in SHOP.projections()), "saga:order_fulfilment")


def one_runner_alone(tmp_path) -> list:
    clean = with_orders(tmp_path / "clean.evstore", ORDERS)
    with Runner(clean, SHOP, context_options={"failure_rate": 0.1}) as runner:
        runner.run_pending()
    return signature(clean)


def start_runner(url: str, *options: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "explorer", "run", url, "--failure-rate",
                             "0.1", "--status-every", "60", *options], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env={**os.environ})


def holders(admin, schema_name) -> dict[str, set[int]]:
    """Which server sessions hold each name's advisory lock now."""
    found: dict[str, set[int]] = {name: set() for name in WORK}
    keys = {admin.execute("SELECT hashtext(%s)::bigint & 4294967295",
                          (f"{schema_name}{SCHEMA_SUFFIX}/{name}",)).fetchone()[0]: name
            for name in WORK}
    for pid, key in admin.execute(
            "SELECT pid, objid::bigint FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND objsubid = 2 AND classid = %s::bigint::oid", (LOCK_CLASS,)):
        if key in keys:
            found[keys[key]].add(pid)
    return found


def caught_up(admin, schema_name) -> bool:
    """Every projection and the saga manager at the log's end."""
    last = admin.execute(f'SELECT max(position) FROM "{schema_name}".events').fetchone()[0]
    saga = admin.execute(f'SELECT position FROM "{schema_name}".process_checkpoints WHERE '
                         "name = 'order_fulfilment'").fetchone()
    state = f'"{schema_name}{SCHEMA_SUFFIX}".projection_state'
    exists = admin.execute("SELECT to_regclass(%s)", (state,)).fetchone()[0]
    if saga is None or saga[0] < last or exists is None:
        return False
    checkpoints = [c for (c,) in admin.execute(f"SELECT checkpoint FROM {state}")]
    return len(checkpoints) == len(WORK) - 1 and min(checkpoints) == last


def wait_for(condition, deadline_s: float, what: str, runners=()) -> None:
    deadline = time.monotonic() + deadline_s
    while not condition():
        for runner in runners:
            assert runner.poll() is None, runner.stderr.read().decode()
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def charges(url: str) -> Counter[str]:
    with open_store(url, system=SHOP, read_only=True) as store:
        return Counter(e.stream_id for e in store.read_all() if e.event_type == "PaymentCharged")


def stop(*runners: subprocess.Popen[bytes]) -> None:
    for runner in runners:
        if runner.poll() is None:
            runner.terminate()
        runner.wait(timeout=60)


def test_two_runners_at_once_each_advance_a_share_and_write_what_one_alone_would(
        store_url, admin, schema_name, tmp_path):
    url = with_orders(store_url, ORDERS)
    runners = [start_runner(url), start_runner(url)]
    try:
        seen: list[dict[str, set[int]]] = []

        def done() -> bool:
            seen.append(holders(admin, schema_name))
            return caught_up(admin, schema_name)
        wait_for(done, 180, "the runners did not catch up", runners)
        held = holders(admin, schema_name)
        assert all(len(pids) == 1 for pids in held.values()), held  # each by exactly one
        assert all(len(pids) <= 1 for sample in seen for pids in sample.values())
    finally:
        stop(*runners)
    assert signature(url) == one_runner_alone(tmp_path)
    assert max(charges(url).values()) == 1


def test_a_killed_leading_runner_is_taken_over_within_seconds_and_no_step_is_done_twice(
        store_url, admin, schema_name, tmp_path):
    url = with_orders(store_url, ORDERS)
    leader = start_runner(url, "--payment-latency", "0.02")
    follower = None
    try:
        wait_for(lambda: all(holders(admin, schema_name).values())
                 and sum(charges(url).values()) >= 5, 120, "the first runner did not start",
                 [leader])
        leading = set().union(*holders(admin, schema_name).values())
        follower = start_runner(url, "--payment-latency", "0.02")
        assert not caught_up(admin, schema_name)  # killed mid-work
        leader.send_signal(signal.SIGKILL)
        leader.wait()

        def taken_over() -> bool:
            held = holders(admin, schema_name)
            return all(pids and not pids & leading for pids in held.values())
        wait_for(taken_over, TAKEOVER_S, "no runner took over", [follower])
        wait_for(lambda: caught_up(admin, schema_name), 180, "the work was not finished",
                 [follower])
    finally:
        stop(*[runner for runner in (leader, follower) if runner is not None])
    assert signature(url) == one_runner_alone(tmp_path)  # nothing lost, nothing twice
    paid = charges(url)
    assert paid and max(paid.values()) == 1  # never a double charge


def test_a_runner_s_status_says_what_another_runner_advances(store_url):
    """The window's Projections tab names what another runner advances on a server (each read
    model one runner's at a time): the runner's status carries it (`left_to_others`), and
    nothing while no other runner is there."""
    with_orders(store_url, 3)
    with Runner(store_url, SHOP) as first, Runner(store_url, SHOP) as second:
        first.run_pending()  # (it claims every projection and the sagas)
        first.presence_news()
        assert second.status().left_to_others == ()  # (it has not looked, nor claimed)
        second.run_pending()
        second.presence_news()
        assert second.status().others == (first.presence.text(),)
        assert set(second.status().left_to_others) == set(WORK)
        first._next_look = 0.0  # (it looks again at once, not a second later)
        first.presence_news()
        assert first.status().others == (second.presence.text(),)
        assert first.status().left_to_others == ()
