"""The read commands say, once, in one line on stderr, that a store whose events were changed after
they were written is damaged, and what to do; their standard output stays as it was, nothing is
written, a sound store gets no word, and a store too large to check on every read is read
unchecked."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from explorer.cli import damage_note
from explorer.store import damage
from explorer.store.maintenance import Maintenance
from tests.cli.running import run, seeded_shop
from tests.store.test_salvage import seeded, tampered

READS = [["events"], ["events", "--json"], ["events", "--limit", "2"], ["streams"],
         ["streams", "--json"], ["types"], ["summary", "--json"], ["state", "order_0"],
         ["state", "order_1", "--json"], ["when", "order_1", "state.status = 'cancelled'"],
         ["export", "-"], ["copy", "COPY"], ["project", "--read-only", "--json"]]


def words(command: list[str], folder: Path) -> list[str]:
    """The command with its COPY the path of a new store in `folder`."""
    return [str(folder / "copy.evstore") if word == "COPY" else word for word in command]


def folder_state(folder: Path) -> dict[str, tuple[int, bytes]]:
    return {entry.name: (entry.stat().st_mtime_ns, entry.read_bytes())
            for entry in sorted(folder.iterdir())}


@pytest.fixture
def forged(tmp_path) -> Path:
    path = seeded(tmp_path / "forged.evstore")
    tampered(path, "UPDATE events SET data = '{\"reason\": \"forged\"}' WHERE position = 3")
    return path


@pytest.mark.parametrize("command", READS, ids=" ".join)
def test_a_read_of_a_tampered_store_warns_once_and_prints_what_it_printed(
        forged, capsys, monkeypatch, command):
    before = folder_state(forged.parent)
    command = words(command, forged.parent)
    code, out, err = run(capsys, command[0], forged, *command[1:])
    assert code == 0, err
    assert err == (
        f"warning: {forged} is damaged: the event at position 3 is not as it was written (its "
        "link in the hash chain does not match). What is shown is what the file holds now, "
        f"which may not be what was written: `event-explorer-cli check {forged}` lists every "
        f"problem, and `event-explorer-cli salvage {forged} NEW.evstore` copies every event "
        "that can still be read into a new store.\n")
    if command[0] == "copy":  # (the one file it makes: the copy asked for)
        (forged.parent / "copy.evstore").unlink()
    assert folder_state(forged.parent) == before  # nothing written, no file made
    monkeypatch.setattr(damage_note, "warn_if_damaged", lambda store: None)
    assert run(capsys, command[0], forged, *command[1:]) == (0, out, "")  # the same output
    if "--json" in command:
        json.loads(out)


def test_the_warning_is_said_once_a_command_however_often_it_opens_the_store(
        tmp_path, capsys):
    shop = seeded_shop(tmp_path, orders=8, seed=5)
    tampered(shop, "UPDATE events SET data = json_set(data, '$.on_hand', 99) WHERE position = 2")
    bundle = tmp_path / "report.evbundle"
    assert run(capsys, "bundle", shop, bundle)[0] == 0
    # `when` on a read model opens the (read-only) bug report twice: the store, then a runner
    code, out, err = run(capsys, "when", bundle, "order_summary", "status = 'shipped'")
    assert code == 0, err
    assert err.count("\n") == 1 and err.startswith(f"warning: {bundle} is damaged: the event at "
                                                   "position 2 ")
    assert "OrderShipped on order_" in out  # its read models read as before the check
    assert run(capsys, "events", bundle, "--limit", "1")[2] == err  # each command says it


def test_a_sound_store_gets_no_word(tmp_path, capsys):
    path = seeded(tmp_path / "sound.evstore")
    for command in READS:
        command = words(command, tmp_path)
        code, _, err = run(capsys, command[0], path, *command[1:])
        assert (code, err) == (0, ""), command


def test_a_store_over_the_bound_is_read_without_its_chain_checked(forged, capsys, monkeypatch):
    monkeypatch.setattr(damage, "QUICK_CHECK_MAX_BYTES", os.path.getsize(forged) - 1)

    def scanned(store):
        raise AssertionError("the chain of a store over the bound was checked")

    monkeypatch.setattr(Maintenance, "_verify_chain", scanned)
    code, out, err = run(capsys, "events", forged, "--json")
    assert (code, err) == (0, "")
    assert json.loads(out)[2]["data"] == {"reason": "forged"}
