"""Sagas and the runner under contention: conflicts and locks are waited out, never the end.

Trouble is made deterministic by a store whose appends to chosen streams first meet it: another
writer's append just before (a real conflict), or an error raised in its place. On a store file
and on a PostgreSQL server.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections import Counter
from collections.abc import Callable

import pytest

from explorer.demo import DEMO_DOMAIN, OrderFulfilment, make_context
from explorer.demo.system import SHOP
from explorer.domain import CommandService
from explorer.runtime.inbox import ServeInbox
from explorer.runtime.runner import Runner
from explorer.sagas import SagaManager
from explorer.sagas.backoff import Backoff, Stopped
from explorer.store.errors import ConcurrencyError, StoreLockedError
from tests.sagas.test_fulfilment import place, saga, setup_shop, types

pytestmark = pytest.mark.backends
LOCKED = "Cannot append events: the store is locked by another program for more than 10 s."


class TroubledStore:
    """A store whose `append` first calls `trouble(stream_id)`, which may append elsewhere
    (making the caller's expected version stale) or raise."""

    def __init__(self, store, trouble: Callable[[str], None]) -> None:
        self._store = store
        self._trouble = trouble

    def append(self, stream_id, stream_type, events, expected_version=None):
        self._trouble(stream_id)
        return self._store.append(stream_id, stream_type, events, expected_version)

    def __getattr__(self, name):
        return getattr(self._store, name)


def troubled_manager(store, trouble: Callable[[str], None]) -> SagaManager:
    service = CommandService(TroubledStore(store, trouble), DEMO_DOMAIN,
                             context=make_context(failure_rate=0.0), issued_by="saga:test")
    return SagaManager(OrderFulfilment, service)


def charges(store) -> Counter:
    return Counter(e.stream_id for e in store.read_all() if e.event_type == "PaymentCharged")


def test_a_step_whose_target_keeps_changing_is_retried_until_it_goes_through(service, store):
    setup_shop(service)
    place(service)
    left = {"prod_101": 10}  # more than the command service's own attempts, several times over

    def another_writer_first(stream_id: str) -> None:
        if left.get(stream_id, 0) > 0:
            left[stream_id] -= 1
            service.execute("Inventory", stream_id, "receive_stock", {"quantity": 1})

    manager = troubled_manager(store, another_writer_first)
    manager.catch_up()
    assert left["prod_101"] == 0 and manager.retries >= 2  # the manager itself retried
    assert saga(store).status == "completed"
    assert types(store, "prod_101").count("InventoryReserved") == 1
    assert types(store, "prod_101").count("InventoryStockReceived") == 1 + 10  # nothing lost
    assert charges(store) == {"pay_1": 1}


def test_a_saga_whose_own_stream_keeps_changing_records_once_it_can(service, store):
    setup_shop(service)
    place(service)
    left = [12]

    def conflict_on_the_saga(stream_id: str) -> None:
        if stream_id.startswith("fulfilment-") and left[0] > 0:
            left[0] -= 1
            raise ConcurrencyError(stream_id, 1, 2)

    manager = troubled_manager(store, conflict_on_the_saga)
    manager.catch_up()
    assert left[0] == 0 and manager.retries == 12
    assert saga(store).status == "completed"
    assert types(store, "fulfilment-order_1").count("FulfilmentStarted") == 1
    assert charges(store) == {"pay_1": 1}


def test_a_charge_retried_after_it_went_through_is_not_charged_again(service, store):
    """The worst case for exactly-once: the charge is stored, but its caller is told it
    conflicted (as when another runner sent the same step at the same moment)."""
    setup_shop(service)
    place(service)
    manager = troubled_manager(store, lambda stream_id: None)
    real_execute = manager.service.execute
    told = []

    def stored_but_told_it_conflicted(stream_type, stream_id, command, data=None, **options):
        result = real_execute(stream_type, stream_id, command, data, **options)
        if command == "charge" and len(told) < 3:
            told.append(result)
            raise ConcurrencyError(stream_id, 0, 1)
        return result

    manager.service.execute = stored_but_told_it_conflicted
    manager.catch_up()
    assert len(told) == 3 and not told[0].duplicate and all(r.duplicate for r in told[1:])
    assert charges(store) == {"pay_1": 1}
    assert types(store, "pay_1") == ["PaymentCharged"]
    assert saga(store).status == "completed"


def test_a_stop_ends_the_wait_and_the_work_is_finished_later(service, store):
    setup_shop(service)
    placed = place(service)
    conflicting = threading.Event()
    conflicting.set()
    stop = threading.Event()

    def conflict_while_asked(stream_id: str) -> None:
        if stream_id == "prod_102" and conflicting.is_set():
            raise ConcurrencyError(stream_id, 1, 2)

    manager = troubled_manager(store, conflict_while_asked)
    finished = threading.Event()
    thread = threading.Thread(target=lambda: (manager.catch_up(should_stop=stop.is_set),
                                              finished.set()))
    thread.start()
    try:
        while manager.retries < 3:  # it keeps trying, as long as it takes
            assert thread.is_alive()
            stop.wait(0.01)
        stop.set()
        thread.join(timeout=10)
        assert finished.is_set()  # the stop ended the wait; nothing was raised
    finally:
        stop.set()
        thread.join()
    order_placed = placed.events[0].position
    assert manager.checkpoint == order_placed - 1  # the unfinished event is observed again
    state = saga(store)
    assert state.status == "running" and state.steps["reserve prod_102"]["status"] == "scheduled"
    conflicting.clear()
    manager.catch_up()
    assert saga(store).status == "completed"
    for product in ("prod_101", "prod_102"):
        assert types(store, product).count("InventoryReserved") == 1
    assert charges(store) == {"pay_1": 1}


def test_a_store_locked_during_a_step_is_not_taken_for_a_refusal(service, store):
    setup_shop(service)
    place(service)
    locked = [True]

    def locked_once(stream_id: str) -> None:
        if stream_id == "pay_1" and locked[0]:
            locked[0] = False
            raise StoreLockedError(LOCKED)

    manager = troubled_manager(store, locked_once)
    with pytest.raises(StoreLockedError):
        manager.catch_up()  # the caller (the runner) decides to wait and retry
    state = saga(store)
    assert state.status == "running" and state.steps["charge payment"]["status"] == "scheduled"
    manager.catch_up()
    assert saga(store).status == "completed"
    assert charges(store) == {"pay_1": 1}


def test_backoff_waits_grow_to_a_cap_and_a_stop_cuts_them_short():
    slept = []
    backoff = Backoff(sleep=slept.append, first_s=0.002, most_s=0.1)
    limits = []
    for _ in range(12):
        before = len(slept)
        backoff.wait()
        limits.append(sum(slept[before:]))
    assert all(0.001 <= wait <= 0.1 + 1e-9 for wait in limits)
    assert limits[-1] >= 0.05 and limits[0] <= 0.002  # grew from short waits to the cap
    backoff.reset()
    assert backoff.attempts == 0
    asked = []
    stopping = Backoff(lambda: len(asked) > 0, sleep=lambda s: asked.append(s), first_s=1.0,
                       most_s=1.0)
    with pytest.raises(Stopped):
        stopping.wait()
    assert len(asked) == 1 and asked[0] <= 0.02  # stopped after one short slice, not 1 s


# -- the runner ----------------------------------------------------------------------------


def failing_first(runner: Runner, failures: list[Exception]) -> None:
    """Make the runner's projection pass raise these errors, one a pass, before working."""
    real = runner.engine.catch_up_all

    def catch_up_all(*args, **kwargs):
        if failures:
            raise failures.pop(0)
        return real(*args, **kwargs)

    runner.engine.catch_up_all = catch_up_all


def test_the_runner_waits_out_a_locked_store_and_says_so(service, store, store_location):
    setup_shop(service)
    place(service)
    statuses = []
    stop = threading.Event()
    with Runner(str(store_location), SHOP, context_options={"failure_rate": 0.0}) as runner:
        failing_first(runner, [StoreLockedError(LOCKED) for _ in range(3)])
        thread = threading.Thread(target=runner.run_forever, args=(stop,),
                                  kwargs={"on_status": statuses.append, "status_every_s": 0.05})
        thread.start()
        try:
            while not (statuses and statuses[-1].retrying is None
                       and any(s.retrying for s in statuses)
                       and saga(store).status == "completed"):
                assert thread.is_alive()
                stop.wait(0.01)
        finally:
            stop.set()
            thread.join()
    assert [s.retrying for s in statuses if s.retrying][0] == LOCKED
    assert charges(store) == {"pay_1": 1}


def test_a_real_fault_still_ends_the_runner(store_location, store):
    with Runner(str(store_location), SHOP, context_options={"failure_rate": 0.1}) as runner:
        failing_first(runner, [RuntimeError("a bug")])
        with pytest.raises(RuntimeError, match="a bug"):
            runner.run_forever(threading.Event())


def test_the_windows_runner_reports_a_locked_store_and_keeps_serving(service, store,
                                                                     store_location):
    setup_shop(service)
    place(service)
    messages: queue.SimpleQueue = queue.SimpleQueue()
    inbox = ServeInbox()
    seen = []
    with Runner(str(store_location), SHOP, context_options={"failure_rate": 0.0}) as runner:
        failing_first(runner, [StoreLockedError(LOCKED), StoreLockedError(LOCKED)])
        thread = threading.Thread(target=runner.serve, args=(inbox, messages.put))
        thread.start()
        try:
            while not (any("failed" in m for m in seen) and saga(store).status == "completed"):
                assert thread.is_alive()
                with contextlib.suppress(queue.Empty):
                    seen.append(messages.get(timeout=0.05))
        finally:
            inbox.end()
            thread.join()
    while not messages.empty():
        seen.append(messages.get())
    failed = [m["failed"] for m in seen if "failed" in m]
    assert failed == [f"{LOCKED} The runner keeps retrying."]  # once, not once a retry
    assert any(m.get("status", {}).get("retrying") == LOCKED for m in seen)


def test_a_single_pass_raises_trouble_unless_asked_to_retry_it(service, store, store_location):
    """`project` and other one-off passes: told whom to report to, they wait the lock out."""
    setup_shop(service)
    place(service)
    reported = []
    with Runner(str(store_location), SHOP, context_options={"failure_rate": 0.0}) as runner:
        failing_first(runner, [StoreLockedError(LOCKED)])
        with pytest.raises(StoreLockedError):
            runner.run_pending()
        failing_first(runner, [StoreLockedError(LOCKED), StoreLockedError(LOCKED)])
        runner.run_pending(on_retry=reported.append)
        assert runner.retrying is None and runner.failed_attempts == 0
    assert [str(error) for error in reported] == [LOCKED, LOCKED]
    assert saga(store).status == "completed"
