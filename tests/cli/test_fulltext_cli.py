"""`events STORE --search TEXT`: every event mentioning some text, newest first, with the other
filters; the first search builds the index beside the store (in the cache folder when the
store's folder may not be written, or for a store on a PostgreSQL server). On both backends."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from explorer.cli import searching
from explorer.projections import fulltext_path
from tests.cli.running import run, seed_shop

pytestmark = pytest.mark.backends


@pytest.fixture
def seeded(shared_location):
    """A shop of 30 orders, seeded once a session for each backend."""
    return shared_location("search", lambda location: seed_shop(location, orders=30, seed=5))


def search(capsys, *args):
    code, out, err = run(capsys, "events", *args, "--json")
    assert code == 0, err
    return json.loads(out)


def mentions(event: dict, text: str) -> bool:
    return text in json.dumps([event["stream_id"], event["event_type"], event["data"],
                               event["metadata"]])


def test_a_search_lists_every_event_mentioning_it_newest_first(seeded, capsys):
    everything = search(capsys, seeded)
    found = search(capsys, seeded, "--search", "order_012")
    expected = [e for e in reversed(everything)
                if any(word == "order_012" for word in json.dumps(e).replace('"', " ").split())]
    assert [e["position"] for e in found] == [e["position"] for e in expected]
    assert found and all(mentions(e, "order_012") for e in found)
    assert fulltext_path(str(seeded), False).exists()  # (a server store's: in the cache)
    shipped = search(capsys, seeded, "--search", "order_01*", "--type", "OrderShipped",
                     "--limit", "3")
    assert len(shipped) == 3 and {e["event_type"] for e in shipped} == {"OrderShipped"}
    assert [e["position"] for e in shipped] == sorted((e["position"] for e in shipped),
                                                      reverse=True)
    assert all(e["data"]["order_id"].startswith("order_01") for e in shipped)


def test_a_search_with_nothing_to_find_says_what_to_type(seeded, capsys):
    code, out, err = run(capsys, "events", seeded, "--search", " , ")
    assert code == 1 and out == ""
    assert "Nothing to search for in “ , ”: type a word or an id, a prefix (a word ending in " \
        "*) or a \"quoted phrase\"." in err
    assert "order_08" not in err  # (no example of the demo shop's: 21b0801)


@pytest.mark.sqlite_only("about a store file's folder and its permissions")
def test_a_store_in_a_read_only_folder_keeps_its_index_in_the_cache(seeded, tmp_path,
                                                                   capsys, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    folder = tmp_path / "shared"
    folder.mkdir()
    copy = folder / "shop.evstore"
    copy.write_bytes(Path(seeded).read_bytes())
    assert searching.index_beside_store_allowed(str(copy))
    folder.chmod(0o555)
    try:
        if os.geteuid() != 0:  # root may write anywhere: then say the folder is not writable
            assert not searching.index_beside_store_allowed(str(copy))
        monkeypatch.setattr(searching, "index_beside_store_allowed", lambda location: False)
        found = search(capsys, copy, "--search", '"Royal Mail"', "--limit", "2")
        assert found and all("Royal Mail" in json.dumps(e["data"]) for e in found)
        assert sorted(p.name for p in folder.iterdir()) == ["shop.evstore"]
        assert fulltext_path(str(copy), True).is_relative_to(tmp_path / "cache")
        assert fulltext_path(str(copy), True).exists()
    finally:
        folder.chmod(0o755)


def test_a_store_of_the_eventsourcing_library_keeps_its_index_in_the_cache(tmp_path, capsys,
                                                                           monkeypatch):
    # Found by a tester: `events bank.db --search` made bank.db.fulltext beside the other
    # program's file, which Event Explorer never writes.
    from tests.foreign.bank import write_bank

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    folder = tmp_path / "bank"
    folder.mkdir()
    store = folder / "bank.db"
    write_bank(store)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    code, out, err = run(capsys, "events", store, "--search", "Account", "--json")
    assert code == 0, err
    assert json.loads(out)  # found
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    assert fulltext_path(str(store), True).exists()
