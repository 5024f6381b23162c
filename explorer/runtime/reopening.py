"""Keeping a runner going when the connection to its store's server is lost.

A store on a PostgreSQL server outlives a restart of the server, or a network that drops for a
while; `run` and the window's runner process should too. `keep_running` opens a runner and does
its work; when that ends because the server went away (`connection_lost`), it says so once, and
opens the runner again after a wait that grows to REOPEN_MOST_S, until it is back (then says
so) or `stop` is set. What the runner had done is in the store and its read models: the new one
goes on from their checkpoints. A failure to open the first time is not waited out: it is
raised (a wrong URL or password says so at once). A store file never loses its connection.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from explorer.runtime.inbox import ServeInbox
from explorer.runtime.runner import CutRebuild, Runner, error_line
from explorer.store.errors import connection_lost

REOPEN_FIRST_S = 0.5
REOPEN_MOST_S = 5.0


def keep_running(open_runner: Callable[[], Runner], work: Callable[[Runner], None],
                 stop: threading.Event, *, on_lost: Callable[[BaseException], None],
                 on_back: Callable[[], None]) -> None:
    """Run `work(runner)` on the runner `open_runner()` opens, opening it again each time the
    connection to the server is lost, until `work` returns or `stop` is set (see the module).
    `on_lost(error)` is called once a loss, `on_back()` once the runner is open again."""
    opened_once = lost = False
    wait = REOPEN_FIRST_S
    while not stop.is_set():
        try:
            with open_runner() as runner:
                opened_once = True
                if lost:
                    lost, wait = False, REOPEN_FIRST_S
                    on_back()
                work(runner)
            return
        except Exception as error:
            if not (opened_once and connection_lost(error)):
                raise
            if not lost:
                lost = True
                on_lost(error)
        if stop.wait(wait):
            return
        wait = min(wait * 2, REOPEN_MOST_S)


def serve_across_losses(open_runner: Callable[[], Runner], inbox: ServeInbox,
                        emit: Callable[[dict[str, Any]], None],
                        between_passes: Callable[[Runner], None] | None = None) -> None:
    """`run --serve`: `Runner.serve` on the runner `open_runner()` opens, kept going across
    lost connections to the store's server (`keep_running`), until the inbox stops it. Each
    runner opened says {"ready": true, "start": text}, the text saying where its read models
    start (Runner.starting_point: built anew, going on from an event, up to date); a loss is
    said as {"failed": text}, the return as {"note": text}, and then what became of a rebuild
    the loss cut (Runner.cut_rebuild_note: going on, not begun, done), so that the window shows
    the read model as it is.
    `between_passes(runner)` is Runner.serve's: what it raises ends serving."""
    cut: list[CutRebuild] = []

    def work(runner: Runner) -> None:
        emit({"ready": True, "start": runner.starting_point()})
        while cut:
            emit({"note": runner.cut_rebuild_note(cut.pop(0))})
        try:
            runner.serve(inbox, emit, between_passes=None if between_passes is None
                         else lambda: between_passes(runner))
        finally:
            if runner.cut is not None:
                cut.append(runner.cut)

    keep_running(open_runner, work, inbox.stop, on_lost=lambda error: emit({
        "failed": f"Lost the connection to the store's server ({error_line(error)}); the "
                  "projections and sagas go on once it is back."}),
        on_back=lambda: emit({"note": "Connected to the store's server again: the "
                                      "projections and sagas go on."}))
