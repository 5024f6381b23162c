"""A runner catching up a long log reports as it goes, its projections' chunks included: `run`
prints its status lines and the window's Projections tab moves while the read models are built,
not only once every projection has reached the log's end (minutes on a big store)."""

from __future__ import annotations

from explorer.runtime.runner import Runner
from explorer.system.discovery import load_system
from tests.cli.running import seeded_shop


def test_the_projections_catch_up_reports_after_each_chunk(tmp_path):
    path = seeded_shop(tmp_path, 20, 1)
    seen: list[dict[str, int]] = []
    with Runner(path, load_system("shop"), run_sagas=False) as runner:
        runner.engine.chunk = 50
        last = runner.store.last_position()
        runner.run_pending(on_progress=lambda: seen.append(
            {p.name: p.checkpoint for p in runner.status().projections}))
    assert last > 200
    midway = [s for s in seen if any(0 < checkpoint < last for checkpoint in s.values())]
    assert len(midway) >= last // 50  # (each chunk of each projection, once at least)
    assert seen[-1] == dict.fromkeys(seen[-1], last)
