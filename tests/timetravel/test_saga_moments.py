"""A saga as of a position: its row and its steps, from events up to the position alone."""

from __future__ import annotations

import pytest

from explorer.demo.seed import seed_store
from explorer.demo.system import SHOP
from explorer.projections import ReadModelDatabase, read_model_path
from explorer.runtime.runner import Runner
from explorer.store.query import EventQuery
from explorer.system.workspace import open_store
from explorer.timetravel.machine import TimeMachine


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    path = tmp_path_factory.mktemp("moments") / "shop.evstore"
    with open_store(path, system=SHOP, create=True) as store:
        seed_store(store, orders=60, seed=3)
    with Runner(str(path), SHOP, run_sagas=False) as runner:
        runner.run_pending()
    return path


def test_at_a_charge_the_saga_has_not_recorded_yet_its_row_and_steps_agree(shop):
    """The payment is charged at P; the saga records it at P+1. As of P the charge's command
    has run and the saga has not said what it made of it: row and steps say so alike."""
    with open_store(shop, system=SHOP, read_only=True) as store, \
            ReadModelDatabase(read_model_path(str(shop), False), read_only=True) as built:
        machine = TimeMachine(store, built, SHOP)
        charged = store.query(EventQuery(event_types=("PaymentCharged",)), limit=1)[0]
        position = charged.position
        assert store.event_at(position + 1).event_type == "PaymentConfirmed"
        saga_id = "fulfilment-" + charged.data["order_id"]
        for at, status in ((position - 1, "pending"), (position, "unconfirmed"),
                           (position + 1, "done")):
            moment = machine.moment(at, saga_id=saga_id, rows=500)
            row = next(r for r in moment.sagas.rows if r["saga_id"] == saga_id)
            steps = {step.step: step for step in moment.saga.steps}
            assert steps["charge payment"].status == status, at
            assert row["status"] == moment.saga.status == "running"
            pending = [name for name, step in steps.items() if step.status == "pending"]
            assert row["current_step"] == (", ".join(pending) or None), at
            assert row["steps_done"] == sum(s.status == "done" for s in steps.values()), at
            assert row["steps_unconfirmed"] == (status == "unconfirmed"), at
            assert row["steps_total"] == len(steps), at
        assert steps["charge payment"].event_position == position


def test_at_a_sagas_own_event_its_steps_are_shown(shop):
    """The cursor on an event of a saga's own stream (PaymentConfirmed names no order) shows
    that saga's steps, as on an event that concerns it: before, only events naming its order
    found it, so four in five of its own events showed no steps."""
    with open_store(shop, system=SHOP, read_only=True) as store, \
            ReadModelDatabase(read_model_path(str(shop), False), read_only=True) as built:
        machine = TimeMachine(store, built, SHOP)
        confirmed = store.query(EventQuery(event_types=("PaymentConfirmed",)), limit=1)[0]
        assert "order_id" not in confirmed.data
        moment = machine.moment(confirmed.position)
        assert moment.saga is not None
        assert moment.saga.saga_id == confirmed.stream_id
        steps = {step.step: step for step in moment.saga.steps}
        assert steps["charge payment"].status == "done"
