"""A rebuild cancelled while the runner serves the window (`run --serve`): the runner reports it
finished at once, keeps what was rebuilt, and catches the read model up with the rest as it
keeps every projection up to date, with no other command (what the window's Cancel says)."""

from __future__ import annotations

import queue
import threading
import time
from pathlib import Path
from typing import Any

from explorer.demo.seed import seed_store
from explorer.demo.system import SHOP
from explorer.runtime.inbox import ServeInbox
from explorer.runtime.runner import Runner
from explorer.system.workspace import open_store

DEADLINE_S = 120


def test_a_cancelled_rebuild_is_caught_up_by_the_runner_that_serves(tmp_path: Path):
    path = tmp_path / "shop.evstore"
    with open_store(path, system=SHOP, create=True) as store:
        seed_store(store, orders=150, days=3)
    messages: queue.SimpleQueue[dict[str, Any]] = queue.SimpleQueue()
    inbox = ServeInbox()

    def emit(message: dict[str, Any]) -> None:  # on the runner's thread, as it reports
        if "progress" in message:
            inbox.take({"cancel": True})  # at the first chunk rebuilt, before the next is begun
        messages.put(message)

    with Runner(str(path), SHOP, run_sagas=False) as runner:
        runner.engine.chunk = 200  # progress after every 200 positions: a rebuild of many
        runner.run_pending()
        last = runner.store.last_position()
        def serve() -> None:
            try:
                runner.serve(inbox, emit, 0.05)
            except BaseException as error:  # said at once, not as the deadline passing
                messages.put({"raised": repr(error)})
                raise

        served = threading.Thread(target=serve)
        served.start()
        try:
            inbox.take({"rebuild": "order_summary"})
            progress = []
            deadline = time.monotonic() + DEADLINE_S
            while True:
                message = messages.get(timeout=max(0.01, deadline - time.monotonic()))
                assert "raised" not in message, message
                if "progress" in message:
                    progress.append(message["progress"])
                if message.get("finished") == "order_summary":
                    break
            assert progress and progress[0][1] < last
            states = []
            while not states or states[-1] != ("caught up", last):  # no other command
                message = messages.get(timeout=max(0.01, deadline - time.monotonic()))
                assert "raised" not in message, message
                if "status" in message:
                    summary, = (p for p in message["status"]["projections"]
                                if p["name"] == "order_summary")
                    states.append((summary["state"], summary["checkpoint"]))
            assert states[0] == ("rebuilding", 200)  # as cancelled: then the runner went on
        finally:
            inbox.end()
            served.join(DEADLINE_S)
        assert not served.is_alive()
        rows = runner.engine.rows("order_summary", limit=None)
    assert len(rows) == 150  # every order, as a rebuild to the end gives
