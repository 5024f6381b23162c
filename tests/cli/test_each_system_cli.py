"""The command line on each example system: seed with its own seeder and size option, then
state (now, as of a position, and by the generic fold), project, projection, sagas, commands,
command and check, each finding the system the store names; on a store file and on a store on
a PostgreSQL server."""

from __future__ import annotations

import json

import pytest

from explorer.cli import main
from explorer.domain import Repository
from explorer.store import EventStore
from explorer.system.discovery import META_NAME
from tests.cli.running import run

pytestmark = pytest.mark.backends


def run_json(capsys, *args):
    code, out, err = run(capsys, *args, "--json")
    assert code == 0, err
    return json.loads(out)


@pytest.fixture
def seeded(system, case, locations, capsys):
    """A store seeded from the command line with the system's seeder and its size option."""
    path = locations(system.name)
    size_option = f"--{system.seeder.size_name}"
    report = run_json(capsys, "seed", path, "--system", system.name, size_option,
                      case.seed_size, "--seed", 3, "--days", 30)
    assert report[system.seeder.size_name] == case.seed_size
    assert report["events"] == report["last_position"] > 0
    return path


def test_seed_names_the_system_and_its_size_option_is_its_own(system, seeded, tmp_path,
                                                              capsys):
    with EventStore.open(seeded, read_only=True) as store:
        assert store.meta()[META_NAME] == system.name
    other = "--loans" if system.seeder.size_name != "loans" else "--orders"
    with pytest.raises(SystemExit) as caught:
        main(["seed", str(tmp_path / "other.evstore"), "--system", system.name, other, "5"])
    assert caught.value.code == 2
    assert f"unrecognized arguments: {other} 5" in capsys.readouterr().err
    assert not (tmp_path / "other.evstore").exists()
    listed = run_json(capsys, "systems")
    assert {entry["name"] for entry in listed} >= {"shop", "library"}


def test_state_now_as_of_a_position_and_by_the_generic_fold(system, seeded, capsys):
    with EventStore.open(seeded, read_only=True, registry=system.registry) as store:
        events = store.read_all()
        first = next(e for e in events if e.stream_type not in system.saga_stream_types)
        stream = store.read_stream(first.stream_id)
        middle = stream[len(stream) // 2]
        replayed = system.domain.aggregate_class(first.stream_type)(first.stream_id)
        for event in stream[:len(stream) // 2 + 1]:
            replayed.apply(event.event_type, event.data)
        now = Repository(store, system.domain).load(first.stream_type, first.stream_id)
    shown = run_json(capsys, "state", seeded, first.stream_id)  # the store names its system
    assert (shown["stream_type"], shown["generic"]) == (first.stream_type, False)
    assert shown["state"] == json.loads(json.dumps(now.aggregate.state()))
    past = run_json(capsys, "state", seeded, first.stream_id, "--at-position", middle.position)
    assert past["version"] == middle.version
    assert past["state"] == json.loads(json.dumps(replayed.state()))
    assert past["latest_event"]["event_type"] == middle.event_type
    generic = run_json(capsys, "state", seeded, first.stream_id, "--system", "none")
    assert generic["generic"] is True and generic["version"] == len(stream)


def test_projections_and_sagas(system, seeded, capsys):
    project = run_json(capsys, "project", seeded)
    names = {projection.name for projection in system.projections()}
    assert {p["name"] for p in project["projections"]} == names
    assert all(p["state"] == "caught up" for p in project["projections"])
    assert [s["checkpoint"] for s in project["sagas"]] == [project["last_position"]] * len(
        system.sagas)
    last = project["last_position"]
    for name in names:  # the rows now are those as of the last position
        rows = run_json(capsys, "projection", seeded, name, "--limit", 100_000)
        assert rows == run_json(capsys, "projection", seeded, name, "--limit", 100_000,
                                "--at-position", last)
    with EventStore.open(seeded, read_only=True) as store:
        saga_streams = {s.stream_id for saga in system.sagas
                        for s in store.list_streams(saga.stream_type)}
    sagas = run_json(capsys, "sagas", seeded)
    assert {row["saga_id"] for row in sagas} == saga_streams
    statuses = {row["status"] for row in sagas}
    assert {"completed", "compensated"} <= statuses
    compensated = run_json(capsys, "sagas", seeded, "--status", "compensated")
    assert compensated and {row["status"] for row in compensated} == {"compensated"}


def test_commands_command_and_check(system, case, seeded, capsys):
    described = run_json(capsys, "commands", "--system", system.name)
    assert {(c["stream_type"], c["name"]) for c in described} == {
        (stream_type, name) for stream_type, commands in system.domain.commands.items()
        for name in commands}
    create = case.create
    stream_id = f"{create.stream_id}_cli"
    made = run_json(capsys, "command", seeded, create.stream_type, stream_id, create.command,
                    "--data", json.dumps(create.data))
    assert [e["event_type"] for e in made["events"]] == list(case.created)
    refused = case.refused
    code, out, err = run(capsys, "command", seeded, refused.stream_type, f"{stream_id}_none",
                         refused.command, "--data", json.dumps(refused.data))
    assert code == 1 and out == "" and err.startswith("error: ") and err.count("\n") == 1
    report = run_json(capsys, "check", seeded)
    assert report["ok"] and report["problem_count"] == 0
