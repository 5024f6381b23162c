"""A command stopped by a signal (`kill`, `timeout`, the terminal closed) ends as Ctrl+C ends it:
what it had open is closed, so a read leaves nothing beside the store."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.cli.running import seeded_shop

ROOT = Path(__file__).resolve().parents[2]
DEADLINE_S = 60


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGHUP])
def test_a_read_stopped_by_a_signal_leaves_no_file_beside_the_store(tmp_path, number):
    store = seeded_shop(tmp_path, orders=20, seed=3)
    before = sorted(p.name for p in tmp_path.iterdir())
    follower = subprocess.Popen(  # (each signal as a terminal leaves it, even if this run
        # of the tests ignores SIGHUP, under nohup say: the command would keep ignoring it)
        [sys.executable, "-c", "import signal, sys; signal.signal(signal.SIGHUP, signal.SIG_DFL);"
         " from explorer.cli import main; sys.exit(main(sys.argv[1:]))", "follow", str(store)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + DEADLINE_S  # it reads: SQLite's files are beside it
        while not Path(f"{store}-wal").exists() and follower.poll() is None:
            assert time.monotonic() < deadline, "follow never opened the store"
            time.sleep(0.01)  # (polling for a file another process makes: no signal to wait on)
        assert follower.poll() is None, follower.communicate()
        follower.send_signal(number)
        _, err = follower.communicate(timeout=DEADLINE_S)
    finally:
        if follower.poll() is None:
            follower.kill()
    assert "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no -wal, no -shm


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_a_command_started_with_nohup_keeps_running_when_the_terminal_closes(tmp_path):
    store = seeded_shop(tmp_path, orders=5, seed=3)
    follower = subprocess.Popen(  # SIGHUP ignored, as nohup leaves it
        [sys.executable, "-c", "import signal, sys; signal.signal(signal.SIGHUP, signal.SIG_IGN);"
         " from explorer.cli import main; sys.exit(main(sys.argv[1:]))", "follow", str(store)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + DEADLINE_S
        while not Path(f"{store}-wal").exists() and follower.poll() is None:
            assert time.monotonic() < deadline, "follow never opened the store"
            time.sleep(0.01)  # (polling for a file another process makes)
        follower.send_signal(signal.SIGHUP)
        with pytest.raises(subprocess.TimeoutExpired):  # still following
            follower.wait(timeout=1)
        follower.send_signal(signal.SIGTERM)  # and SIGTERM still ends it, cleanly
        _, err = follower.communicate(timeout=DEADLINE_S)
    finally:
        if follower.poll() is None:
            follower.kill()
    assert "Traceback" not in err and not Path(f"{store}-wal").exists()


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_run_stopped_by_sigterm_stops_as_ctrl_c_stops_it(tmp_path):
    store = seeded_shop(tmp_path, orders=5, seed=3)
    runner = subprocess.Popen([sys.executable, "-m", "explorer", "run", str(store),
                               "--status-every", "60"], cwd=ROOT, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:
        first = runner.stdout.readline()  # its first status: it runs
        assert first, runner.communicate()
        runner.send_signal(signal.SIGTERM)
        out, err = runner.communicate(timeout=DEADLINE_S)
    finally:
        if runner.poll() is None:
            runner.kill()
    assert runner.returncode == 0 and "Traceback" not in err
    assert "Stopped." in out + err  # what Ctrl+C's own stop says


def seed_stopped(monkeypatch, capsys, path: Path, where: str) -> tuple[int, str]:
    """`seed` into `path` stopped by Ctrl+C (or SIGTERM, which the command line turns into
    it) as its first `where`: "progress" (reported after its events were appended) or
    "start" (the store made, no event yet). Its exit code and standard error."""
    from explorer.cli import handlers, main
    from explorer.system import workspace

    def interrupt(*_args: object, **_kwargs: object) -> None:
        raise KeyboardInterrupt

    if where == "progress":
        monkeypatch.setattr(handlers.ProgressBar, "update_to", interrupt)
    else:
        monkeypatch.setattr(workspace, "remember_system", interrupt)
    code = main(["seed", str(path), "--orders", "20", "--days", "2"])
    return code, capsys.readouterr().err


def test_a_seed_stopped_after_storing_events_says_it_kept_them(tmp_path, monkeypatch, capsys):
    from explorer.store import EventStore

    code, err = seed_stopped(monkeypatch, capsys, tmp_path / "shop.evstore", "progress")
    with EventStore.open(tmp_path / "shop.evstore", read_only=True) as store:
        kept = store.last_position()
    assert code == 130 and kept > 0 and "Traceback" not in err
    assert err == (f"interrupted: {tmp_path / 'shop.evstore'} was kept with {kept:,} events, "
                   "as far as the seed had come (it may lack the end of the history); delete "
                   "it and seed into a new file for a whole one.\n")


def test_a_seed_stopped_before_any_event_removes_the_store_it_made(tmp_path, monkeypatch,
                                                                   capsys):
    code, err = seed_stopped(monkeypatch, capsys, tmp_path / "shop.evstore", "start")
    assert code == 130
    assert err == (f"interrupted: {tmp_path / 'shop.evstore'} was removed: no event was stored "
                   "yet, nothing was left.\n")
    assert list(tmp_path.iterdir()) == []


def test_a_seed_stopped_before_any_event_leaves_an_empty_file_it_was_given(tmp_path,
                                                                         monkeypatch, capsys):
    given = tmp_path / "shop.evstore"
    given.touch()
    code, err = seed_stopped(monkeypatch, capsys, given, "start")
    assert code == 130 and err == (f"interrupted: {given} was left without events: seed into "
                                   "it again.\n")
    assert [p.name for p in tmp_path.iterdir()] == ["shop.evstore"]
