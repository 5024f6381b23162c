"""Stores named on the command line as file managers and pasted links name them: a file:// URI
(percent-escapes, file://localhost) is the store at its path, for every subcommand taking one,
as the window takes it (explorer.store.postgres_url.local_path)."""

from __future__ import annotations

import json
from pathlib import Path

from explorer.store.postgres_url import local_path
from tests.cli.running import run


def test_every_subcommand_takes_a_store_named_by_a_file_uri(tmp_path, capsys):
    folder = tmp_path / "R&D stores" / "Ünïcødé 店"
    folder.mkdir(parents=True)
    store = folder / "My shop.evstore"
    uri = store.as_uri()
    assert "%20" in uri
    assert run(capsys, "seed", uri, "--orders", "5")[0] == 0
    assert store.is_file()
    code, out, err = run(capsys, "summary", uri, "--json")
    assert code == 0, err
    assert json.loads(out)["store"] == str(store)
    code, out, err = run(capsys, "check", "file://localhost" + uri[len("file://"):])
    assert code == 0 and "No problems found" in out, err
    copy = folder / "Copy ü.evstore"
    code, _, err = run(capsys, "copy", uri, copy.as_uri())
    assert code == 0 and copy.is_file(), err
    code, out, err = run(capsys, "commands", uri)
    assert code == 0 and "place" in out, err
    assert not Path("file:").exists() and not list(tmp_path.glob("file*"))


def test_other_names_are_kept_as_they_are(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert local_path("shop.evstore") == "shop.evstore"
    assert local_path("postgresql://me@host/db") == "postgresql://me@host/db"
    assert local_path("file://elsewhere/shop.evstore") == "file://elsewhere/shop.evstore"
    Path("file:odd.evstore").touch()  # a file whose name begins so is that file
    assert local_path("file:odd.evstore") == "file:odd.evstore"
    assert local_path("file:///tmp/a%23b%FF.evstore") == "/tmp/a#b\udcff.evstore"
