"""The command line and systems: `--system` on every subcommand on a store, `systems`, a store
that remembers its system (or names one that is missing, or one by module path), the generic
fold without a system, and seeding with a system's seeder; on a store file and on a store on a
PostgreSQL server."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from explorer.cli import main
from explorer.cli import systems as cli_systems
from explorer.cli.main import build_parser
from explorer.demo import DEMO_DOMAIN
from explorer.demo.system import SHOP
from explorer.domain import CommandService
from explorer.domain.generic import GENERIC_LABEL
from explorer.store import EventStore
from explorer.system.discovery import META_MODULE, META_NAME
from explorer.system.workspace import open_store
from tests.cli.running import run, seed_shop
from tests.cli.test_live_cli import lines_of

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.backends
PLACE = '{"customer_id": "cust_1", "items": [{"product_id": "prod_101", "quantity": 1, ' \
        '"price": 5.0}], "total": 5.0}'
STORE_SUBCOMMANDS = ["streams", "types", "events", "state", "command", "script", "check",
                     "salvage", "summary", "run", "project", "projection", "sagas", "follow"]


@pytest.fixture
def seeded(shared_location):
    """A shop of 30 orders, seeded once a session for each backend."""
    return shared_location("systems", lambda location: seed_shop(location, orders=30, seed=5))


@pytest.fixture
def plugin(tmp_path, monkeypatch):
    """A system in a module on the path, not installed, without a seeder."""
    (tmp_path / "cli_plugin.py").write_text(textwrap.dedent('''
        from explorer.domain import DomainModel
        from explorer.system import System

        SYSTEM = System(name="mine", domain=DomainModel("mine", [], []), title="Mine")
    '''))
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "cli_plugin:SYSTEM"
    sys.modules.pop("cli_plugin", None)


def empty_store(path: str | Path, **meta: str) -> str | Path:
    with EventStore.open(path, create=True) as store:
        for key, value in meta.items():
            store.set_meta(key, value)
    return path


def test_every_subcommand_on_a_store_takes_system():
    parser = build_parser()
    extra = {"state": ["s1"], "command": ["Order", "o1", "place"], "script": ["x.yaml"],
             "salvage": ["new.evstore"], "projection": ["stock"]}
    for name in STORE_SUBCOMMANDS:
        args = parser.parse_args([name, "s.evstore", "--system", "none", *extra.get(name, [])])
        assert args.system == "none", name
    assert parser.parse_args(["commands", "--system", "shop"]).system == "shop"


def test_systems_lists_what_can_be_loaded_and_how_to_add_one(capsys):
    code, out, _ = run(capsys, "systems")
    assert code == 0 and "explorer.demo.system:SHOP" in out and "Demo shop" in out
    assert "--orders 2,000" in out  # the seeder's own size option
    assert "event_explorer.systems" in " ".join(out.split())  # how to add one
    code, out, _ = run(capsys, "systems", "--json")
    shop = next(s for s in json.loads(out) if s["name"] == "shop")
    assert shop["module"] == "explorer.demo.system:SHOP" and shop["distribution"]
    assert shop["seeder"] == {"size_name": "orders", "default_size": 2000}
    assert "OrderFulfilment" in shop["aggregates"] and shop["sagas"] == ["order_fulfilment"]


def test_a_seeded_store_remembers_its_system_and_commands_find_it(seeded, capsys):
    with open_store(seeded, system=SHOP, read_only=True) as store:
        assert store.meta()[META_NAME] == "shop" and META_MODULE not in store.meta()
    code, out, _ = run(capsys, "commands", seeded)  # the store's system's commands
    assert code == 0 and "Order      place" in out
    code, out, _ = run(capsys, "commands")  # no store: the default system's
    assert code == 0 and "Order      place" in out


def test_a_write_records_the_system_once_and_never_renames_a_store(locations, capsys):
    path = empty_store(locations("new"))
    code, _, err = run(capsys, "command", path, "Order", "o1", "place", "--data", PLACE)
    assert code == 1 and "No system is loaded" in err and "--system" in err
    code, _, err = run(capsys, "command", path, "Order", "o1", "place", "--data", PLACE,
                       "--system", "shop")
    assert code == 0, err
    with open_store(path, system=SHOP, read_only=True) as store:
        assert store.meta()[META_NAME] == "shop"
    # a refused command writes nothing, and a store naming another system keeps its name
    other = empty_store(locations("other"), system="somebody-else")
    code, _, err = run(capsys, "command", other, "Order", "o1", "place", "--data", PLACE,
                       "--system", "shop")
    assert code == 0, err
    with open_store(other, system=SHOP, read_only=True) as store:
        assert store.meta()[META_NAME] == "somebody-else" and store.last_position() == 1


def test_an_older_store_is_found_by_its_event_types_and_named_by_the_runner(locations,
                                                                             capsys):
    path = locations("older")
    with EventStore.open(path, registry=DEMO_DOMAIN.registry, create=True) as store:
        CommandService(store, DEMO_DOMAIN, issued_by="test").execute(
            "Order", "o1", "place", json.loads(PLACE))
        assert META_NAME not in store.meta()
    code, out, err = run(capsys, "project", path, "--json")
    assert code == 0, err
    assert "sagas" in {p["name"] for p in json.loads(out)["projections"]}
    with open_store(path, system=SHOP, read_only=True) as store:
        assert store.meta()[META_NAME] == "shop"  # the runner's sagas write: it is recorded


def test_a_store_naming_a_missing_system_says_which_in_one_line(locations, tmp_path, capsys):
    path = empty_store(locations("ghost"), system="ghost")
    for args in (["events", path], ["state", path, "x"], ["project", path],
                 ["sagas", path], ["commands", path]):
        code, out, err = run(capsys, *args)
        assert code == 1 and out == "" and err.count("\n") == 1, (args, err)
        assert "'ghost'" in err and "--system none" in err
    assert run(capsys, "events", path, "--system", "none")[0] == 0
    code, _, err = run(capsys, "events", path, "--system", "nosuch")
    assert code == 1 and err.count("\n") == 1 and "No system named 'nosuch'" in err
    code, _, err = run(capsys, "seed", tmp_path / "x.evstore", "--system", "nosuch")
    assert code == 1 and err.count("\n") == 1 and "No system named 'nosuch'" in err


def test_a_store_naming_a_module_path_is_loaded_only_when_confirmed(locations, plugin, capsys,
                                                                    monkeypatch):
    path = empty_store(locations("mine"), system="mine", system_module=plugin)
    code, out, err = run(capsys, "events", path)  # no terminal to ask on: refused
    assert code == 1 and err.count("\n") == 1 and f"pass --system {plugin}" in err
    assert "cli_plugin" not in sys.modules  # its code did not run
    monkeypatch.setattr(cli_systems, "on_terminal", lambda: True)
    monkeypatch.setattr(sys, "stdin", io.StringIO("n\n"))
    code, _, err = run(capsys, "events", path)
    assert code == 1 and "Load it? [y/N]" in err and "not installed here" in err
    assert "cli_plugin" not in sys.modules
    monkeypatch.setattr(sys, "stdin", io.StringIO("y\n"))
    code, out, _ = run(capsys, "events", path, "--json")
    assert code == 0 and json.loads(out) == [] and "cli_plugin" in sys.modules
    code, out, _ = run(capsys, "commands", "--system", plugin)  # named: no question
    assert code == 0 and out == ""


def test_state_without_a_system_is_the_generic_fold_labelled(seeded, capsys):
    code, out, _ = run(capsys, "events", seeded, "--stream", "order_001", "--json",
                       "--system", "none")
    events = json.loads(out)  # as stored: no system upcasts them
    at = events[1]["position"]
    found = json.loads(run(capsys, "state", seeded, "order_001", "--at-position", at,
                           "--system", "none", "--json")[1])
    assert found["generic"] is True and found["version"] == 2
    merged = {}
    for event in events[:2]:
        merged.update(event["data"])  # flat data: the generic fold is a merge in order
    assert found["state"] == merged
    assert found["latest_event"]["event_type"] == events[1]["event_type"]
    before = events[0]["data"]
    assert {c["path"] for c in found["changes"]} == {
        key for key, value in events[1]["data"].items() if before.get(key) != value}
    code, out, _ = run(capsys, "state", seeded, "order_001", "--at-position", at,
                       "--system", "none")
    assert code == 0 and GENERIC_LABEL in out.splitlines()[0]
    own = json.loads(run(capsys, "state", seeded, "order_001", "--json")[1])
    assert own["generic"] is False and "generic fold" not in run(
        capsys, "state", seeded, "order_001")[1]


def test_seed_uses_the_systems_seeder_and_refuses_without_one(locations, tmp_path, plugin,
                                                              capsys):
    code, out, _ = run(capsys, "seed", locations("sized"), "--size", "12", "--json")
    report = json.loads(out)
    assert code == 0 and report["orders"] == 12 and report["system"] == "shop"
    code, _, err = run(capsys, "seed", tmp_path / "none.evstore", "--system", plugin)
    assert code == 1 and err.count("\n") == 1 and "has no seeder" in err
    assert not (tmp_path / "none.evstore").exists()
    with pytest.raises(SystemExit) as refused:
        main(["seed", str(tmp_path / "big.evstore"), "--orders", "2000000"])
    assert refused.value.code == 2 and "at most 1,000,000 orders" in capsys.readouterr().err


def test_the_windows_runner_child_gets_the_system(seeded):
    process = subprocess.Popen([sys.executable, "-m", "explorer", "run", str(seeded), "--serve",
                                "--read-only", "--system", "shop"], cwd=ROOT,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    lines = lines_of(process)
    try:
        assert json.loads(lines.get(timeout=60))["ready"] is True
        process.stdin.write('{"status": true}\n')
        process.stdin.flush()
        message = {}
        while "status" not in message:
            message = json.loads(lines.get(timeout=60))
        assert "order_summary" in {p["name"] for p in message["status"]["projections"]}
        process.stdin.close()
        assert process.wait(30) == 0
    finally:
        if process.poll() is None:
            process.kill()


def test_sagas_without_a_system_say_there_are_no_sagas(locations, capsys):
    path = empty_store(locations("plain"))
    code, _, err = run(capsys, "sagas", path)
    assert code == 1 and "No system is loaded, so there are no sagas" in err
    code, _, err = run(capsys, "projection", path, "stock")
    assert code == 1 and "No system is loaded, so there are no projections" in err
