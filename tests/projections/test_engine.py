"""The projection runtime: versions by position, exactly once, faults, rebuilds, crashes; on a
store file and on a PostgreSQL server (read models in a schema beside the events)."""

from __future__ import annotations

import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from explorer.demo.projections import OrderSummaryProjection, StockProjection, shop_projections
from explorer.projections import (
    Projection,
    ProjectionEngine,
    ReadModelDatabase,
    count_rows,
    read_model_path,
    read_rows,
)
from explorer.projections import engine as engine_module
from explorer.projections.database import SUFFIX, open_read_models
from explorer.store import NotAStoreError
from explorer.system.workspace import open_store
from tests.conftest import ADDRESS

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.backends


def shop(service, orders=3):
    service.execute("Customer", "cust_1", "register", {"name": "Ada", "email": "a@b.co",
                                                       "address": ADDRESS})
    service.execute("Inventory", "prod_101", "receive_stock", {"quantity": 50})
    for i in range(1, orders + 1):
        service.execute("Order", f"order_{i}", "place", {
            "customer_id": "cust_1", "total": 29.99 * i,
            "items": [{"product_id": "prod_101", "quantity": i, "price": 29.99}]})


@pytest.fixture
def engine(store):
    db = open_read_models(store.location, False)
    engine = ProjectionEngine(store, db, shop_projections())
    yield engine
    db.close()


def test_read_models_follow_the_log(service, engine):
    shop(service)
    handled = engine.catch_up_all()
    assert handled > 0 and engine.catch_up_all() == 0
    rows = engine.rows("order_summary")
    assert [r["order_id"] for r in rows] == ["order_1", "order_2", "order_3"]
    assert rows[1]["customer_name"] == "Ada" and rows[1]["item_count"] == 2
    assert rows[1]["status"] == "placed" and rows[1]["total"] == 59.98
    assert engine.rows("orders_per_customer")[0]["orders"] == 3
    service.execute("Order", "order_2", "mark_paid", {"payment_id": "p", "amount": 59.98})
    engine.catch_up_all()
    assert engine.rows("order_summary")[1]["status"] == "paid"
    day = engine.rows("revenue_per_day")[0]
    assert day["orders_paid"] == 1 and day["revenue"] == 59.98
    statuses = {s.name: s for s in engine.statuses()}
    assert statuses["order_summary"].state == "caught up"
    assert statuses["order_summary"].lag_events == 0


def test_every_row_keeps_its_versions_by_position(service, engine):
    shop(service, orders=1)
    engine.catch_up_all()
    placed_at = service.store.last_position()
    service.execute("Order", "order_1", "cancel", {"reason": "x"})
    engine.catch_up_all()
    assert engine.rows("order_summary")[0]["status"] == "cancelled"
    assert engine.rows("order_summary", at_position=placed_at)[0]["status"] == "placed"
    assert engine.rows("order_summary", at_position=1) == []
    stock = engine.projection("stock").main_table
    assert count_rows(engine.db, stock) == 1 and count_rows(engine.db, stock, 1) == 0


def test_events_at_or_before_the_checkpoint_are_never_handled_again(service, engine):
    shop(service)
    engine.catch_up_all()
    before = {s.name: s.processed for s in engine.statuses()}
    engine.catch_up_all()
    engine.catch_up("stock")
    assert {s.name: s.processed for s in engine.statuses()} == before
    assert engine.rows("stock")[0]["reserved"] == 0


def test_another_runner_advancing_a_projection_is_noticed(service, store):
    shop(service)
    first = ProjectionEngine(store, open_read_models(store.location, False), [StockProjection()])
    second = ProjectionEngine(store, open_read_models(store.location, False),
                              [StockProjection()])
    first.catch_up("stock")
    service.execute("Inventory", "prod_101", "receive_stock", {"quantity": 5})
    second.catch_up("stock")  # advances the shared checkpoint past what first has cached
    first.catch_up("stock")
    assert first.rows("stock")[0]["on_hand"] == 55
    assert first.statuses()[0].processed == second.statuses()[0].processed == 2


def test_a_runner_handling_events_after_another_runner_did_reads_the_rows_it_wrote(
        service, store):
    """Two runners taking turns at a projection (the window's and `run`, say): each chunk is
    handled from the rows as the other left them, not from what this one had cached before."""
    shop(service)
    first = ProjectionEngine(store, open_read_models(store.location, False), [StockProjection()])
    second = ProjectionEngine(store, open_read_models(store.location, False),
                              [StockProjection()])
    first.catch_up("stock")  # (caches prod_101 as it was then)
    service.execute("Inventory", "prod_101", "receive_stock", {"quantity": 5})
    second.catch_up("stock")
    service.execute("Inventory", "prod_101", "receive_stock", {"quantity": 7})
    first.catch_up("stock")  # its checkpoint is the shared one: the event after second's
    assert store.read_stream("prod_101")[-1].data["on_hand"] == 62
    for engine in (first, second):  # (one current row, from the rows second wrote)
        assert [(row["on_hand"], row["reserved"]) for row in engine.rows("stock")] == [(62, 0)]


class Fussy(Projection):
    name = "fussy"
    title = "Fussy"
    event_types = frozenset({"OrderPlaced"})
    tables = OrderSummaryProjection.tables

    def handle(self, event, writes):
        if event.stream_id == "order_2":
            raise KeyError("total")
        writes.put("order_summary", (event.stream_id,), customer_id=None, customer_name=None,
                   status="seen", total=0, currency="USD", item_count=0, created_at=None,
                   updated_at=None)


def test_a_failing_event_faults_only_its_projection_which_can_retry_or_skip(service, store):
    shop(service)
    db = open_read_models(store.location, False)
    engine = ProjectionEngine(store, db, [Fussy(), StockProjection()])
    engine.catch_up_all()
    statuses = {s.name: s for s in engine.statuses()}
    fault = statuses["fussy"].fault
    failing = store.read_stream("order_2")[0]
    assert statuses["fussy"].state == "faulted" and fault.position == failing.position
    assert fault.event_id == failing.event_id and "KeyError: 'total'" in fault.error
    assert statuses["fussy"].checkpoint == failing.position - 1
    assert [r["order_id"] for r in engine.rows("fussy")] == ["order_1"]
    assert statuses["stock"].state == "caught up"
    engine.retry("fussy")
    engine.catch_up("fussy")
    assert engine.statuses()[0].fault.position == failing.position
    assert engine.skip("fussy") == failing.position
    engine.catch_up("fussy")
    status = engine.statuses()[0]
    assert status.state == "caught up" and status.skipped == (failing.position,)
    assert [r["order_id"] for r in engine.rows("fussy")] == ["order_1", "order_3"]
    with pytest.raises(ValueError, match="not faulted"):
        engine.skip("fussy")
    db.close()


class Fickle(Projection):
    """Fails at order_3 at first, then (handling the events before it again) at order_2."""
    name = "fickle"
    title = "Fickle"
    event_types = frozenset({"OrderPlaced"})
    tables = OrderSummaryProjection.tables
    failing = "order_3"

    def handle(self, event, writes):
        if event.stream_id == self.failing:
            Fickle.failing = "order_2"
            raise ValueError(f"{event.stream_id} refused")
        writes.put("order_summary", (event.stream_id,), customer_id=None, customer_name=None,
                   status="seen", total=0, currency="USD", item_count=0, created_at=None,
                   updated_at=None)


def test_a_handler_failing_earlier_when_its_events_are_handled_again_faults_there(
        service, store):
    """The events before a fault are handled again for their commit: a handler that fails at
    one of them that time is faulted there, not past it (review: the second failure was
    ignored and the checkpoint advanced over the event it failed at)."""
    shop(service)
    Fickle.failing = "order_3"
    with open_read_models(store.location, False) as db:
        engine = ProjectionEngine(store, db, [Fickle()])
        engine.catch_up("fickle")
        status = engine.statuses()[0]
        second = store.read_stream("order_2")[0]
        assert status.fault.position == second.position and "order_2 refused" in \
            status.fault.error
        assert status.fault.event_id == second.event_id
        assert status.checkpoint == second.position - 1
        assert [r["order_id"] for r in engine.rows("fickle")] == ["order_1"]


class SaysItKeepsRows(OrderSummaryProjection):
    name = "says_it_keeps_rows"

    def handle(self, event, writes):
        super().handle(event, writes)
        if event.stream_id == "order_2":
            writes.delete("order_summary", ("order_2",))


def test_a_projection_saying_it_keeps_its_rows_is_held_to_it(service, store):
    # (its lists are counted from the versions begun since the last count, which a deletion
    # would not be among: explorer.projections.list_count)
    shop(service)
    db = open_read_models(store.location, False)
    engine = ProjectionEngine(store, db, [SaysItKeepsRows()])
    engine.catch_up_all()
    status = engine.statuses()[0]
    assert status.state == "faulted" and status.fault.position == store.read_stream(
        "order_2")[0].position
    assert "deleted a row of order_summary, but the projection says it keeps" in (
        status.fault.error)
    assert [r["order_id"] for r in engine.rows("says_it_keeps_rows")] == ["order_1"]
    db.close()


def test_an_unreadable_event_faults_the_projection_that_needs_it(service, store, engine,
                                                                 backend, store_location,
                                                                 request):
    shop(service, orders=1)
    broken = ("INSERT INTO {}events (position, stream_id, stream_type, version, event_id, "
              "event_type, schema_version, timestamp, data) VALUES (4, 'order_9', 'Order', 1, "
              "'bad', 'OrderPlaced', 2, 9000000000000000, '{{broken')")
    if backend == "sqlite":  # as another program might write it
        with sqlite3.connect(store_location) as db:
            db.execute(broken.format(""))
    else:
        request.getfixturevalue("admin").execute(
            broken.format(f'"{request.getfixturevalue("schema_name")}".'))
    engine.catch_up_all()
    statuses = {s.name: s for s in engine.statuses()}
    assert statuses["order_summary"].fault.position == 4
    assert "cannot be read" in statuses["order_summary"].fault.error
    assert statuses["stock"].fault is None


def test_rebuild_starts_over_with_progress_and_can_stop(service, engine, monkeypatch):
    shop(service, orders=5)
    engine.catch_up_all()
    expected = engine.rows("order_summary")
    engine.chunk = 3
    seen = []
    engine.rebuild("order_summary", progress=lambda done, last: seen.append(done),
                   should_stop=lambda: len(seen) >= 2)
    status = next(s for s in engine.statuses() if s.name == "order_summary")
    assert status.state == "rebuilding" and status.checkpoint == 6
    assert seen == [3, 6]
    engine.catch_up("order_summary")
    assert engine.rows("order_summary") == expected
    assert next(s for s in engine.statuses() if s.name == "order_summary").state == "caught up"


def test_a_new_projection_version_rebuilds_it(service, store):
    shop(service)
    with open_read_models(store.location, False) as db:
        ProjectionEngine(store, db, [StockProjection()]).catch_up_all()

    class StockV2(StockProjection):
        version = 2
    with open_read_models(store.location, False) as db:
        engine = ProjectionEngine(store, db, [StockV2()])
        assert engine.statuses()[0].checkpoint == 0
        engine.catch_up_all()
        assert engine.rows("stock")[0]["on_hand"] == 50


@pytest.mark.sqlite_only("where the read-model files are")
def test_read_models_live_beside_the_store_or_in_the_cache_when_read_only(store, tmp_path):
    assert read_model_path(store.location, False) == Path(store.location + SUFFIX)
    cached = read_model_path(store.location, True)
    assert "event-explorer" in str(cached) and cached.name.endswith(SUFFIX)
    foreign = tmp_path / "x.readmodels"
    foreign.write_text("hello")
    with pytest.raises(NotAStoreError, match="should hold the store's read models, but it is a "
                       "text file starting with 'hello'") as refused:
        ReadModelDatabase(foreign)
    assert "delete it (or move it away) and it is made again" in str(refused.value)
    assert foreign.read_text() == "hello"
    junk_index = tmp_path / "x.fulltext"  # the search index's file says so, not "read models"
    junk_index.write_bytes(b"SQLite format 3\x00" + b"\x01" * 200)
    with pytest.raises(NotAStoreError, match="should hold the store's search index, but it is "
                       "an SQLite file that cannot be read"):
        ReadModelDatabase(junk_index)


REBUILD_SCRIPT = """
import sys
from explorer.projections import engine
engine.CHUNK_POSITIONS = 40
from explorer.runtime.runner import Runner
from explorer.system.discovery import load_system
system = load_system(sys.argv[2])
with Runner(sys.argv[1], system, run_sagas=False) as runner:
    runner.engine.chunk = 40
    runner.rebuild(sys.argv[3], progress=lambda done, last: print(done, flush=True))
"""


def test_a_rebuild_killed_midway_resumes_to_the_same_read_model(system, case, tmp_path):
    """Each row version is written once: a rebuild killed after a few chunks and resumed ends
    with the read models, every version of every row, of an uninterrupted build."""
    path = tmp_path / f"{system.name}.evstore"
    subprocess.run([sys.executable, "-m", "explorer", "seed", str(path), "--system",
                    system.name, "--size", str(case.seed_size * 5), "--days", "30"],
                   check=True, cwd=ROOT, capture_output=True)
    clean = tmp_path / "clean.evstore"
    shutil.copyfile(path, clean)
    subprocess.run([sys.executable, "-m", "explorer", "project", str(clean), "--no-sagas"],
                   check=True, cwd=ROOT, capture_output=True)
    rebuilt = system.projections()[0]
    child = subprocess.Popen([sys.executable, "-c", REBUILD_SCRIPT, str(path), system.name,
                              rebuilt.name], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    for _ in range(5):  # let it commit a few chunks, then kill it without warning
        assert child.stdout.readline()
    child.send_signal(signal.SIGKILL)
    child.wait()
    with open_store(path, system=system, read_only=True) as store, \
            ReadModelDatabase(read_model_path(str(path), False)) as db:
        partial = ProjectionEngine(store, db, [type(rebuilt)()]).statuses()[0]
        assert 0 < partial.checkpoint < store.last_position()
    subprocess.run([sys.executable, "-m", "explorer", "project", str(path), "--no-sagas"],
                   check=True, cwd=ROOT, capture_output=True)
    with ReadModelDatabase(read_model_path(str(path), False)) as resumed, \
            ReadModelDatabase(read_model_path(str(clean), False)) as expected:
        for projection in system.projections():
            for table in projection.tables:
                assert read_rows(resumed, table, limit=None) == \
                    read_rows(expected, table, limit=None), table.name
                everything = f'SELECT * FROM "{table.name}" ORDER BY ' + ", ".join(
                    [*table.info["keys"], "valid_from"])
                assert resumed.db.execute(everything).fetchall() == \
                    expected.db.execute(everything).fetchall(), table.name


def test_projections_never_run_inside_command_handling(service, engine):
    shop(service)
    assert engine.statuses()[0].checkpoint == 0  # commands appended; nothing projected yet
    assert engine.rows("order_summary") == []


class Lean(Projection):
    """Reads only the stream id of an event besides its type and data; faults at order_2."""

    name = "lean"
    title = "Lean"
    event_types = frozenset({"OrderPlaced"})
    event_fields = frozenset({"stream_id"})
    tables = OrderSummaryProjection.tables
    seen: list = []

    def handle(self, event, writes):
        self.seen.append(event)
        if event.stream_id == "order_2":
            raise KeyError("total")
        writes.put("order_summary", (event.stream_id,), customer_id=event.data["customer_id"],
                   customer_name=None, status="seen", total=event.data["total"],
                   currency="USD", item_count=0, created_at=None, updated_at=None)


def test_a_projection_is_given_only_the_event_fields_it_reads(service, store):
    shop(service)
    db = open_read_models(store.location, False)
    Lean.seen = []
    engine = ProjectionEngine(store, db, [Lean()])
    engine.catch_up("lean")
    first, failing = Lean.seen[0], store.read_stream("order_2")[0]
    assert (first.stream_id, first.event_type, first.data["customer_id"]) == (
        "order_1", "OrderPlaced", "cust_1")
    assert first.position == store.read_stream("order_1")[0].position
    assert first.event_id is first.timestamp_us is first.metadata_json is None  # unread
    fault = engine.statuses()[0].fault
    assert fault.position == failing.position
    assert fault.event_id == failing.event_id  # looked up, though the handler never read it
    db.close()


def test_a_projection_naming_a_field_events_lack_is_refused(store):
    class Typo(Lean):
        name = "typo"
        event_fields = frozenset({"stream_id", "timestamp"})

    db = open_read_models(store.location, False)
    with pytest.raises(ValueError, match="no field 'timestamp'.*timestamp_us"):
        ProjectionEngine(store, db, [Typo()])
    db.close()


def test_a_chunk_is_read_from_the_store_a_piece_at_a_time(service, store, monkeypatch):
    """A chunk's events are read READ_POSITIONS at a time, so that what it holds in memory
    is one piece's rows however many positions its transaction covers; each event is still
    handled once, and a fault in a later piece commits the pieces before it (failed before:
    the whole chunk in one read)."""
    shop(service, orders=6)
    Lean.seen = []
    reads = []
    query = store.query_for_projection

    def read(event_query, fields=None):
        reads.append((event_query.from_position, event_query.to_position))
        return query(event_query, fields)

    monkeypatch.setattr(store, "query_for_projection", read)
    monkeypatch.setattr(engine_module, "READ_POSITIONS", 2, raising=False)
    with open_read_models(store.location, False) as db:
        engine = ProjectionEngine(store, db, [Lean()], chunk=100)
        engine.catch_up("lean")
        failing = store.read_stream("order_2")[0]
        assert reads and all(last - first < 2 for first, last in reads)
        assert reads[0][0] == 1 and reads[-1][1] == failing.position - 1  # the commit's
        status = engine.statuses()[0]
        assert (status.checkpoint, status.fault.position) == (failing.position - 1,
                                                              failing.position)
        assert [r["order_id"] for r in engine.rows("lean")] == ["order_1"]
        assert status.processed == 1


def test_a_rebuild_leaves_its_tables_indexed_when_done_or_stopped(service, engine):
    shop(service)
    engine.catch_up_all()
    declared = {index.name for table in OrderSummaryProjection.tables
                for index in table.indexes}

    def indexes():
        return {name for (name,) in engine.db.db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index'")} & declared

    if engine.db.local() is not engine.db:
        pytest.skip("a server keeps a table's indexes through a rebuild")
    assert indexes() == declared
    engine.chunk = 2
    engine.rebuild("order_summary", should_stop=lambda: True)
    assert indexes() == declared
    engine.rebuild("order_summary")
    assert indexes() == declared
    assert [r["order_id"] for r in engine.rows("order_summary")] == [
        "order_1", "order_2", "order_3"]


def test_what_read_models_free_is_not_zeroed(tmp_path):
    """Read models are derived from the store, which keeps every event: what a rebuild
    empties need not be overwritten with zeros, as SQLite built with secure_delete on
    (Debian's) did, at a cost of seconds a rebuild."""
    with ReadModelDatabase(tmp_path / "x.readmodels") as db:
        assert db.db.execute("PRAGMA secure_delete").fetchone()[0] == 0
    with ReadModelDatabase(tmp_path / "x.readmodels", read_only=True) as db:
        assert db.db.execute("PRAGMA secure_delete").fetchone()[0] == 0
