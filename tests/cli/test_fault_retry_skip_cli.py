"""A projection that failed in its own code, on the command line: `project --retry NAME` once
the code is fixed handles the event again and goes on; `project --skip NAME` steps over it; a
name that is no projection, or a skip of one that is not faulted, is refused changing nothing;
`project` and `run` say both ways on when a projection stops. (Before, only the window had
Retry and Skip: `project` stayed stuck on the recorded fault however the code was fixed.)"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from explorer.domain import CommandService
from explorer.projections.database import open_read_models, projection_state, read_model_path
from explorer.store import sqlite as sqlite_backend
from explorer.system.workspace import open_store
from tests.cli import flaky_notes
from tests.cli.flaky_notes import SPEC, SYSTEM
from tests.cli.running import run
from tests.sagas import faulty

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.backends
TITLES = ["first", "bad", "third", "worse", "fifth"]  # note_0 ... note_4, positions 1 ... 5


def write_notes(location) -> None:
    with open_store(location, system=SYSTEM, create=True) as store:
        service = CommandService(store, SYSTEM.domain, issued_by="test")
        for number, title in enumerate(TITLES):
            service.execute("Note", f"note_{number}", "write", {"title": title})


@pytest.fixture
def faulted(store_location, capsys, monkeypatch):
    """A store of notes whose `notes` projection stopped at position 2 (note_1, "bad")."""
    write_notes(store_location)
    monkeypatch.setitem(flaky_notes.FAILS_ON, "title", "bad")
    code, out, err = run(capsys, "project", store_location, "--system", SPEC)
    assert code == 1 and "FAULTED at 2" in out
    return store_location


def quote(location) -> str:
    """A store's location as the messages show it in a command (a server's URL in quotes)."""
    return shlex.quote(str(location))


def project(capsys, store, *options) -> tuple[int, str, str]:
    return run(capsys, "project", store, "--system", SPEC, *options)


def state(store) -> list[dict]:
    """The read models' projection_state, as stored."""
    with open_read_models(str(store), False, read_only=True) as db:
        return [dict(row) for row in db.execute(sa.select(projection_state).order_by(
            projection_state.c.name)).mappings()]


def notes(store) -> dict[str, str]:
    """The notes projection's rows now: note id to title."""
    with open_read_models(str(store), False, read_only=True) as db:
        rows = db.execute(sa.select(flaky_notes.notes).where(
            flaky_notes.notes.c.valid_to.is_(None))).mappings()
        return {row["note_id"]: row["title"] for row in rows}


def projection_of(report: dict, name: str) -> dict:
    return next(p for p in report["projections"] if p["name"] == name)


def test_project_says_both_ways_on_and_stays_stuck_until_retried(faulted, capsys, monkeypatch):
    code, out, err = project(capsys, faulted)
    assert code == 1 and "FAULTED at 2" in out  # the recorded fault: nothing more is tried
    line, = err.splitlines()
    assert line.startswith("notes stopped at position 2: ValueError: cannot file 'bad' (in "
                           "handle, ")  # (its file and line follow)
    assert f"Fix its code, then `project {quote(faulted)} --system {SPEC} --retry notes`" in line
    assert line.endswith("or `--skip notes` steps over that event.")
    monkeypatch.setitem(flaky_notes.FAILS_ON, "title", None)  # the code fixed
    code, out, err = project(capsys, faulted)
    assert code == 1 and "FAULTED at 2" in out  # fixed, but not told to try again

    code, out, err = project(capsys, faulted, "--retry", "notes")
    assert code == 0, err
    assert err == ""
    assert "FAULTED" not in out and out.count("caught up") == 2
    assert notes(faulted) == {f"note_{n}": title for n, title in enumerate(TITLES)}
    assert [(s["name"], s["checkpoint"], s["fault_position"], s["skipped"])
            for s in state(faulted)] == [("counts", 5, None, "[]"), ("notes", 5, None, "[]")]


def test_a_retry_that_fails_again_is_reported_faulted_again(faulted, capsys):
    code, out, err = project(capsys, faulted, "--retry", "notes", "--json")
    assert code == 1
    report = json.loads(out)
    assert report["retried"] == ["notes"]
    assert projection_of(report, "notes")["fault"]["position"] == 2
    assert projection_of(report, "notes")["state"] == "faulted"


def test_skip_steps_over_the_event_and_the_rows_leave_it_out(faulted, capsys, monkeypatch):
    monkeypatch.setitem(flaky_notes.FAILS_ON, "title", "worse")  # half fixed: fails further on
    code, out, err = project(capsys, faulted, "--skip", "notes")
    assert code == 1  # went on to position 4, and stopped there
    skipped, stopped = err.splitlines()
    assert skipped.startswith("notes: stepped over position 2 (NoteWritten of Note note_1, "
                              "event ")
    assert skipped.endswith("it is remembered as skipped, and its rows leave that event out.")
    assert stopped.startswith("notes stopped at position 4: ValueError: cannot file 'worse'")
    assert notes(faulted) == {"note_0": "first", "note_2": "third"}
    assert [(s["checkpoint"], s["skipped"]) for s in state(faulted)] == [(5, "[]"), (3, "[2]")]

    code, out, err = project(capsys, faulted, "--skip", "notes", "--skip", "notes", "--json")
    assert code == 0, err  # (the same name twice: one skip)
    report = json.loads(out)  # stdout holds the report alone
    assert report["skipped"] == [{"name": "notes", "position": 4}]
    assert projection_of(report, "notes")["skipped"] == [2, 4]
    assert projection_of(report, "notes")["state"] == "caught up"
    assert "stepped over position 4 (NoteWritten of Note note_3" in err
    assert notes(faulted) == {"note_0": "first", "note_2": "third", "note_4": "fifth"}
    assert json.loads(run(capsys, "projection", faulted, "counts", "--system", SPEC,
                          "--json")[1])[0]["count"] == 5  # the other projection saw them all


@pytest.mark.parametrize(("options", "said"), [
    (["--skip", "counts"], "error: --skip counts: the projection counts is not faulted, so "
                           "there is no event to step over; nothing was changed."),
    (["--skip", "nope"], "error: --skip nope: there is no projection 'nope'; the projections "
                         "are notes, counts."),
    (["--retry", "counts", "--retry", "nope"], "error: --retry nope: there is no projection or "
                                               "saga 'nope'; the projections are notes, counts."),
    (["--retry", "saga:notes"], "error: --retry saga:notes: there is no projection or saga "
                                "'saga:notes'; the projections are notes, counts."),
    (["--skip", "notes", "--retry", "notes"], "error: --skip notes and --retry notes: choose "
                                              "one (handle its event again, or step over it)."),
    (["--skip", "notes", "--rebuild", "notes"], "error: --skip notes and --rebuild notes: a "
                                                "rebuild starts notes over from the first event "
                                                "and forgets what it skipped; choose one."),
    (["--retry", "notes", "--skip", "counts", "--json"], "error: --skip counts: the projection "
                                                         "counts is not faulted"),
])
def test_a_refused_retry_or_skip_changes_nothing(faulted, capsys, options, said):
    before = state(faulted), notes(faulted)
    code, out, err = project(capsys, faulted, *options)
    assert code == 2 and out == ""
    line, = err.splitlines()
    assert line.startswith(said)
    assert (state(faulted), notes(faulted)) == before


def test_a_retry_or_skip_with_a_rebuild_of_another_is_done_first(faulted, capsys, monkeypatch):
    monkeypatch.setitem(flaky_notes.FAILS_ON, "title", "worse")
    code, out, err = project(capsys, faulted, "--skip", "notes", "--rebuild", "counts", "--json")
    assert code == 1  # stopped again at "worse", after the skip
    report = json.loads(out)
    assert projection_of(report, "notes")["fault"]["position"] == 4
    assert projection_of(report, "counts")["state"] == "caught up"
    monkeypatch.setitem(flaky_notes.FAILS_ON, "title", None)
    code, out, err = project(capsys, faulted, "--retry", "notes", "--rebuild", "notes")
    assert code == 0, err  # (a retry of the projection rebuilt: allowed, if redundant)
    assert notes(faulted) == {f"note_{n}": title for n, title in enumerate(TITLES)}


def test_run_says_once_how_to_go_on(store_location, capsys):
    """`run` says a projection's fault once (its status lines say FAULTED), with both ways on."""
    write_notes(store_location)
    process = subprocess.Popen(
        [sys.executable, "-m", "explorer", "run", str(store_location), "--system", SPEC,
         "--status-every", "0.1"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env={**os.environ, "FLAKY_NOTES_FAIL_ON": "bad"})
    try:
        seen = [process.stdout.readline() for _ in range(4)]  # (blocks until printed)
    finally:
        process.terminate()
        _, err = process.communicate(timeout=60)
    assert "notes FAULTED at 2" in seen[-1], seen
    faults = [line for line in err.splitlines() if "stopped at position" in line]
    assert len(faults) == 1, err
    assert faults[0].startswith("notes stopped at position 2: ValueError: cannot file 'bad'")
    assert faults[0].endswith(f"Fix its code, then `project {quote(store_location)} --system "
                              f"{SPEC} --retry notes`; or `--skip notes` steps over that event.")


# -- on SQLite alone (a file's folder; sagas) ------------------------------------------------

def test_a_read_only_store_retries_and_skips_in_its_cache_read_models(tmp_path, capsys,
                                                                      monkeypatch):
    """A store that opens read-only keeps its read models in the cache folder: a retry or a
    skip writes there, never to the store (nor beside it)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    folder = tmp_path / "shared"
    folder.mkdir()
    store = folder / "notes.evstore"
    write_notes(store)
    monkeypatch.setattr(sqlite_backend, "write_refusal",  # (root may write a 555 folder)
                        lambda path: f"the folder {path.parent} cannot be written")
    stored = hashlib.sha256(store.read_bytes()).hexdigest()
    monkeypatch.setitem(flaky_notes.FAILS_ON, "title", "bad")
    code, out, err = project(capsys, store)
    assert code == 1 and f"`project {store} --system {SPEC} --retry notes`" in err
    code, out, err = project(capsys, store, "--skip", "notes")
    assert code == 0, err
    assert "stepped over position 2" in err
    monkeypatch.setitem(flaky_notes.FAILS_ON, "title", "worse")
    assert project(capsys, store, "--rebuild", "notes")[0] == 1  # (stops at 4 now)
    monkeypatch.setitem(flaky_notes.FAILS_ON, "title", None)
    code, out, err = project(capsys, store, "--retry", "notes")
    assert code == 0, err
    assert sorted(p.name for p in folder.iterdir()) == ["notes.evstore"]
    assert hashlib.sha256(store.read_bytes()).hexdigest() == stored
    assert read_model_path(str(store), True).is_relative_to(tmp_path / "cache")
    with open_read_models(str(store), True, read_only=True) as db:
        checkpoints = dict(db.execute(sa.select(projection_state.c.name,
                                                projection_state.c.checkpoint)).all())
    assert checkpoints == {"notes": 5, "counts": 5}


def test_read_only_option_keeps_the_read_models_in_the_cache(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    store = tmp_path / "notes.evstore"
    write_notes(store)
    monkeypatch.setitem(flaky_notes.FAILS_ON, "title", "bad")
    code, out, err = project(capsys, store, "--read-only")
    assert code == 1 and f"`project {store} --system {SPEC} --read-only --retry notes`" in err
    assert not read_model_path(str(store), False).exists()
    monkeypatch.setitem(flaky_notes.FAILS_ON, "title", None)
    assert project(capsys, store, "--read-only", "--retry", "notes")[0] == 0
    assert not read_model_path(str(store), False).exists()


@pytest.fixture
def broken_saga(tmp_path, monkeypatch):
    """A store of tasks whose archiver saga fails on task_2's completion (position 4)."""
    path = str(tmp_path / "tasks.evstore")
    with open_store(path, system=faulty.SYSTEM, create=True) as store:
        service = CommandService(store, faulty.SYSTEM.domain, issued_by="test")
        for number in (1, 2, 3):
            service.execute("Task", f"task_{number}", "create", {"title": f"t{number}"})
        service.execute("Task", "task_2", "complete", {})
    monkeypatch.setitem(faulty.BROKEN, "observe", True)
    return path


SAGA_SPEC = "tests.sagas.faulty:SYSTEM"


@pytest.mark.parametrize("name", ["saga:archiver", "archiver"])
def test_retry_of_a_saga_runs_it_again(broken_saga, capsys, monkeypatch, name):
    code, out, err = run(capsys, "project", broken_saga, "--system", SAGA_SPEC)
    assert code == 1
    assert err.rstrip().endswith("Fix its code. It is tried again on the next run.")
    code, out, err = run(capsys, "project", broken_saga, "--system", SAGA_SPEC, "--retry", name)
    assert code == 1 and "Saga archiver stopped at position 4" in err  # still broken
    monkeypatch.setitem(faulty.BROKEN, "observe", False)
    code, out, err = run(capsys, "project", broken_saga, "--system", SAGA_SPEC, "--retry", name,
                         "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["retried"] == [name] and report["sagas"][0]["fault"] is None
    assert report["sagas"][0]["checkpoint"] == report["last_position"] > 4


@pytest.mark.parametrize(("options", "said"), [
    (["--skip", "archiver"], "error: --skip archiver: a saga never steps over an event; fix its "
                             "code and it handles the event again (`--retry archiver`)."),
    (["--retry", "archiver", "--no-sagas"], "error: --retry archiver: the saga archiver is not "
                                            "run here (--no-sagas); leave that out to run it "
                                            "again."),
])
def test_a_saga_is_not_skipped_nor_retried_unrun(broken_saga, capsys, options, said):
    code, out, err = run(capsys, "project", broken_saga, "--system", SAGA_SPEC, *options)
    assert (code, out, err) == (2, "", said + "\n")


def test_the_help_says_what_retry_and_skip_do(capsys):
    with pytest.raises(SystemExit):
        run(capsys, "project", "--help")
    shown = " ".join(capsys.readouterr().out.split())
    assert "--retry NAME once a faulted projection's code is fixed: handle the event it " \
           "stopped at again" in shown
    assert "--skip NAME step over the event a faulted projection stopped at" in shown


def test_rows_as_of_a_position_say_a_fault_or_a_skip_only_where_it_touches_them(
        faulted, capsys, monkeypatch):
    """`projection --at-position P` warns of the fault only for P at or after its event (the
    rows as of an earlier position are whole), and, once the event is skipped, says the rows
    leave it out wherever P is at or after it (before, a skip was said nowhere as rows were
    read, and a fault was warned of at every position)."""
    def rows(*options):
        return run(capsys, "projection", faulted, "notes", "--system", SPEC, *options)

    code, out, err = rows("--at-position", "1")
    assert code == 0 and "note_0" in out and err == ""
    code, out, err = rows("--at-position", "3")
    assert code == 0 and err.startswith("warning: notes is faulted at position 2 ")
    monkeypatch.setitem(flaky_notes.FAILS_ON, "title", None)
    assert project(capsys, faulted, "--skip", "notes")[0] == 0
    said = ("note: notes stepped over the event at position 2 (`project --skip notes`): "
            "its rows leave it out.\n")
    for options, note in ((("--at-position", "1"), ""), (("--at-position", "2"), said),
                          (("--at-position", "5"), said), ((), said)):
        code, out, err = rows(*options, "--json")
        assert code == 0 and err == note, options
    code, out, err = run(capsys, "projection", faulted, "counts", "--system", SPEC)
    assert code == 0 and err == ""  # (another read model's skip is not said)


def test_when_on_a_faulted_read_model_says_how_far_it_searched(faulted, capsys):
    """`when` on a read model stopped at position 2 answers from its rows up to 1 only: it
    says so, rather than that the condition never became true (before, a row written after
    the fault was said never to have matched, with no warning)."""
    code, out, err = run(capsys, "when", faulted, "notes", 'title = "third"', "--system", SPEC)
    assert code == 0
    assert out == ("'title = \"third\"' on notes never became true after position 0 up to "
                   "position 1, as far as notes is built.\n")
    assert err.startswith("warning: notes is faulted at position 2 ")
    code, out, err = run(capsys, "when", faulted, "notes", 'title = "first"', "--system", SPEC)
    assert code == 0 and out.splitlines()[1].split()[:2] == ["1", "true"]
    assert err.startswith("warning: notes is faulted at position 2 ")
