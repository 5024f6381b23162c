"""Running out of memory (a limit set with `ulimit -v`, a store with a 50 MB event) ends the
command in a line, not a traceback (found by helper H: `summary`, `events`, `check`, `export`
and `copy` of a store holding one 50 MB event, under `ulimit -v 300000`, each ended in a
MemoryError's traceback)."""

from __future__ import annotations

from explorer.store import EventStore, NewEvent
from tests.cli.running import run


def test_a_command_out_of_memory_says_so_in_a_line(tmp_path, capsys, monkeypatch):
    path = tmp_path / "s.evstore"
    with EventStore.open(path, create=True) as store:
        store.append("o1", "Order", [NewEvent("Placed", {"n": 1})])

    def out_of_memory(*_args, **_kwargs):
        raise MemoryError

    monkeypatch.setattr(EventStore, "last_position", out_of_memory)
    code, out, err = run(capsys, "events", path)
    assert code == 1
    assert err == (
        "error: `events` ran out of memory: this machine, or a limit set for the process "
        "(ulimit -v), does not give it what it needs (a large event, say). Free some memory "
        "or raise the limit; for a listing, asking for less (a --limit, a narrower filter) "
        "may do.\n")
