"""A rebuild that something stops half-way, while the runner serves the window (`run --serve`),
ends with a message saying so, where, and what comes next: cut by a lost connection to the
store's server (on a cluster of the test's own, stopped mid-rebuild and started again), the
runner opened again says whether the rebuild goes on, and goes on with it; cut by a fault in
the code, it is said before the runner ends."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bench.postgres_server import PostgresServer
from explorer.demo.seed import seed_store
from explorer.demo.system import SHOP
from explorer.runtime import runner as runner_module
from explorer.runtime.inbox import ServeInbox
from explorer.runtime.reopening import serve_across_losses
from explorer.runtime.runner import CutRebuild, Runner
from explorer.system.workspace import open_store
from tests.backends import a_postgres_server
from tests.cli.running import seed_shop

DEADLINE_S = 120
Message = dict[str, Any]


@pytest.fixture
def own_server() -> Iterator[PostgresServer]:
    """A cluster of the test's own: it is stopped and started again."""
    yield from a_postgres_server()


class Said:
    """The messages a runner emits, read in order until one is wanted, within a deadline."""

    def __init__(self) -> None:
        self.messages: queue.SimpleQueue[Message] = queue.SimpleQueue()
        self.deadline = time.monotonic() + DEADLINE_S

    def until(self, wanted: Callable[[Message], bool]) -> list[Message]:
        """The messages up to and with the first `wanted` one (statuses left out)."""
        seen = []
        while True:
            message = self.messages.get(timeout=max(0.01, self.deadline - time.monotonic()))
            assert "raised" not in message, message
            if "status" not in message or wanted(message):
                seen.append(message)
            if wanted(message):
                return seen


def summary_of(message: Message) -> dict[str, Any] | None:
    status = message.get("status")
    return None if status is None else next(
        p for p in status["projections"] if p["name"] == "order_summary")


def test_a_rebuild_cut_by_a_lost_connection_says_so_and_goes_on_once_the_server_is_back(
        own_server, monkeypatch):
    url = own_server.url(schema="shop")
    seed_shop(url, orders=10, seed=3)
    monkeypatch.setattr(runner_module, "CHUNK_POSITIONS", 20)  # a rebuild of several chunks
    with Runner(url, SHOP, run_sagas=False) as runner:
        runner.run_pending()
        built = runner.engine.rows("order_summary", limit=None)
    said, inbox = Said(), ServeInbox()
    stopped: list[bool] = []

    def emit(message: Message) -> None:  # on the runner's thread, as it reports
        said.messages.put(message)
        if "progress" in message and not stopped:  # the first chunk rebuilt: the server
            stopped.append(True)  # stops (as a restart does) before the next is begun
            own_server.pause()

    def serve() -> None:
        try:
            serve_across_losses(lambda: Runner(url, SHOP, run_sagas=False), inbox, emit)
        except BaseException as error:  # said at once, not as the deadline passing
            said.messages.put({"raised": repr(error)})
            raise

    served = threading.Thread(target=serve)
    served.start()
    try:
        assert said.until(lambda m: "status" in m)[0]["ready"] is True
        last = summary_of(said.until(lambda m: "status" in m)[-1])["last_position"]
        inbox.take({"rebuild": "order_summary"})
        cut = said.until(lambda m: "finished" in m)
        assert cut == [{"progress": ["order_summary", 20, last]}, {
            "finished": "order_summary",
            "cut": f"Rebuilding order_summary stopped at position 20 of {last}: the connection "
                   "to the store's server was lost. What it rebuilt is kept, and the runner "
                   "rebuilds the rest once the server is back."}]
        lost = said.until(lambda m: True)
        assert lost[0]["failed"].startswith("Lost the connection to the store's server (")
        own_server.resume()
        back = said.until(lambda m: (summary_of(m) or {}).get("state") == "caught up")
        assert back[:3] == [
            {"note": "Connected to the store's server again: the projections and sagas go on."},
            {"ready": True, "start": f"the read models go on from event 21 of {last:,}"},
            {"note": f"The store's server is back: rebuilding order_summary goes on "
                     f"from position 20 of {last}."}]
        assert summary_of(back[-1])["checkpoint"] == last
    finally:
        inbox.end()  # (the runner stops, waiting for the server or not)
        served.join(DEADLINE_S)
    assert not served.is_alive()
    with Runner(url, SHOP, run_sagas=False) as runner:  # as a whole rebuild gives
        assert runner.engine.rows("order_summary", limit=None) == built


@pytest.fixture
def shop(tmp_path: Path) -> str:
    path = tmp_path / "shop.evstore"
    with open_store(path, system=SHOP, create=True) as store:
        seed_store(store, orders=30, days=3)
    return str(path)


def test_a_rebuild_cut_by_a_fault_says_where_before_the_runner_ends(shop, monkeypatch):
    said, inbox = Said(), ServeInbox()
    with Runner(shop, SHOP, run_sagas=False) as runner:
        runner.engine.chunk = 50
        runner.run_pending()
        last = runner.store.last_position()

        def emit(message: Message) -> None:
            said.messages.put(message)
            if "progress" in message:
                raise RuntimeError("the disk went away")  # (a fault the runner cannot pass)

        inbox.take({"rebuild": "order_summary"})
        with pytest.raises(RuntimeError):
            runner.serve(inbox, emit, 0.05)
    assert said.until(lambda m: "finished" in m) == [
        {"progress": ["order_summary", 50, last]},
        {"finished": "order_summary", "cut": f"Rebuilding order_summary stopped at position 50 "
                                             f"of {last}: RuntimeError: the disk went away"}]


def test_once_back_the_runner_says_what_became_of_a_rebuild_that_had_not_begun(shop):
    with Runner(shop, SHOP, run_sagas=False) as runner:
        runner.run_pending()
        last = runner.store.last_position()
        assert runner.cut_rebuild_note(CutRebuild("order_summary", None)) == (
            "order_summary was not rebuilt: the connection to the store's server was lost "
            "before its rebuild began, and its rows are as they were (caught up at position "
            f"{last:,}). Rebuild starts it again.")
        assert runner.cut_rebuild_note(CutRebuild("order_summary", (last, last))) == (
            f"order_summary is rebuilt (caught up at position {last:,}).")
