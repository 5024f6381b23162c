"""Searching every event: the full-text index against a brute-force scan of the stored text,
kept up to date by the runner, whole after kill -9, and in the cache folder for a read-only
store. On a store file and on a store on a PostgreSQL server (whose index is kept in a file in
the cache folder)."""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from explorer.demo.system import SHOP
from explorer.projections import (
    FullTextIndex,
    SearchTextError,
    fulltext,
    fulltext_parts,
    fulltext_path,
)
from explorer.projections.fulltext import newest_matching, search_query
from explorer.runtime.runner import Runner
from explorer.store import EventStore
from explorer.store.query import EventQuery
from explorer.store.records import NewEvent
from explorer.system.workspace import open_store
from tests.projections.seeded_shop import shop_store_fixtures

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.backends
WORD = re.compile(r"[\w\-.@]+")
"""A word as the index's tokenizer sees one (unicode61 with tokenchars '_-.@')."""


def words(text: str) -> list[str]:
    """(A word's ending points are not part of it: a sentence's last word is found.)"""
    return [word.lower().rstrip(".") for word in WORD.findall(text) if word.rstrip(".")]


def brute_force(store: EventStore, typed: str, up_to: int | None = None) -> list[int]:
    """Positions of the events whose stored text matches what the user typed, by reading every
    event: each word (or quoted phrase, its words in a row) somewhere; a * a prefix."""
    wanted = []
    for phrase, star, word in re.findall(r'"([^"]*)"?(\*?)|([^\s"]+)', typed):
        text = phrase if not word else word.rstrip("*")
        prefix = bool(star) if not word else word.endswith("*")
        if words(text):
            wanted.append((words(text), prefix))
    found = []
    for position, text in store.search_texts(0, 10**9):
        if up_to is not None and position > up_to:
            break
        tokens = words(text)

        def has(phrase: list[str], prefix: bool, tokens: list[str] = tokens) -> bool:
            n = len(phrase)
            for i in range(len(tokens) - n + 1):
                window = tokens[i:i + n]
                if window[:-1] == phrase[:-1] and (window[-1].startswith(phrase[-1]) if prefix
                                                   else window[-1] == phrase[-1]):
                    return True
            return False

        if all(has(phrase, prefix) for phrase, prefix in wanted):
            found.append(position)
    return found


seeded, shop_store = shop_store_fixtures("fulltext", orders=40, days=20)


def drawn_terms(store: EventStore, count: int, seed: int = 7) -> list[str]:
    """Words, prefixes, phrases and identifiers with punctuation, drawn from the stored text."""
    randomly = random.Random(seed)
    texts = [text for _position, text in store.search_texts(0, 10**9)]
    terms: list[str] = []
    while len(terms) < count:
        tokens = WORD.findall(randomly.choice(texts))
        start = randomly.randrange(len(tokens) - 1)
        token = tokens[start]
        kind = len(terms) % 4
        if kind == 0:
            terms.append(token)
        elif kind == 1 and len(token) > 3:
            terms.append(token[:randomly.randrange(2, len(token))] + "*")
        elif kind == 2:
            terms.append(f'"{token} {tokens[start + 1]}"')
        else:
            punctuated = [t for t in tokens if re.search(r"[\w][_\-.@][\w]", t)]
            if punctuated:
                terms.append(randomly.choice(punctuated).upper())
    return terms


def test_searches_find_what_a_scan_of_every_event_finds(shop_store):
    with FullTextIndex.of_store(shop_store) as index:
        assert index.catch_up(shop_store, batch=500) == shop_store.last_position()
        for term in drawn_terms(shop_store, 80):
            assert list(index.matches(term)) == brute_force(shop_store, term), term
        mixed = "ORDER_01* Royal"
        assert list(index.matches(mixed)) == brute_force(shop_store, mixed)


def test_identifiers_stay_whole_words():
    with_text = "order_0870 order_08700 DH3862167061 ada@example.com 12.5 2026-01-05 Royal Mail"
    assert search_query("order_0870") == '"order_0870"'
    assert search_query('"Royal Mail"  order_08*') == '"Royal Mail" "order_08"*'
    assert search_query('say "it') == '"say" "it"'  # an unclosed quote ends the phrase
    assert search_query('a"b') == '"a" "b"'
    assert words(with_text)[:5] == ["order_0870", "order_08700", "dh3862167061",
                                    "ada@example.com", "12.5"]
    for nothing in ("", "  ", '""', "* , ;"):
        with pytest.raises(SearchTextError, match="Nothing to search for"):
            search_query(nothing)


def test_ids_emails_numbers_and_phrases(store):
    texts = ["order_0870 shipped by Royal Mail", "order_08700 for ada@example.com",
             "total 12.5 tracking DH3862167061", "Mail Royal, not a phrase", "cust_456-b"]
    for number, text in enumerate(texts, 1):
        store.append(f"note_{number}", "Note", [NewEvent("Noted", {"text": text})])
    with FullTextIndex.of_store(store) as index:
        index.catch_up(store)

        def found(typed: str) -> list[int]:
            return sorted(index.matches(typed))

        assert found("order_0870") == [1]
        assert found("order_08*") == [1, 2]
        assert found('"Royal Mail"') == [1]
        assert found("Royal Mail") == [1, 4]
        assert found("ADA@example.com") == [2]
        assert found("12.5") == [3] and found("12") == []
        assert found("dh3862167061") == [3]
        assert found("cust_456-b") == [5] and found("cust_456") == []
        assert found("Noted note_3") == [3]  # type and stream id are indexed too
        assert found("nothing_here") == []


def test_newest_first_and_combined_with_the_other_filters(shop_store):
    with FullTextIndex.of_store(shop_store) as index:
        index.catch_up(shop_store)
        everything = brute_force(shop_store, "order_01*")
        newest = [p for chunk in newest_matching(index, shop_store, "order_01*", chunk=7)
                  for p in chunk]
        assert newest == everything[::-1]
        assert list(index.newest_matches("order_01*", limit=5)) == everything[::-1][:5]
        assert list(index.newest_matches("order_01*", before_position=everything[-3],
                                         limit=2)) == everything[::-1][3:5]
        query = EventQuery(event_types=("OrderPlaced", "OrderShipped"))
        wanted = set(shop_store.positions(query))
        combined = [p for chunk in newest_matching(index, shop_store, "order_01*", query, chunk=7)
                    for p in chunk]
        assert combined == [p for p in everything[::-1] if p in wanted] and combined


def test_the_runner_keeps_a_built_index_up_to_date(shop_store):
    location = shop_store.location
    runner = Runner(location, SHOP, run_sagas=False)
    try:
        runner.run_pending()
        assert not fulltext_path(location, False).exists()  # nobody searched: no index
        with FullTextIndex.of_store(shop_store) as index:
            index.catch_up(shop_store, should_stop=lambda: index.checkpoint() > 0, batch=100)
            assert index.checkpoint() == 100 and not index.built()
            runner.run_pending()  # a build stopped midway waits for the next search
            assert index.checkpoint() == 100
            index.catch_up(shop_store)
            assert index.built()
        shop_store.append("note_1", "Note", [NewEvent("Noted", {"text": "zebra_77 arrived"})])
        runner.run_pending()
        with FullTextIndex.of_store(shop_store) as index:
            assert index.checkpoint() == shop_store.last_position()
            assert list(index.matches("zebra_77")) == [shop_store.last_position()]
    finally:
        runner.close()


def test_an_index_of_another_log_is_rebuilt(shop_store, backend, tmp_path, request):
    """A store file replaced by another, or a server's schema dropped and made again."""
    with FullTextIndex.of_store(shop_store) as index:
        index.catch_up(shop_store)
    shop_store.close()
    if backend == "postgres":
        schema = request.getfixturevalue("schema_name")
        request.getfixturevalue("admin").execute(f'DROP SCHEMA "{schema}" CASCADE')
    other = tmp_path / "other.evstore" if backend == "sqlite" else shop_store.location
    with open_store(other, system=SHOP, create=True) as store:
        store.append("note_1", "Note", [NewEvent("Noted", {"text": "only here"})])
    if backend == "sqlite":
        os.replace(other, shop_store.location)
    with open_store(shop_store.location, system=SHOP) as replaced, \
            FullTextIndex.of_store(replaced) as index:
        index.catch_up(replaced)
        assert index.checkpoint() == 1
        assert list(index.matches("only")) == [1] and list(index.matches("order_001")) == []


BUILD_SCRIPT = """
import sys
from explorer.projections import FullTextIndex
from explorer.store import EventStore
store = EventStore.open(sys.argv[1])
index = FullTextIndex.of_store(store)
index.catch_up(store, batch=50, progress=lambda done, last: print(done, flush=True))
"""


def test_a_build_killed_midway_resumes_to_the_same_index(shop_store):
    path = shop_store.location
    child = subprocess.Popen([sys.executable, "-c", BUILD_SCRIPT, path], cwd=ROOT,
                             stdout=subprocess.PIPE, text=True)
    for _ in range(4):  # let it commit a few batches, then kill it without warning
        assert child.stdout.readline()
    child.send_signal(signal.SIGKILL)
    child.wait()
    with FullTextIndex.of_store(shop_store) as index:
        checkpoint = index.checkpoint()
        assert 200 <= checkpoint < shop_store.last_position()
        assert list(index.matches("order_01*")) == brute_force(shop_store, "order_01*", checkpoint)
        index.catch_up(shop_store)
        for term in ("order_01*", '"Royal Mail"', "cust_00*", "OrderPlaced"):
            assert list(index.matches(term)) == brute_force(shop_store, term), term


def test_a_read_only_stores_index_is_in_the_cache_folder(seeded, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    folder = tmp_path / "shared"
    folder.mkdir()
    path = folder / "shop.evstore"
    path.write_bytes(seeded.read_bytes())
    path.chmod(0o444)
    before = sorted(p.name for p in folder.iterdir())
    with open_store(path, system=SHOP, read_only=True) as store, \
            FullTextIndex.of_store(store) as index:
        index.catch_up(store)
        assert index.path.is_relative_to(tmp_path / "cache")
        assert list(index.matches("order_02*")) == brute_force(store, "order_02*")
    assert sorted(p.name for p in folder.iterdir()) == before


def test_an_index_of_an_older_version_is_built_again(shop_store):
    with FullTextIndex.of_store(shop_store) as index:
        index.catch_up(shop_store)
        with index.database.transaction() as db:  # as the first version's table was
            db.execute("ALTER TABLE event_text_state DROP COLUMN version")
    with FullTextIndex.of_store(shop_store) as index:
        assert index.checkpoint() == 0 and list(index.matches("OrderPlaced")) == []
        index.catch_up(shop_store)
        assert list(index.matches("OrderPlaced")) == brute_force(shop_store, "OrderPlaced")


def test_an_index_in_many_parts_finds_what_a_scan_finds_newest_first(shop_store, monkeypatch):
    monkeypatch.setattr(fulltext, "PART", 97)  # the seeded store's events in many tables
    monkeypatch.setattr(fulltext_parts.os, "cpu_count", lambda: 2)  # built in workers
    with FullTextIndex.of_store(shop_store) as index:
        index.catch_up(shop_store, batch=250)
        assert len(index._parts()) == (shop_store.last_position() - 1) // 97 + 1
        for term in [*drawn_terms(shop_store, 24), "order_01*", "ORDER_01* Royal"]:
            everything = brute_force(shop_store, term)
            assert list(index.matches(term)) == everything, term
            assert list(index.matches(term, after_position=300)) == [
                p for p in everything if p > 300], term
            assert list(index.newest_matches(term, limit=150)) == everything[::-1][:150], term
            newest = [p for chunk in newest_matching(index, shop_store, term, chunk=40)
                      for p in chunk]
            assert newest == everything[::-1], term
        everything = brute_force(shop_store, "order_01*")
        assert list(index.newest_matches("order_01*", before_position=everything[-100],
                                         limit=3)) == everything[::-1][100:103]
        shop_store.append("note_1", "Note", [NewEvent("Noted", {"text": "zebra_77 arrived"})])
        index.catch_up(shop_store)
        assert list(index.newest_matches("zebra_77")) == [shop_store.last_position()]


@pytest.mark.parametrize("intersect_above", [0, 10**9])
def test_every_match_under_the_other_filters_either_way(shop_store, monkeypatch,
                                                        intersect_above):
    monkeypatch.setattr(fulltext, "INTERSECT_ABOVE", intersect_above)
    query = EventQuery(event_types=("OrderPlaced", "OrderShipped"))
    wanted = set(shop_store.positions(query))
    with FullTextIndex.of_store(shop_store) as index:
        index.catch_up(shop_store)
        for term in ["order_01*", "cust_0*", "Royal"]:
            expected = [p for p in brute_force(shop_store, term) if p in wanted]
            assert expected and list(fulltext.all_matching(index, shop_store, term,
                                                           query)) == expected
            assert list(fulltext.all_matching(index, shop_store, term, query,
                                              after_position=expected[2])) == expected[3:]


def test_searches_while_parts_are_added_find_what_is_indexed(shop_store, monkeypatch, tmp_path):
    """A part added by another connection while a search opens a part's table (SQLite then
    fails the statement before it runs, "vtable constructor failed"): the search goes on."""
    monkeypatch.setattr(fulltext, "PART", 20)  # a new table every commit
    monkeypatch.setattr(fulltext_parts, "PARALLEL_FROM", 10**9)
    failures: list[str] = []
    for round_ in range(6):
        path = tmp_path / f"index{round_}.fulltext"
        FullTextIndex(path).close()
        building = threading.Event()
        building.set()

        def search(typed: str, path: Path = path, building: threading.Event = building) -> None:
            with FullTextIndex(path) as index:
                while building.is_set():
                    try:
                        index.matches(typed)
                        index.newest_matches(typed, limit=30)
                    except Exception as error:  # noqa: BLE001 (each is a failure to report)
                        failures.append(repr(error))

        searches = [threading.Thread(target=search, args=(typed,))
                    for typed in ("order_0*", "Royal")]
        for searching in searches:
            searching.start()
        try:
            with FullTextIndex(path) as index:
                index.catch_up(shop_store, batch=20)
        finally:
            building.clear()
            for searching in searches:
                searching.join()
        assert failures == []


def test_a_correlation_id_is_found_in_every_event_whose_metadata_holds_it(store):
    """The store keeps an event's correlation_id apart from the rest of its metadata (a column
    of its own), yet shows it in the metadata: searching it finds every event of the request."""
    request = "019bc595-8cf6-785f-be97-8c5532360c3b"
    store.append("order_1", "Order", [NewEvent("OrderPlaced", {"order_id": "order_1"},
                                               {"correlation_id": request,
                                                "causation_id": request})])
    store.append("pay_1", "Payment", [NewEvent("PaymentCharged", {"order_id": "order_1"},
                                               {"correlation_id": request,
                                                "causation_id": "019bc595-0000"})])
    store.append("note_1", "Note", [NewEvent("Noted", {"text": "no request"})])
    assert all(event.metadata["correlation_id"] == request
               for event in store.query(EventQuery(event_types=("OrderPlaced",
                                                                "PaymentCharged"))))
    with FullTextIndex.of_store(store) as index:
        index.catch_up(store)
        assert sorted(index.matches(request)) == [1, 2]
        assert sorted(index.matches("019bc595-8cf6*")) == [1, 2]
        assert sorted(index.matches("correlation_id")) == [1, 2]  # its key, as shown


def test_a_nul_in_what_is_typed_separates_words(store):
    """A NUL (pasted into the box) ended the query SQLite read: 'unterminated string'."""
    store.append("order_0870", "Order", [NewEvent("OrderPlaced", {"order_id": "order_0870"})])
    with FullTextIndex.of_store(store) as index:
        index.catch_up(store)
        assert list(index.matches("order_0870\x00")) == [1]
        assert list(index.newest_matches('"order_0870\x00OrderPlaced"')) == [1]
        assert list(index.matches("order\x00_0870")) == []
    with pytest.raises(SearchTextError, match="Nothing to search for"):
        search_query("\x00 \x00")


def test_a_word_after_an_escape_of_the_stored_json_is_found(store):
    """The data is indexed as stored, JSON text, in which a line break is written \\n, a tab
    \\t and a control character \\u0001: the word after one was read with its letter
    (nline2, ttabbed, u0001bell) and never found."""
    store.append("note_1", "Note", [NewEvent("Noted", {
        "text": "line1\nline2\tTabbed \"quoted\" a\u0001bell", "path": "C:\\new\\file.txt"})])
    with FullTextIndex.of_store(store) as index:
        index.catch_up(store)
        for word in ("line1", "line2", "tabbed", "quoted", "bell", "new", "file.txt",
                     '"line1 line2 tabbed"'):
            assert list(index.matches(word)) == [1], word
        for piece in ("nline2", "ttabbed", "u0001bell", "nnew"):
            assert list(index.matches(piece)) == [], piece


def test_a_word_ending_a_sentence_is_found_without_its_point(store):
    """A point is part of a word (12.5, ada@example.com), so the word ending a sentence kept
    it: 'it is cancelled.' gave the word cancelled., and a search of cancelled missed it (the
    demo shop's 175 rejected steps 'Cannot ship order order_0032: it is cancelled.')."""
    store.append("note_1", "Note", [NewEvent("Noted", {
        "reason": "Cannot ship order order_0032: it is cancelled.",
        "text": "Write to ada@example.com. It costs 12.5. Wait... ok"})])
    with FullTextIndex.of_store(store) as index:
        index.catch_up(store)
        for typed in ("cancelled", "cancelled.", '"it is cancelled."', "cancel*", "costs",
                      "ada@example.com", "ada@example.com.", "12.5", "wait", "order_0032:"):
            assert list(index.matches(typed)) == [1], typed
        assert list(index.matches("12")) == [] and list(index.matches("example.com")) == []
    assert search_query("cancelled. 12.5.") == '"cancelled" "12.5"'
    with pytest.raises(SearchTextError, match="Nothing to search for"):
        search_query("...")


def test_a_backslash_in_a_stream_id_type_or_correlation_id_is_no_escape(store):
    """The index reads JSON's escapes (\\n a line break) in the data and metadata; the stream id,
    type and correlation id are not JSON: a backslash there is one, so 'C:\\Users\\name' is the
    words c, users and name (the n of \\name was read as a line break: name was not found)."""
    store.append("C:\\Users\\name", "Folder", [NewEvent(
        "Opened\\tree", {"x": 1}, {"correlation_id": "run\\night"})])
    with FullTextIndex.of_store(store) as index:
        index.catch_up(store)
        for word in ("name", "users", "tree", "night", "opened"):
            assert list(index.matches(word)) == [1], word
        for piece in ("ame", "ree", "ight"):
            assert list(index.matches(piece)) == [], piece


def test_a_prefix_ending_in_a_point_keeps_it(store):
    """A word's ending points are not indexed (a sentence's last word), but a prefix typed with
    one asks for the words that go on after the point: 12.* found 120 and 12abc as 12* does."""
    for n, text in enumerate(("version 12.5", "lot 120", "at 12. then", "v1.2.3 ready")):
        store.append(f"thing-{n}", "Thing", [NewEvent("Measured", {"v": text})])
    with FullTextIndex.of_store(store) as index:
        index.catch_up(store)
        assert list(index.matches("12.*")) == [1]
        assert list(index.matches("v1.2.*")) == [4]
        assert list(index.matches("12*")) == [1, 2, 3]
        assert list(index.matches("12.")) == [3]  # (the word 12, its sentence's point dropped)
    with pytest.raises(SearchTextError, match="Nothing to search for"):
        search_query("...*")
