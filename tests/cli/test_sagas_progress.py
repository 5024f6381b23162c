"""`sagas` lists each saga's progress as its steps have it: a completed saga did them all (on
a store file and on a store on a PostgreSQL server)."""

from __future__ import annotations

import json

import pytest

from explorer.cli import main

pytestmark = pytest.mark.backends


def test_sagas_show_every_step_of_a_finished_saga(store_location, capsys):
    store = str(store_location)
    assert main(["seed", store, "--orders", "80", "--seed", "4"]) == 0
    assert main(["project", store]) == 0  # the sagas do what the seed left for them
    capsys.readouterr()
    assert main(["sagas", store, "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    completed = [row for row in rows if row["status"] == "completed"]
    assert completed and all(row["steps_done"] == row["steps_total"] > 2 for row in completed)
    assert all(row["current_step"] is None for row in rows)
    # each step's status as the window shows it, as an object (not JSON text in the JSON)
    assert all(set(row["steps"].values()) == {"done"} for row in completed)
    assert all(len(row["steps"]) == row["steps_total"] for row in rows)
    compensated = [row for row in rows if row["status"] == "compensated"]
    assert compensated and all(row["steps_compensated"] + row["steps_done"] +
                               row["steps_failed"] == row["steps_total"] for row in compensated)
    assert main(["sagas", store, "--status", "completed", "--limit", "1"]) == 0
    line = capsys.readouterr().out.splitlines()[1]
    total = completed[0]["steps_total"]
    assert f"{total}/{total} done" in line


def test_a_step_not_yet_run_is_pending_in_json_as_in_the_window(store_location, capsys):
    store = str(store_location)
    assert main(["seed", store, "--orders", "40", "--seed", "4"]) == 0  # sagas' work left due
    capsys.readouterr()
    assert main(["sagas", store, "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    running = [row for row in rows if row["current_step"] is not None]
    assert running
    for row in running:
        pending = [name for name, status in row["steps"].items() if status == "pending"]
        assert ", ".join(pending) == row["current_step"]
    assert not any("scheduled" in row["steps"].values() for row in rows)
