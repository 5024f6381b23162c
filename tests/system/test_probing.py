"""A user's system is tried in a child process before it is imported here
(explorer.system.probing): what ends or crashes the process, or never finishes, is said and
nothing is imported; what loads is then loaded here. The plug-ins wait for files the test makes,
and give up after a minute."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import textwrap

import pytest

from explorer.system import probing
from explorer.system.discovery import SystemLoadError
from explorer.system.probing import GuardedLoad, describe_stack, needs_trial


def plug_in(folder, name: str, before: str = "") -> str:
    (folder / f"{name}.py").write_text(textwrap.dedent(before) + textwrap.dedent(f"""
        from dataclasses import replace

        from explorer.system.discovery import load_system

        SYSTEM = replace(load_system("shop"), name={name!r})
        """))
    return f"{name}:SYSTEM"


def plug_in_folder(tmp_path, monkeypatch, prefix: str):
    """A folder on the import path for plug-ins named `prefix...`, forgotten after the test."""
    folder = tmp_path / "plugins"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    before = set(sys.modules)
    yield folder
    for name in set(sys.modules) - before:
        if name.startswith(prefix):
            sys.modules.pop(name, None)


@pytest.fixture
def plugins(tmp_path, monkeypatch):
    yield from plug_in_folder(tmp_path, monkeypatch, "trial_")
    assert not probing._LIVE  # every trial ended and reaped


def test_a_system_that_loads_in_its_trial_is_loaded_here(plugins):
    spec = plug_in(plugins, "trial_good")
    assert needs_trial(spec)
    assert GuardedLoad(5).load(spec).name == "trial_good"
    assert "trial_good" in sys.modules and not needs_trial(spec)  # imported: no trial again
    assert not needs_trial("none") and not needs_trial("no_such_installed_name")


def test_a_trial_ending_the_process_is_said_and_nothing_is_imported(plugins):
    spec = plug_in(plugins, "trial_exits", "import os\nos._exit(9)\n")
    with pytest.raises(SystemLoadError, match="its code ended the process with exit status 9 "
                                              "while being imported"):
        GuardedLoad(5).load(spec)
    assert "trial_exits" not in sys.modules


def test_a_trial_past_its_deadline_says_where_its_code_waits_and_may_be_waited_for(plugins):
    spec = plug_in(plugins, "trial_slow", f"""
        import pathlib
        import time

        def wait_for_the_gate():
            give_up = time.monotonic() + 60
            while not pathlib.Path({str(plugins / "gate")!r}).exists():
                if time.monotonic() > give_up:
                    raise RuntimeError("no gate")
                time.sleep(0.01)

        wait_for_the_gate()
        """)
    told: list[str] = []

    def overdue(message: str) -> bool:
        told.append(message)
        (plugins / "gate").touch()  # wait longer: it finishes meanwhile
        return True

    assert GuardedLoad(1.0, overdue).load(spec).name == "trial_slow"
    assert len(told) == 1 and told[0].startswith(
        f"{spec} did not finish importing within 1 s: its code is at ")
    assert "trial_slow.py line " in told[0] and "in wait_for_the_gate" in told[0]


def test_a_trial_given_up_is_killed(plugins):
    spec = plug_in(plugins, "trial_hangs", "while True:\n    pass\n")
    with pytest.raises(SystemLoadError, match="was not loaded: it did not finish importing "
                                              "within 1 s"):
        GuardedLoad(1.0).load(spec)
    assert "trial_hangs" not in sys.modules


def test_the_command_line_trial_says_the_same(plugins):
    """Where this process cannot be forked, the trial is the command line's `seed --system
    SPEC --help`, which loads the system."""
    def command(arguments: list[str]) -> tuple[str, list[str]]:
        return sys.executable, ["-m", "explorer", *arguments]

    spec = plug_in(plugins, "trial_cli_exits", "import sys\nsys.exit(6)\n")
    with pytest.raises(SystemLoadError, match=r"its module called sys.exit\(6\) while being "
                                              "imported"):
        GuardedLoad(60, command=probing.cli_probe(command)).load(spec)
    spec = plug_in(plugins, "trial_cli_good")
    assert GuardedLoad(60, command=probing.cli_probe(command)).load(spec).name == \
        "trial_cli_good"


def test_a_stack_dump_is_said_by_its_innermost_frame_and_the_module_line_leading_there():
    dump = textwrap.dedent("""\
        Timeout (0:00:01)!
        Thread 0x00007f00 (most recent call first):
          File "/usr/lib/python3.11/socket.py", line 836 in create_connection
          File "/home/me/shop/system.py", line 12 in <module>
          File "<frozen importlib._bootstrap>", line 241 in _call_with_frames_removed
          File "/work/explorer/system/discovery.py", line 107 in _imported
        """)
    assert describe_stack(dump) == ("/usr/lib/python3.11/socket.py line 836, in "
                                     "create_connection, reached from /home/me/shop/system.py "
                                     "line 12")
    assert describe_stack("") == ""


def test_a_trial_whose_code_leaves_a_process_holding_its_pipe_still_ends(plugins, tmp_path):
    # The result was read until its pipe closed: a process the system's code started (a
    # daemon, a multiprocessing worker) kept it open, and the load waited as long as that
    # process lived, past any deadline and any Cancel (found by review).
    if not probing.can_fork():
        pytest.skip("the trial is a fork of this process on Linux only")
    pid_file = tmp_path / "background.pid"
    spec = plug_in(plugins, "trial_background", f"""
        import os, time
        child = os.fork()
        if child == 0:  # the background process: holds what the trial had open, for a minute
            time.sleep(60)
            open({str(pid_file.with_suffix(".ended"))!r}, "w").close()
            os._exit(0)
        with open({str(pid_file)!r}, "a") as pids:
            pids.write(f"{{child}} ")
        """)
    try:
        assert GuardedLoad(30).load(spec).name == "trial_background"
        assert pid_file.read_text().split()  # it started one
        assert not pid_file.with_suffix(".ended").exists()  # loaded while it still runs
    finally:
        for pid in pid_file.read_text().split() if pid_file.exists() else []:
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pid), signal.SIGKILL)

