"""An export that finds no room to write says so in a line, naming the file and what to do, and
leaves nothing: it raised OSError (the window's dialog said '[Errno 28] No space left on
device'; found by helper H exporting to a full 3 MB tmpfs)."""

from __future__ import annotations

import errno
import os

import pytest

from explorer.exchange import export
from explorer.exchange.formats import ExchangeError
from explorer.store import EventStore, NewEvent


def test_an_export_that_finds_the_disk_full_says_so(tmp_path, monkeypatch):
    store = tmp_path / "s.evstore"
    with EventStore.open(store, create=True) as opened:
        opened.append("o1", "Order", [NewEvent("Placed", {})])
    folder = tmp_path / "out"
    folder.mkdir()

    def full(_location, out, *_args):
        out.write(b"{}\n")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(export, "export_to", full)
    target = folder / "events.jsonl"
    with pytest.raises(ExchangeError, match=(
            f"Cannot write {target}: No space left on device \\(a full disk or quota, or a limit "
            f"on a file's size\\). Nothing was written. Free some space in {folder}, or export "
            "to another disk.")):
        export.export_file(store, target)
    assert list(folder.iterdir()) == []
