"""`events --limit N` reads N events, not a page of READ_PAGE_SIZE: an `eventsourcing` library
store may hold events of megabytes each (blobs in their state), and a page of 2,000 of them is
gigabytes in memory for the first few lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from explorer.store.event_store import EventStore
from tests.cli.running import run
from tests.foreign.bank import write_bank


@pytest.mark.parametrize("json", [False, True])
def test_events_with_a_limit_read_no_more_than_it(tmp_path: Path, capsys, monkeypatch,
                                                  json: bool) -> None:
    path = tmp_path / "bank.db"
    write_bank(path, accounts=3, credits=4)
    read: list[int] = []
    query = EventStore.query

    def counted(store, *args, **kwargs):
        found = query(store, *args, **kwargs)
        read.append(len(found))
        return found

    monkeypatch.setattr(EventStore, "query", counted)
    code, out, err = run(capsys, "events", path, "--limit", "2", *(["--json"] if json else []))
    assert code == 0, err
    assert out.count('"position"' if json else "  Opened  ") == 2 and sum(read) <= 2, read
