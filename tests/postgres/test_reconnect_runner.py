"""A runner that goes silent (a stopped process: its socket open, its kernel still answering
keepalives) loses its work to another runner within seconds: the server ends its session after
SILENCE_S without a word (a running runner's connection says one every HEARTBEAT_S). Woken up
later, it writes nothing more: the events are those one runner alone writes, one charge an
order at most."""

from __future__ import annotations

import signal
import time

from explorer.projections.postgres_readmodels import SILENCE_S
from tests.postgres.test_runtime_runners import (
    caught_up,
    charges,
    holders,
    one_runner_alone,
    start_runner,
    stop,
    wait_for,
    with_orders,
)


def test_a_stopped_leading_runner_is_taken_over_within_seconds_and_writes_nothing_after(
        store_url, admin, schema_name, tmp_path):
    url = with_orders(store_url)
    leader = start_runner(url, "--payment-latency", "0.02")
    follower = None
    try:
        wait_for(lambda: all(holders(admin, schema_name).values())
                 and sum(charges(url).values()) >= 5, 120, "the first runner did not start",
                 [leader])
        leading = set().union(*holders(admin, schema_name).values())
        follower = start_runner(url, "--payment-latency", "0.02")
        leader.send_signal(signal.SIGSTOP)
        stopped = time.monotonic()

        def taken_over() -> bool:
            held = holders(admin, schema_name)
            return all(pids and not pids & leading for pids in held.values())
        wait_for(taken_over, 60, "no runner took over", [follower])
        # (SILENCE_S after its last word, then the follower's next claim: within a second)
        assert time.monotonic() - stopped < SILENCE_S + 10
        leader.send_signal(signal.SIGCONT)  # woken: its session is gone, and its locks
        wait_for(lambda: caught_up(admin, schema_name), 180, "the work was not finished",
                 [follower])
    finally:
        if leader.poll() is None:
            leader.send_signal(signal.SIGCONT)
        stop(*[runner for runner in (leader, follower) if runner is not None])
    assert signature_of(url) == one_runner_alone(tmp_path)  # nothing lost, nothing twice
    paid = charges(url)
    assert paid and max(paid.values()) == 1  # never a double charge


def signature_of(url: str) -> list:
    from tests.sagas.test_fulfilment import signature

    return signature(url)
