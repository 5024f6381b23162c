"""Every subcommand on every damaged store and every file that is not a store: one line saying
what is wrong (never a traceback), a non-zero exit, and the folder left exactly as it was."""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys
from pathlib import Path

import pytest

from explorer.cli.main import main
from explorer.store import damage
from tests.reliability.corpus import DAMAGES, build_corpus, fingerprint, structure_whole

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "resources" / "scripts" / "happy-path-order.yaml"
WRITERS = {
    "command": ["Order", "order_x", "cancel", "--reason", "changed my mind"],
    "script": [str(SCRIPT), "--delay", "0"],
    "project": [],
    "projection": ["stock"],
    "sagas": [],
    "seed": ["--orders", "2"],
    "run": ["--status-every", "60"],
}
READERS = {
    "summary": [],
    "types": [],
    "streams": [],
    "events": ["--limit", "5"],
    "state": ["order_001"],
    "follow": [],
}
"""Subcommands with the arguments they get besides the file; `check` and `salvage` are apart."""
LOOPING = {"run", "follow"}  # they would run until stopped on a file they can open
READS_UNTOUCHED_ROWS = {"summary", "types", "streams", "state", "follow", "events"}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> dict[str, Path]:
    return build_corpus(tmp_path_factory.mktemp("corpus"))


@pytest.fixture(autouse=True)
def fresh_process(monkeypatch):
    """Each run as in a process of its own: nothing known yet of damage seen before."""
    monkeypatch.setattr(damage, "_damaged", {})
    monkeypatch.setattr(damage, "_verified", set())


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main([str(arg) for arg in argv])
        except SystemExit as stop:  # argparse
            code = stop.code
    return code, out.getvalue(), err.getvalue()


def one_line_refusal(code: int, err: str) -> bool:
    lines = err.strip().splitlines()
    return code not in (0, None) and len(lines) == 1 and lines[0].startswith("error: ")


def one_line_warning(err: str) -> bool:
    """Whether `err` is the one line a read command says a damaged store it read with, naming
    what is wrong and what to do (explorer.cli.damage_note)."""
    lines = err.strip().splitlines()
    return len(lines) == 1 and lines[0].startswith("warning: ") and " is damaged: " in lines[0] \
        and "check" in lines[0] and "salvage" in lines[0]


CASES = sorted(set(DAMAGES) | {"png-image", "json-text", "other-program-sqlite",
                               "other-program-wal-sqlite", "sqlite-magic-then-garbage",
                               "truncated-to-one-page", "truncated-to-half",
                               "newer-user-version", "newer-store-meta", "orphan-wal",
                               "wal-given-as-store", "a-folder"})


@pytest.mark.parametrize("case", CASES)
def test_every_subcommand_refuses_in_one_line_and_changes_nothing(corpus, case):
    path = corpus[case]
    folder = path.parent
    before = fingerprint(folder)
    readable_rows = case in DAMAGES and structure_whole(path)
    for name, arguments in {**READERS, **WRITERS}.items():
        if readable_rows and name in LOOPING:
            continue  # they would follow the store, as they should: its other rows are fine
        code, _, err = run_cli(name, path, *arguments)
        assert "Traceback" not in err, (name, err)
        if readable_rows and name in READS_UNTOUCHED_ROWS and code == 0:
            assert one_line_warning(err), (name, err)  # what it read is said to be damaged
        else:  # (a read that met the damage after saying the store damaged: both lines)
            if readable_rows and name in READS_UNTOUCHED_ROWS:
                warning, _, err = err.partition("\n")
                assert one_line_warning(warning), (name, warning)
            assert one_line_refusal(code, err), (name, code, err)
        assert fingerprint(folder) == before, f"{name} changed {folder}"


@pytest.mark.parametrize("case", sorted(DAMAGES))
def test_check_names_the_damage_in_one_line_or_where_the_chain_breaks(corpus, case):
    path = corpus[case]
    before = fingerprint(path.parent)
    code, out, err = run_cli("check", path)
    assert code == 1 and "Traceback" not in err
    if structure_whole(path):
        assert "hash chain: the hash chain breaks at position" in out and err == ""
    elif err:
        assert one_line_refusal(code, err) and "salvage" in err
    else:
        assert "problems found" in out
    assert fingerprint(path.parent) == before


@pytest.mark.parametrize("case", sorted(DAMAGES))
def test_salvage_saves_what_can_be_read_and_names_what_was_lost(corpus, case, tmp_path):
    path = corpus[case]
    before = fingerprint(path.parent)
    target = tmp_path / "saved.evstore"
    code, out, err = run_cli("salvage", path, target, "--json")
    assert fingerprint(path.parent) == before
    assert "Traceback" not in err
    if code != 0:  # nothing at all could be read: said so, and no store made
        assert one_line_refusal(code, err) and "Nothing" in err and not target.exists()
        return
    code, report_text, _ = code, out, err
    import orjson

    report = orjson.loads(report_text)
    assert report["saved"] > 0 and report["saved"] + report["lost"] >= 1
    code, out, err = run_cli("check", target)
    assert code == 0, out + err  # the new store is whole, its chain included
    code, out, _ = run_cli("summary", target, "--json")
    assert orjson.loads(out)["last_position"] == report["saved"]


@pytest.mark.parametrize("case", ["png-image", "other-program-sqlite", "a-folder", "orphan-wal"])
def test_salvage_refuses_what_is_not_a_store(corpus, case, tmp_path):
    before = fingerprint(corpus[case].parent)
    code, _, err = run_cli("salvage", corpus[case], tmp_path / "saved.evstore")
    assert one_line_refusal(code, err)
    assert fingerprint(corpus[case].parent) == before and not list(tmp_path.iterdir())


@pytest.mark.parametrize("case", ["page-2-zeroed", "png-image", "orphan-wal"])
def test_in_a_real_process_too(corpus, case):
    """The same as a user sees it: a separate process, its exit status and its stderr."""
    path = corpus[case]
    before = fingerprint(path.parent)
    for name, arguments in (("events", []), ("command", WRITERS["command"]), ("run", [])):
        done = subprocess.run([sys.executable, "-m", "explorer", name, str(path), *arguments],
                              capture_output=True, text=True, cwd=ROOT, timeout=120)
        assert one_line_refusal(done.returncode, done.stderr), (name, done.stderr)
    assert fingerprint(path.parent) == before


def test_damaged_read_models_are_named_and_the_store_left_alone(corpus, tmp_path):
    store = tmp_path / "shop.evstore"
    store.write_bytes(corpus["png-image"].parent.parent.joinpath("good", "shop.evstore")
                      .read_bytes())
    assert run_cli("project", store)[0] == 0
    read_models = Path(f"{store}.readmodels")
    data = bytearray(read_models.read_bytes())
    data[4096:8192] = bytes(4096)  # page 2 zeroed
    read_models.write_bytes(bytes(data))
    stored = store.read_bytes()
    code, _, err = run_cli("projection", store, "stock")
    assert one_line_refusal(code, err) and "read models" in err and "delete that file" in err
    assert store.read_bytes() == stored
