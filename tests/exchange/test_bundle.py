"""Bug-report bundles: a consistent copy of a store taken while another process writes, with
the view on it, read back the same; the bundle opens read-only and stays as it was."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from explorer.exchange.bundle import BundleFilters, BundleView, bundle_view, save_bundle
from explorer.exchange.formats import ExchangeError
from explorer.store import EventStore, NewEvent
from explorer.store.check import check_store

WRITER = textwrap.dedent("""
    import sys
    from explorer.store import EventStore, NewEvent
    store = EventStore.open(sys.argv[1])
    print("writing", flush=True)
    for n in range(100_000):
        store.append(f"s-{n % 50}", "Thing", [NewEvent("Happened", {"n": n})] * 1)
""")


def make_store(path: Path, events: int) -> None:
    with EventStore.open(path, create=True) as store:
        for n in range(events):
            store.append(f"s-{n % 50}", "Thing", [NewEvent("Happened", {"n": n})])


def test_a_bundle_taken_while_another_process_writes_is_whole_and_keeps_the_view(tmp_path):
    source = tmp_path / "busy.evstore"
    make_store(source, 200)
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(source)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout is not None and writer.stdout.readline() == "writing\n"
        view = BundleView(cursor_position=150, selected_position=120, stream_id="s-3",
                          filters=BundleFilters(event_types=("Happened",), stream_type="Thing",
                                                from_time_us=5, content="data.n > 3"),
                          tab="Time Travel")
        bundle = save_bundle(source, tmp_path / "report.evbundle", view)
    finally:
        writer.kill()
        writer.wait()
    with EventStore.open(bundle, read_only=True) as copy:
        assert copy.last_position() >= 200
        assert check_store(copy).ok  # one commit's state: positions, stream index, chain agree
        assert bundle_view(copy.meta()) == view
    assert not Path(f"{bundle}-wal").exists()


def test_opening_a_bundle_leaves_it_byte_for_byte(tmp_path):
    source = tmp_path / "s.evstore"
    make_store(source, 20)
    bundle = save_bundle(source, tmp_path / "r.evbundle", BundleView(cursor_position=5))
    before = bundle.read_bytes()
    with EventStore.open(bundle, read_only=True) as copy:
        list(copy.read_all())
    assert bundle.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.evbundle", "s.evstore"]


def test_a_bundle_refuses_an_existing_file_and_a_cursor_outside_the_log(tmp_path):
    source = tmp_path / "s.evstore"
    make_store(source, 10)
    existing = tmp_path / "there.evbundle"
    existing.write_text("mine")
    with pytest.raises(Exception, match="there already"):
        save_bundle(source, existing)
    assert existing.read_text() == "mine"
    with pytest.raises(ExchangeError, match="positions 1 to 10"):
        save_bundle(source, tmp_path / "new.evbundle", BundleView(cursor_position=11))
    assert not (tmp_path / "new.evbundle").exists()


def test_a_store_is_no_bundle(tmp_path):
    source = tmp_path / "s.evstore"
    make_store(source, 1)
    with EventStore.open(source, read_only=True) as store:
        assert bundle_view(store.meta()) is None


def test_only_a_bundle_is_a_bundle(tmp_path):
    from explorer.exchange.bundle import is_bundle

    source = tmp_path / "s.evstore"
    make_store(source, 3)
    bundle = save_bundle(source, tmp_path / "r.evbundle")
    (tmp_path / "notes.txt").write_text("not a store")
    assert is_bundle(bundle)
    assert not is_bundle(source)
    assert not is_bundle(tmp_path / "notes.txt")
    assert not is_bundle(tmp_path / "missing.evstore")


def test_a_store_whose_name_is_not_utf8_is_bundled(tmp_path):
    """Its bundle said where it was taken from with the name as text, which SQLite refused:
    "'utf-8' codec can't encode character '\\udce9' ...", and no bug report was written."""
    from explorer.store.copying import TAKEN_KEY, meta_of_store_file

    source = tmp_path / os.fsdecode(b"caf\xe9.evstore")
    make_store(source, 3)
    target = save_bundle(source, tmp_path / "report.evbundle")
    assert meta_of_store_file(target)[TAKEN_KEY].endswith(f"from {tmp_path}/caf\\xe9.evstore")
