"""Stores named on the command line as file managers and pasted links name them: a file:// URI
(percent-escapes, file://localhost) is the store at its path, for every subcommand taking one,
as the window takes it (explorer.store.postgres_url.local_path)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from explorer.store.postgres_url import local_path
from tests.cli.running import run

ROOT = Path(__file__).resolve().parents[2]


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


def test_a_hash_or_question_mark_in_a_file_uri_is_part_of_the_name(tmp_path, capsys):
    """A path with file:// put before it by hand keeps its '#' and '?': file:///tmp/a#b.evstore
    was taken as /tmp/a (the rest read as the URI's fragment), another store, or a new one made
    there by `seed`. Encoded or not, each names the file; a plain path holding them too."""
    folder = tmp_path / "odd names"
    folder.mkdir()
    store = folder / "a#b ?c %d.evstore"
    assert run(capsys, "seed", "file://" + str(store), "--orders", "3")[0] == 0
    assert sorted(p.name for p in folder.iterdir()) == [store.name]  # (before: 'a', made)
    decoy = folder / "a"  # (the store the URI was taken for)
    assert run(capsys, "seed", decoy, "--orders", "1")[0] == 0
    for given in (store.as_uri(), "file://" + str(store), "file://localhost" + str(store),
                  str(store)):
        code, out, err = run(capsys, "summary", given, "--json")
        assert code == 0, (given, err)
        assert json.loads(out)["store"] == str(store), given
    assert sorted(p.name for p in folder.iterdir()) == ["a", store.name]  # (a read made none)


def test_a_file_uri_naming_no_store_says_so_and_makes_nothing(tmp_path, capsys):
    folder = tmp_path / "stores"
    folder.mkdir()
    (folder / "a").mkdir()
    for given in ("file://" + str(folder / "a#b.evstore"), (folder / "n?o %zz.evstore").as_uri(),
                  "file://" + str(folder / "n?o %zz.evstore")):
        code, _, err = run(capsys, "summary", given)
        assert code == 1 and "Traceback" not in err
        assert err.startswith(f"error: No store at {local_path(given)}"), err
        assert "#" in err or "?" in err
    assert sorted(p.name for p in folder.iterdir()) == ["a"] and not list((folder / "a").iterdir())


def test_a_name_holding_what_looks_like_an_escape_is_that_file(tmp_path):
    literal = tmp_path / "a%23b.evstore"  # (no a#b.evstore beside it)
    literal.touch()
    assert local_path("file://" + str(literal)) == str(literal)
    (tmp_path / "a#b.evstore").touch()  # (both: the URI's meaning)
    assert local_path("file://" + str(literal)) == str(tmp_path / "a#b.evstore")
    assert local_path("file:///tmp/a#b?c.evstore") == "/tmp/a#b?c.evstore"
    assert local_path("file:///tmp/a%zz.evstore") == "/tmp/a%zz.evstore"


def test_a_store_whose_name_is_not_utf8_is_opened(tmp_path):
    """A file named in another encoding (Latin-1's 'café', byte 0xe9) could not be opened at
    all: "error: 'utf-8' codec can't encode character '\\udce9' ...: surrogates not allowed"
    (its SQLite URI was made from the name as text). Its read models are made beside it. (In
    processes of their own: their output is written as a terminal's is.)"""
    store = tmp_path / os.fsdecode(b"caf\xe9.evstore")

    def explorer(*arguments) -> str:
        done = subprocess.run([sys.executable, "-m", "explorer", *map(str, arguments)],
                              cwd=ROOT, capture_output=True, timeout=120)
        assert done.returncode == 0, done.stderr.decode(errors="replace")
        return done.stdout.decode(errors="surrogateescape")

    explorer("seed", store, "--orders", "2")
    for given in (store, store.as_uri()):
        assert json.loads(explorer("summary", given, "--json"))["store"] == str(store)
    explorer("project", store, "--no-sagas")
    assert sorted(os.listdir(tmp_path)) == [store.name, store.name + ".readmodels"]


def test_a_store_whose_name_is_not_utf8_is_projected_read_only(tmp_path):
    """Read-only, a store's read models are kept in the cache folder under a name made from
    its path: a name in another encoding failed there ("error: 'utf-8' codec can't encode
    character '\\udce9' ...: surrogates not allowed", `project --read-only`, and the window
    opening it read-only), after 'summary' and the rest had opened it (found by helper V
    checking what else is named after a store's path). The path's bytes name it now."""
    store = tmp_path / os.fsdecode(b"caf\xe9.evstore")
    cache = tmp_path / "cache"
    for arguments in (("seed", store, "--orders", "2"),
                      ("project", store, "--no-sagas", "--read-only")):
        done = subprocess.run([sys.executable, "-m", "explorer", *map(str, arguments)], cwd=ROOT,
                              capture_output=True, timeout=120,
                              env={**os.environ, "XDG_CACHE_HOME": str(cache)})
        assert done.returncode == 0, done.stderr.decode(errors="replace")
    assert sorted(os.listdir(tmp_path)) == ["cache", store.name]  # (nothing beside it)
    made = os.listdir(cache / "event-explorer" / "readmodels")
    assert [name for name in made if name.endswith(".readmodels")] == [
        name for name in made if name.startswith(store.stem + "-")]


def test_a_utf8_store_name_keeps_the_read_only_read_models_it_had(tmp_path, monkeypatch):
    """The cache file of a store's read-only read models is named by a digest of its path,
    taken of the path's bytes since 296ff44 (a name not UTF-8 failed): for a UTF-8 name, even
    one of other letters than ASCII, the same name as before, so that read models already made
    are found again rather than made anew beside a file left behind."""
    import hashlib

    from explorer.projections.database import read_model_path

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    for name in ("shop.evstore", "café Москва.evstore"):
        store = (tmp_path / name).resolve()
        before = hashlib.sha256(str(store).encode()).hexdigest()[:16]  # (the digest before)
        assert read_model_path(str(store), True).name == f"{store.stem}-{before}.readmodels"


def test_an_empty_store_path_or_one_with_a_stray_space_is_refused_saying_so(tmp_path, capsys,
                                                                             monkeypatch):
    """'' was taken for the current folder ('error: . is a folder, not a store file'), and a
    path pasted with a space before it was said to be in a folder that does not exist."""
    monkeypatch.chdir(tmp_path)
    store = tmp_path / "shop.evstore"
    assert run(capsys, "seed", store, "--orders", "1")[0] == 0

    def refused(*arguments) -> str:
        with pytest.raises(SystemExit) as exit_code:
            run(capsys, *arguments)
        assert exit_code.value.code == 2
        return capsys.readouterr().err

    assert refused("summary", "").startswith(
        "error: argument STORE: the store's path or URL is empty")
    assert refused("summary", f" {store}").startswith(
        f"error: argument STORE: ' {store}' begins or ends with a space, and there is no such "
        f"file; '{store}' is there: give that")
    assert "argument TARGET: the store's path or URL is only spaces" in refused(
        "copy", store, "  ")
    assert refused("summary", "file://" + str(tmp_path) + "/a%00b.evstore").startswith(
        "error: argument STORE: the store's path or URL holds a NUL character (\\0, pasted "
        "with the text?), which no file's name holds (see ")  # (was: embedded null byte)
    assert sorted(os.listdir(tmp_path)) == ["shop.evstore"]
