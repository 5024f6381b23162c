"""The sagas read model: each saga's row says what its steps say (the step view's), no less; on
a store file and on a store on a PostgreSQL server."""

from __future__ import annotations

from pathlib import Path

import pytest

from explorer.demo import DEMO_DOMAIN
from explorer.demo.projections import saga_instances
from explorer.demo.seed import seed_store
from explorer.demo.system import SHOP
from explorer.domain import Repository
from explorer.projections import ReadModelDatabase, read_model_path, read_rows
from explorer.projections.database import open_read_models
from explorer.runtime.runner import Runner
from explorer.sagas.steps import step_views
from explorer.system.workspace import open_store
from tests.sagas.agreement import assert_row_says_what_its_steps_say

pytestmark = pytest.mark.backends


def seed_shop(location: str) -> None:
    """A seeded store as the seed left it (some sagas' steps still pending), its read models
    built."""
    with open_store(location, system=SHOP, create=True) as store:
        seed_store(store, orders=150, seed=11)
    with Runner(location, SHOP, run_sagas=False) as runner:
        runner.run_pending()


def finish(location: str) -> None:
    """The same store once its sagas have done all that was due."""
    seed_shop(location)
    with Runner(location, SHOP, context_options={"failure_rate": 0.0}) as runner:
        runner.run_pending()


@pytest.fixture
def seeded(shared_location):
    return shared_location("sagas_seeded", seed_shop)


@pytest.fixture
def finished(shared_location):
    return shared_location("sagas_finished", finish)


def saga_rows(location):
    with open_read_models(str(location), False, read_only=True) as db:
        return read_rows(db, saga_instances, limit=None)


def test_a_completed_saga_has_done_all_its_steps(finished):
    rows = saga_rows(finished)
    completed = [row for row in rows if row["status"] == "completed"]
    longer = [row for row in completed if row["steps_total"] > 2]
    assert len(longer) > 50
    for row in completed:
        assert (row["steps_done"], row["current_step"]) == (row["steps_total"], None), row


def test_a_compensated_saga_shows_its_done_and_compensated_steps_and_no_current_step(finished):
    rows = saga_rows(finished)
    compensated = [row for row in rows if row["status"] == "compensated"]
    assert len(compensated) > 10
    for row in compensated:
        assert row["current_step"] is None, row
        assert row["steps_done"] + row["steps_compensated"] + row["steps_failed"] + \
            row["steps_unconfirmed"] == row["steps_total"], row
    assert any(row["steps_compensated"] for row in compensated)


@pytest.mark.parametrize("which", ["seeded", "finished"])
def test_every_saga_row_agrees_with_its_step_view(which, request):
    path = request.getfixturevalue(which)
    rows = saga_rows(path)
    with open_store(path, system=SHOP, read_only=True) as store:
        repository = Repository(store, DEMO_DOMAIN)
        for row in rows:
            saga = repository.load("OrderFulfilment", row["saga_id"]).aggregate
            assert_row_says_what_its_steps_say(row, saga.status, step_views(store, saga))
    running = [row for row in rows if row["status"] == "running"]
    if which == "seeded":  # the seed leaves some sagas with steps to run
        assert running and all(row["current_step"] for row in running)
    else:
        assert not running


@pytest.mark.sqlite_only("writes an older read-model file beside a copy of the store file")
def test_read_models_of_the_earlier_version_are_rebuilt(seeded, tmp_path):
    """A read-model file whose sagas projection was built by the earlier code (its rows in a
    table of another shape, its checkpoint at the end) gets the sagas rows again."""
    copy = tmp_path / "shop.evstore"
    copy.write_bytes(Path(seeded).read_bytes())
    with ReadModelDatabase(read_model_path(str(copy), False)) as db, \
            db.transaction() as connection:
        connection.execute("INSERT INTO projection_state (name, kind, version, checkpoint) "
                           "VALUES ('sagas', 'projection', 1, ?)", (10**9,))
    with Runner(str(copy), SHOP, run_sagas=False) as runner:
        runner.run_pending()
        assert runner.engine.rows("sagas", limit=None) == saga_rows(seeded)
