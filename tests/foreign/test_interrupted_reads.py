"""Ctrl-C while an `eventsourcing` library store's rows are read, which it mostly does in the
functions its views call (their states, ids and topics read in Python), is an interruption, not
damage: sqlite3 says both alike ('user-defined function raised exception')."""

from __future__ import annotations

import pytest

from explorer.store.event_store import EventStore
from explorer.store.foreign import library_store
from explorer.store.foreign.transcoding import StateReader
from tests.cli.running import run
from tests.foreign.bank import write_bank


@pytest.mark.parametrize("reader", ["state", "topic"])
def test_ctrl_c_while_reading_rows_is_an_interruption_not_damage(tmp_path, capsys,
                                                                  monkeypatch, reader):
    """Before, 'warning: bank.db is damaged: an id or a topic stored in the log is not valid
    UTF-8 text ... only a backup of the file has the rest', and the listing went on (exit 0)."""
    path = tmp_path / "bank.db"
    write_bank(path, accounts=1, credits=2)
    pressed = [True]

    def interrupting(read):
        def interrupted(*args):
            if pressed and pressed.pop():
                raise KeyboardInterrupt  # (as Python's SIGINT handler raises it, mid-row)
            return read(*args)
        return interrupted

    if reader == "state":
        monkeypatch.setattr(StateReader, "data_json", interrupting(StateReader.data_json))
    else:
        monkeypatch.setattr(library_store, "event_type_of",
                            interrupting(library_store.event_type_of))
    code, out, err = run(capsys, "events", path)
    assert code == 130 and "interrupted" in err and "damaged" not in err, (code, err)
    with EventStore.open(path, read_only=True) as store:  # nor taken for damage since
        assert len(list(store.read_all())) == 3
