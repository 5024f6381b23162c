"""Every subcommand of the command line, given a store on a server: each answers or refuses
saying why, none ends in a traceback; `bundle` and `import` work with a server at one end,
`salvage` refuses one naming why and what to do instead."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from explorer.cli.main import build_parser
from explorer.exchange.bundle import BUNDLE_KEY
from explorer.store import EventStore
from tests.cli.running import run

ROOT = Path(__file__).resolve().parents[2]
UNTIL_INTERRUPTED = {"run", "follow"}  # they go on until Ctrl+C: run as processes


def subcommand_uses(store: str, other: str, tmp_path: Path,
                    fresh: str) -> dict[str, list[list[str]]]:
    """Each subcommand's usages (as its --help lists them) on the server store `store`;
    `other` and `fresh`: the URLs of schemas holding no store."""
    script = ROOT / "resources" / "scripts" / "happy-path-order.yaml"
    exported = tmp_path / "events.jsonl"
    return {
        "systems": [[]],
        "seed": [[store, "--orders", "5"]],  # refused: it holds a store already
        "create": [[store, "--system", "shop"], [fresh, "--system", "shop"]],  # the first
        # refused: it holds events
        "streams": [[store, "--limit", "3"]],
        "types": [[store]],
        "events": [[store, "--limit", "3"], [store, "--stream", "order_001"]],
        "state": [[store, "order_001"], [store, "order_001", "--at-position", "200"]],
        "command": [[store, "Order", "order_cli", "place", "--data",
                     '{"customer_id": "cust_001", "items": [{"product_id": "prod_101", '
                     '"quantity": 1, "price": 10}], "total": 10, "currency": "EUR", '
                     '"card_number": "4242424242424242"}']],
        "script": [[store, str(script)]],
        "commands": [[store]],
        "check": [[store]],
        "salvage": [[store, str(tmp_path / "salvaged.evstore")]],
        "summary": [[store, "--json"]],
        "project": [[store]],
        "projection": [[store, "order_summary", "--limit", "3"]],
        "sagas": [[store, "--limit", "3"]],
        "when": [[store, "order_summary", 'status = "shipped"']],
        "diff": [[store, "--from", "5", "--to", "20"]],
        "export": [[store, str(exported)]],
        "import": [[str(exported), other], [str(exported), store]],  # the second refused
        "bundle": [[store, str(tmp_path / "report.evstore"), "--at-position", "10"]],
        "copy": [[store, str(tmp_path / "copy.evstore")]],
        "index": [[store, "--list"], [store, "--path", "data.total"]],
        "desktop": [],  # touches no store (it installs into the desktop): nothing to run here
    }


def subcommands() -> set[str]:
    parser = build_parser([])
    (chooser,) = [action for action in parser._actions if action.choices]
    return set(chooser.choices)


def test_every_subcommand_on_a_server_store_answers_or_refuses_without_a_traceback(
        capsys, postgres_server, store_url, tmp_path):
    other = postgres_server.url(schema=f"{store_url.rsplit('=', 1)[1]}_imported")
    assert run(capsys, "seed", store_url, "--orders", 15, "--seed", 3)[0] == 0
    fresh = postgres_server.url(schema=f"{store_url.rsplit('=', 1)[1]}_created")
    uses = subcommand_uses(store_url, other, tmp_path, fresh)
    assert set(uses) | UNTIL_INTERRUPTED == subcommands()  # a new one must be added here
    answers = {}
    for name, usages in uses.items():
        for arguments in usages:
            code, out, err = run(capsys, name, *arguments)  # an exception fails the test
            assert code in (0, 1), (name, arguments, err)
            assert code == 0 or err.startswith("error: "), (name, arguments, err)
            answers[(name, *arguments)] = code, out, err
    refused = {key: err for key, (code, _, err) in answers.items() if code}
    assert sorted(key[0] for key in refused) == ["create", "import", "index", "salvage", "seed"], \
        refused


def test_bundle_of_a_server_store_is_a_copy_naming_it(capsys, store_url, tmp_path):
    assert run(capsys, "seed", store_url, "--orders", 5, "--seed", 3)[0] == 0
    out = tmp_path / "report.evstore"
    code, said, err = run(capsys, "bundle", store_url, out, "--at-position", 10)
    assert code == 0, err
    with EventStore.open(store_url, read_only=True) as source, \
            EventStore.open(out, read_only=True) as bundle:
        assert [e.event_id for e in bundle.read_all()] == \
            [e.event_id for e in source.read_all()]
        meta = bundle.meta()
        assert '"cursor_position": 10' in meta[BUNDLE_KEY].replace(":10", ": 10")
        assert meta["bug_report_taken"].endswith(f"from {source.location}")
    assert "tmp" not in meta["bug_report_taken"].rsplit("from", 1)[1]
    code, _, err = run(capsys, "bundle", store_url, store_url)
    assert code == 1 and "A bug report is a file" in err


def test_import_makes_a_new_server_store_and_never_adds_to_one(capsys, postgres_server,
                                                                store_url, tmp_path):
    assert run(capsys, "seed", store_url, "--orders", 5, "--seed", 3)[0] == 0
    exported = tmp_path / "events.jsonl"
    assert run(capsys, "export", store_url, exported)[0] == 0
    target = postgres_server.url(schema=f"{store_url.rsplit('=', 1)[1]}_new")
    code, said, err = run(capsys, "import", exported, target)
    assert code == 0, err
    assert target in said
    with EventStore.open(store_url, read_only=True) as source, \
            EventStore.open(target, read_only=True) as made:
        assert [(e.position, e.event_id, e.version) for e in made.read_all()] == \
            [(e.position, e.event_id, e.version) for e in source.read_all()]
    code, _, err = run(capsys, "import", exported, target)  # it holds events now
    assert code == 1 and "holds" in err and "?schema=" in err


def test_salvage_refuses_a_server_store_at_either_end_saying_why(capsys, store_url, tmp_path):
    assert run(capsys, "seed", store_url, "--orders", 3, "--seed", 3)[0] == 0
    code, _, err = run(capsys, "salvage", store_url, tmp_path / "new.evstore")
    assert code == 1 and "no file" in err and "`check`" in err
    path = tmp_path / "shop.evstore"
    assert run(capsys, "copy", store_url, path)[0] == 0
    code, _, err = run(capsys, "salvage", path, store_url)
    assert code == 1 and "Salvage into a new store file" in err and "copy" in err
    assert not (tmp_path / "new.evstore").exists()


@pytest.mark.parametrize("arguments", [["run", "--status-every", "0.05"],
                                       ["follow", "--from-position", "1"]])
def test_run_and_follow_on_a_server_store_stop_on_ctrl_c_without_a_traceback(
        capsys, store_url, arguments, tmp_path):
    assert run(capsys, "seed", store_url, "--orders", 3, "--seed", 3)[0] == 0
    name, *options = arguments
    process = subprocess.Popen(
        [sys.executable, "-m", "explorer", name, store_url, *options], cwd=tmp_path,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        # Ctrl+C as in a terminal's foreground: a run started in the background (`.ci/run &`)
        # passes SIGINT on ignored, and Python then keeps it ignored
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        first = process.stdout.readline() if name == "follow" else process.stderr.readline()
        assert first.strip(), "it said nothing"
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert "Traceback" not in err, err
    assert process.returncode in (0, 130), err
