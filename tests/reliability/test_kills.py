"""kill -9 at random moments during seed, append, rebuild and saga runs: the store still passes
`check`, nothing a writer was told was written is lost, the read models equal a clean rebuild,
every saga finishes and no payment is charged twice.

The rounds are the soak's (bench/kill_rounds.py), with a few kills each; `python bench/run.py
soak` runs them with many. Their moments are drawn from a seed, new each run and named in every
failure: `KILL_SEED=N pytest tests/reliability/test_kills.py` draws the same ones again.
"""

from __future__ import annotations

import os
import random

import pytest

from bench.kill_rounds import (
    append_kill_round,
    rebuild_kill_round,
    saga_kill_round,
    seed_kill_round,
)

KILLS = 3  # each round
SEED = int(os.environ.get("KILL_SEED") or random.randrange(10**6))
SEED_ORDERS = 2000  # about 27,000 events: seed commits once on the way (every 20,000)
REBUILD_ORDERS = 1000  # about 13,000 events to rebuild


@pytest.fixture
def replay():
    def message(result: dict) -> str:
        return (f"KILL_SEED={SEED} replays these moments; "
                + "; ".join(result["problems"] or ["no problem was described"]))
    return message


def test_seed_killed_leaves_a_store_that_checks_and_takes_writes(tmp_path, replay):
    result = seed_kill_round(tmp_path, kills=KILLS, orders=SEED_ORDERS, seed=SEED)
    assert result["kills"] == KILLS, replay(result)
    assert result["problems"] == [], replay(result)  # check, and seed or a command after it
    assert result["check_failures"] == 0, replay(result)


def test_writers_killed_while_appending_lose_nothing_they_reported(tmp_path, replay):
    result = append_kill_round(tmp_path, kills=KILLS, seed=SEED)
    assert result["kills"] == KILLS, replay(result)
    assert result["commands"] > 0, replay(result)
    assert result["lost"] == 0, replay(result)
    assert result["duplicates"] == result["gaps"] == 0, replay(result)
    assert result["check_failures"] == 0, replay(result)  # after each kill, and at the end
    assert result["writer_exits"] == 0, replay(result)  # the survivor kept writing
    assert result["problems"] == [], replay(result)


def test_rebuild_killed_then_run_again_equals_a_clean_rebuild(tmp_path, replay):
    result = rebuild_kill_round(tmp_path, kills=KILLS, orders=REBUILD_ORDERS, seed=SEED)
    assert result["kills"] == KILLS, replay(result)
    assert result["read_model_differences"] == 0, replay(result)
    assert result["check_failures"] == 0, replay(result)
    assert result["problems"] == [], replay(result)


def test_runner_killed_and_restarted_finishes_every_saga_charging_once(tmp_path, replay):
    result = saga_kill_round(tmp_path, kills=KILLS, seed=SEED)
    assert result["kills"] == KILLS, replay(result)
    assert result["commands"] > 0, replay(result)
    assert result["unfinished_sagas"] == 0, replay(result)
    assert result["double_charges"] == result["stray_charges"] == 0, replay(result)
    assert result["lost"] == result["duplicates"] == 0, replay(result)
    assert result["runner_exits"] == 0, replay(result)  # each restart started
    assert result["check_failures"] == 0, replay(result)
    assert result["problems"] == [], replay(result)
