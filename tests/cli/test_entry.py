"""The programs' entry points (explorer.entry): a Ctrl+C while they still load, and output that
cannot be written, each end in one line, not a traceback."""

from __future__ import annotations

import importlib.abc
import os
import subprocess
import sys
from pathlib import Path

import pytest

from explorer import entry

ROOT = Path(__file__).resolve().parents[2]


class CtrlCWhileImporting(importlib.abc.MetaPathFinder):
    """Ctrl+C pressed as `name` is being imported."""

    def __init__(self, name: str) -> None:
        self.name = name

    def find_spec(self, fullname, path, target=None):  # noqa: ANN001, ANN201 - the protocol's
        if fullname == self.name:
            raise KeyboardInterrupt
        return None


@pytest.mark.parametrize(("program", "module"), [(entry.cli, "explorer.cli.main"),
                                                 (entry.window, "explorer.ui.app")])
def test_ctrl_c_while_a_program_loads_ends_it_in_a_line(program, module, monkeypatch, capsys):
    """(Review: Ctrl+C in the first second of `event-explorer-cli` ended in a traceback from
    the import under way.)"""
    if module in sys.modules:
        monkeypatch.delitem(sys.modules, module)
    monkeypatch.setattr(sys, "meta_path", [CtrlCWhileImporting(module), *sys.meta_path])
    assert program(["--version"]) == 130
    assert "interrupted" in capsys.readouterr().err


def test_usage_errors_and_help_keep_their_exit_status(capsys):
    assert entry.cli(["no-such-subcommand"]) == 2
    assert entry.cli(["--help"]) == 0
    assert "SUBCOMMAND" in capsys.readouterr().out


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (a full device)")
@pytest.mark.parametrize("arguments", [["events", "{store}"], ["events", "{store}", "--json"],
                                       ["summary", "{store}"], ["--version"]])
def test_output_to_a_full_device_is_said_in_a_line(arguments, seeded_store, tmp_path):
    """(Review: `events STORE > /dev/full` ended in a traceback of OSError ENOSPC, and
    `--version` too.) The store is left as it was: a read writes nothing."""
    before = seeded_store.read_bytes()
    with open("/dev/full", "w") as full:
        done = subprocess.run([sys.executable, "-m", "explorer",
                               *(a.format(store=seeded_store) for a in arguments)],
                              cwd=tmp_path, stdout=full, stderr=subprocess.PIPE, text=True,
                              timeout=120)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr
    assert done.stderr.strip().splitlines() == [
        "error: the output could not be written: No space left on device. Free some space, or "
        "send the output elsewhere."]
    assert seeded_store.read_bytes() == before
    assert sorted(p.name for p in seeded_store.parent.iterdir()) == [seeded_store.name]


@pytest.fixture
def seeded_store(tmp_path_factory) -> Path:
    store = tmp_path_factory.mktemp("store") / "shop.evstore"
    subprocess.run([sys.executable, "-m", "explorer", "seed", str(store), "--orders", "30"],
                   check=True, cwd=ROOT, capture_output=True, timeout=300)
    return store
