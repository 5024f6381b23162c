"""`export`, `import` and `bundle` on the command line; from and into a store file and a store
on a PostgreSQL server."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from explorer.exchange.bundle import bundle_view
from explorer.store import EventStore
from tests.cli.running import run, seed_shop

pytestmark = pytest.mark.backends


def seeded(locations, orders: int, seed: int):
    store = locations("shop")
    seed_shop(store, orders, seed)
    return store


def test_export_with_filters_then_import(locations, backend, tmp_path, capsys):
    store = seeded(locations, 20, 3)
    with EventStore.open(store, read_only=True) as original:
        before = (original.last_position(), original.meta())
    file_before = Path(store).read_bytes() if backend == "sqlite" else None
    out = tmp_path / "orders.jsonl"
    code, _, err = run(capsys, "export", store, out, "--stream-type", "Order",
                       "--where", "data.total > 0")
    assert code == 0, err
    assert "Exported" in err
    lines = [orjson.loads(line) for line in out.read_bytes().splitlines()]
    assert lines and {line["stream_type"] for line in lines} == {"Order"}
    with EventStore.open(store, read_only=True) as original:  # the store is only read
        assert (original.last_position(), original.meta()) == before
    assert file_before is None or Path(store).read_bytes() == file_before
    code, _, err = run(capsys, "export", store, out)
    assert code == 1 and "exists already" in err and "--force" in err
    code, _, err = run(capsys, "export", store, out, "--force", "--format", "cloudevents")
    assert code == 0, err
    whole = [orjson.loads(line) for line in out.read_bytes().splitlines()]
    assert whole[0]["specversion"] == "1.0"
    copied = locations("copy")
    code, out_text, err = run(capsys, "import", out, copied, "--json")
    assert code == 0, err
    report = orjson.loads(out_text)
    assert report["events"] == len(whole)
    with EventStore.open(copied, read_only=True) as copy, \
            EventStore.open(store, read_only=True) as original:
        assert [(e.event_id, e.version, e.stored_data) for e in copy.read_all()] == \
            [(e.event_id, e.version, e.stored_data) for e in original.read_all()]


def test_export_to_standard_output(locations, capsys):
    store = seeded(locations, 5, 1)
    capsys.readouterr()  # the seeding's report
    code, out, _ = run(capsys, "export", store, "-", "--stream-type", "Customer")
    assert code == 0
    assert {orjson.loads(line)["stream_type"] for line in out.splitlines()} == {"Customer"}


@pytest.mark.sqlite_only("that a refused import leaves no file behind")
def test_import_refuses_a_malformed_line_with_its_number(backend, tmp_path, capsys):
    """(It takes `backend` to be marked SQLite only: a server store is made in its schema.)"""
    source = tmp_path / "bad.jsonl"
    source.write_text('{"stream_id": "a"}\n')
    code, _, err = run(capsys, "import", source, tmp_path / "new.evstore")
    assert code == 1
    assert err.startswith("error: line 1: the event has no 'version'")
    assert not (tmp_path / "new.evstore").exists()


def test_bundle_at_a_position(locations, tmp_path, capsys):
    store = seeded(locations, 5, 1)
    code, out, err = run(capsys, "bundle", store, tmp_path / "r.evbundle", "--at-position", "7")
    assert code == 0, err
    assert "cursor at position 7" in out
    with EventStore.open(tmp_path / "r.evbundle", read_only=True) as copy:
        view = bundle_view(copy.meta())
    assert view is not None and view.cursor_position == 7
    code, _, err = run(capsys, "bundle", store, tmp_path / "r.evbundle")
    assert code == 1 and "there already" in err


def test_a_bundle_is_never_written_by_the_command_line(locations, tmp_path, capsys):
    # Found by a tester: `command`, `run`, `project` and `index` wrote into a bug report.
    store = seeded(locations, 5, 1)
    bundle = tmp_path / "r.evbundle"
    assert run(capsys, "bundle", store, bundle)[0] == 0
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    code, _, err = run(capsys, "command", bundle, "Inventory", "prod_101", "receive_stock",
                       "--data", '{"quantity": 5}')
    assert code == 1 and "r.evbundle is a bug report, kept as it was saved" in err
    assert f"copy {bundle} NEW.evstore" in err
    code, _, err = run(capsys, "index", bundle, "--path", "data.total")
    assert code == 1 and "kept as it was saved" in err
    assert run(capsys, "project", bundle)[0] == 0  # its read models: in the cache folder
    assert run(capsys, "events", bundle, "--search", "prod_101", "--limit", "1")[0] == 0
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()} == before
    copy = tmp_path / "work.evstore"  # as the message advises: a copy is a store to work on
    assert run(capsys, "copy", bundle, copy)[0] == 0
    code, _, err = run(capsys, "command", copy, "Inventory", "prod_101", "receive_stock",
                       "--data", '{"quantity": 5}')
    assert code == 0, err


def test_import_says_how_many_times_it_raised(locations, tmp_path, capsys):
    store = seeded(locations, 3, 1)
    out = tmp_path / "all.jsonl"
    assert run(capsys, "export", store, out)[0] == 0
    lines = out.read_bytes().splitlines()
    second = orjson.loads(lines[1])
    second["time"] = "2000-01-01T00:00:00Z"
    lines[1] = orjson.dumps(second)
    out.write_bytes(b"\n".join(lines))
    code, text, err = run(capsys, "import", out, locations("new"))
    assert code == 0, err
    assert "Times raised: 1 (an event's time was before the one on the line before it" in text
