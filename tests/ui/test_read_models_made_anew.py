"""The window reads the read models its runner makes anew once their file was deleted, moved or
replaced: the runner (`run --serve`) then stops and is started again, building a new file, while
the window's worker went on reading the file it had opened, no longer there, so the projections
and sagas panels and time travel showed its rows, frozen, for as long as the store stayed open."""

from __future__ import annotations

from pathlib import Path

from explorer.domain import CommandService
from explorer.projections import projection_state_of, read_model_path
from explorer.runtime.runner import Runner
from explorer.ui.time_cursor import _machine
from explorer.ui.worker import JobContext, StoreWorker
from tests.ui.conftest import SHOP, WAIT_MS, open_shop


def build_read_models(path: Path) -> None:
    with Runner(str(path), SHOP, run_sagas=False) as runner:
        runner.run_pending()


def test_the_window_reads_read_models_made_anew(qtbot, seeded):
    build_read_models(seeded)
    worker = StoreWorker()
    name = SHOP.projections()[0].name

    def read(context: JobContext) -> tuple[int, bool]:
        if context.cache.get("system") is None:
            context.set_store(open_shop(seeded, read_only=True), opened_read_only=False)
            context.cache["system"] = SHOP  # (as the window's time travel keeps it)
        machine = _machine(context)
        return (projection_state_of(context.readmodels, name),
                machine.readmodels is context.readmodels)

    def answer() -> tuple[int, bool]:
        found: list[object] = []
        worker.submit(read, found.append, on_error=found.append)
        qtbot.waitUntil(lambda: bool(found), timeout=WAIT_MS)
        if isinstance(found[0], Exception):
            raise found[0]
        return found[0]  # type: ignore[return-value]

    try:
        with open_shop(seeded) as store:
            first = store.last_position()
        assert answer() == (first, True)
        readmodels = read_model_path(str(seeded), False)
        for suffix in ("", "-wal", "-shm"):  # (the runner stops; the window starts it again)
            Path(f"{readmodels}{suffix}").unlink(missing_ok=True)
        with open_shop(seeded) as store:
            CommandService(store, SHOP.domain).execute("Inventory", "prod_104", "receive_stock",
                                                       {"quantity": 5})
        build_read_models(seeded)  # (the runner started again makes them anew)
        assert answer() == (first + 1, True)  # (before: the deleted file's checkpoint)
    finally:
        worker.shutdown()
