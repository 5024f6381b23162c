"""Bad input found by a tester that ended in a traceback: each now gets one clear line, and
nothing stored is changed."""

from __future__ import annotations

import os
import socket
import sqlite3
from pathlib import Path

import pytest

from explorer.projections import ReadModelDatabase
from explorer.store import StoreOpenError
from tests.cli.running import run, seeded_shop


@pytest.fixture
def shop(tmp_path) -> Path:
    return seeded_shop(tmp_path, orders=10, seed=2)


def test_a_file_name_too_long_is_refused_in_a_line(tmp_path, capsys):
    code, _, err = run(capsys, "summary", tmp_path / ("a" * 300 + ".evstore"))
    assert code == 1 and "File name too long" in err and "Traceback" not in err
    code, _, err = run(capsys, "seed", tmp_path / ("b" * 300 + ".evstore"), "--orders", "1")
    assert code == 1 and "File name too long" in err
    assert list(tmp_path.iterdir()) == []


def test_read_models_where_no_folder_can_be_made_are_refused_in_a_line(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreOpenError, match="Cannot keep the read models in"):
        ReadModelDatabase(blocker / "shop.evstore.readmodels")
    assert blocker.read_text() == "not a folder"


def test_a_stream_pattern_too_long_is_refused(shop, capsys):
    with pytest.raises(SystemExit) as exit_code:
        run(capsys, "streams", shop, "--match", "*?" * 50_000)
    assert exit_code.value.code == 2
    assert "more than the 500 a stream id is matched with" in capsys.readouterr().err


def test_a_content_filter_over_an_event_that_is_not_json_says_so(shop, capsys):
    with sqlite3.connect(shop) as db:  # a row written around the store, data not JSON
        db.execute("INSERT INTO events (position, stream_id, stream_type, version, event_id, "
                   "event_type, schema_version, timestamp, data, metadata) SELECT "
                   "max(position) + 1, 'odd_1', 'Odd', 1, 'odd-event-1', 'Odd', 1, "
                   "max(timestamp), '{not json', '{}' FROM events")
    db.close()
    before = shop.read_bytes()
    code, out, err = run(capsys, "events", shop, "--where", "data.quantity > 1")
    assert code == 1 and "Traceback" not in err
    assert "is not valid JSON, so this filter cannot be evaluated" in err
    code, out, err = run(capsys, "events", shop, "--type", "Odd")  # without: listed
    assert code == 0 and "odd_1" in out
    assert shop.read_bytes() == before


def test_export_and_bundle_into_a_folder_that_cannot_be_written(shop, tmp_path, capsys,
                                                                monkeypatch):
    import os

    monkeypatch.setattr(os, "getpid", lambda: 4242)  # its temporary file's name: a folder
    (tmp_path / ".out.jsonl.exporting-4242").mkdir()  # (not ours: left where it is)
    code, _, err = run(capsys, "export", shop, tmp_path / "out.jsonl")
    assert code == 1 and f"Cannot write {tmp_path / 'out.jsonl'}" in err
    assert "Traceback" not in err and not (tmp_path / "out.jsonl").exists()
    assert (tmp_path / ".out.jsonl.exporting-4242").is_dir()
    code, _, err = run(capsys, "bundle", shop, tmp_path / "no-such" / ".." / "x.evbundle")
    assert code == 1 and "Traceback" not in err


def test_a_bundle_of_a_store_of_another_program_says_to_copy_it_first(tmp_path, capsys):
    from tests.foreign.bank import write_bank

    store = tmp_path / "bank.db"
    write_bank(store)
    before = sorted(p.name for p in tmp_path.iterdir())
    code, _, err = run(capsys, "bundle", store, tmp_path / "r.evbundle")
    assert code == 1 and "a bug report copies an Event Explorer store file" in err
    assert f"copy {store} NEW.evstore" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == before


@pytest.mark.parametrize("command", [["state", "order_001"], ["projection", "stock"], ["sagas"]])
def test_a_position_after_the_last_event_is_refused(shop, capsys, command):
    # Found by a tester: --at-position 99999 silently showed the system as it is now.
    code, _, err = run(capsys, command[0], shop, *command[1:], "--at-position", "99999")
    assert code == 2 and "Position 99,999 (--at-position) is after the last event" in err
    code, _, err = run(capsys, command[0], shop, *command[1:], "--at-position", "60")
    assert code == 0, err


def test_a_type_the_store_has_none_of_is_said_beside_the_empty_list(shop, capsys):
    # Found by a tester: `events --type NoSuch` printed an empty table and nothing else.
    code, out, err = run(capsys, "events", shop, "--type", "NoSuch,OrderPlaced", "--json")
    assert code == 0 and out.strip() != "[]"  # OrderPlaced's are listed
    assert "warning: no event of type 'NoSuch' is in this store" in err
    assert "OrderPlaced" in err and "'OrderPlaced'" not in err
    code, out, err = run(capsys, "events", shop, "--stream-type", "Nope", "--json")
    assert code == 0 and out.strip() == "[]"
    assert "warning: no stream of type 'Nope' is in this store" in err
    code, out, err = run(capsys, "streams", shop, "--type", "Nope")
    assert code == 0 and "no stream of type 'Nope'" in err
    code, out, err = run(capsys, "events", shop, "--type", "OrderPlaced", "--stream-type", "Order")
    assert code == 0 and err == ""


EMPTY_OPTIONS = [
    (["state", "STORE", "order_1", "--at-time"], "--at-time: expected an ISO 8601 time"),
    (["project", "STORE", "--rebuild"], "--rebuild: expected a projection's name"),
    (["summary", "STORE", "--system"], "--system: expected a system's name or module path"),
    (["seed", "STORE", "--system"], "--system: expected a system's name or module path"),
    (["commands", "--system"], "--system: expected a system's name"),
    (["summary", "STORE", "--cipher-key"], "--cipher-key: expected a key"),
    (["events", "STORE", "--type"], "--type: expected an event type"),
    (["events", "STORE", "--stream-type"], "--stream-type: expected a stream type"),
    (["events", "STORE", "--stream"], "--stream: expected a stream id"),
    (["events", "STORE", "--where"], "--where: expected a content filter"),
    (["events", "STORE", "--search"], "--search: expected a word, an id or a phrase"),
    (["streams", "STORE", "--type"], "--type: expected a stream type"),
    (["streams", "STORE", "--match"], "--match: expected a part of a stream id"),
    (["export", "STORE", "OUT", "--type"], "--type: expected an event type"),
    (["export", "STORE", "OUT", "--stream"], "--stream: expected a stream id"),
    (["sagas", "STORE", "--saga"], "--saga: expected a saga's name"),
    (["index", "STORE", "--drop"], "--drop: expected a field such as data.total"),
    (["index", "STORE", "--path"], "--path: expected a field such as data.total"),
    (["desktop", "install", "--prefix"], "--prefix: expected a folder"),
]


@pytest.mark.parametrize(("words", "message"), EMPTY_OPTIONS, ids=lambda v: " ".join(v)
                         if isinstance(v, list) else None)
@pytest.mark.parametrize("value", ["", "  "])
def test_an_empty_option_is_refused_not_taken_as_no_option(tmp_path, capsys, words, message,
                                                            value):
    folder = tmp_path / "here"
    folder.mkdir()
    args = [str(folder / "shop.evstore") if word == "STORE" else str(folder / "out.jsonl")
            if word == "OUT" else word for word in words]
    with pytest.raises(SystemExit) as exit_code:
        run(capsys, *args, value)
    err = capsys.readouterr().err
    assert exit_code.value.code == 2, err
    assert f"error: argument {message}" in err and len(err.splitlines()) == 1
    assert f"not {'an empty value' if not value else 'only spaces'}" in err
    assert list(folder.iterdir()) == []  # nothing made (no store, no file, no desktop entry)


@pytest.mark.parametrize(("option", "message"), [
    ("--data", "expected the command's fields as a JSON object"),
    ("--correlation-id", "expected a correlation id")])
def test_an_empty_option_of_a_command_is_refused_and_nothing_is_stored(shop, capsys, option,
                                                                        message):
    before = shop.read_bytes()
    code, _, err = run(capsys, "command", shop, "Inventory", "prod_101", "receive_stock",
                       "--quantity", "1", option, "")
    assert code == 2 and f"argument {option}: {message}, not an empty value" in err
    assert len(err.splitlines()) == 1
    assert shop.read_bytes() == before


def special_file(kind: str, folder: Path) -> Path:
    """A path in `folder` (or of the system's) that is `kind`, not a regular file."""
    if kind == "device":
        if not Path("/dev/zero").exists():
            pytest.skip("needs /dev/zero")
        return Path("/dev/zero")  # never ends: read, it would take all memory
    path = folder / kind
    if kind == "named pipe (FIFO)":
        os.mkfifo(path)  # read, it would wait for a writer for ever
    elif kind == "socket":
        if len(str(path)) > 100:
            pytest.skip("the folder's path is too long for a socket's name")
        server = socket.socket(socket.AF_UNIX)
        server.bind(str(path))
        server.close()  # (its name stays)
    else:
        path.mkdir()
    return path


@pytest.mark.parametrize("kind", ["device", "named pipe (FIFO)", "socket", "folder"])
@pytest.mark.parametrize("words", [["summary", "PATH"], ["seed", "PATH", "--orders", "1"],
                                   ["check", "PATH"], ["salvage", "PATH", "NEW"]])
def test_a_special_file_given_as_a_store_is_said_as_what_it_is(tmp_path, capsys, kind, words):
    path = special_file(kind, tmp_path)
    before = sorted(tmp_path.iterdir())
    code, _, err = run(capsys, *(path if word == "PATH" else tmp_path / "new.evstore"
                                 if word == "NEW" else word for word in words))
    assert code == 1 and len(err.splitlines()) == 1, err
    assert f"error: {path} is a {kind}, not a store file." in err
    assert sorted(tmp_path.iterdir()) == before
