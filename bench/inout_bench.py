"""Export and import speed (explorer.exchange): `python bench/inout_bench.py STORE [--folder F]`.
`python bench/inout_bench.py --import-only FILE [--folder F]` imports a JSON Lines file only.

Exports the whole of STORE as JSON Lines (and as CloudEvents), then imports the JSON Lines file
into a new store, each in a child process of its own (the command line's `export` and `import`,
as a user runs them; the collector pause of the CLI included), and prints events per second.
`bench/run.py foreign` adds these figures to its own (`exchange_figures`). Last line JSON:
{"export_events_per_s", "export_cloudevents_per_s", "import_events_per_s",
"import_events_per_cpu_s"}; target: import at least 100,000 events per second. The import's
CPU time (the child's user and system time) is given beside its wall time: on a machine busy
with other work, events per CPU-second is the figure that compares runs (the command line's
start, some 0.7 s of CPU, included).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IMPORT_TARGET = 100_000


def _cli(*args: object) -> tuple[float, float]:
    """Run `python -m explorer ARGS`; its wall time and CPU time in seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "explorer", *map(str, args)], cwd=ROOT,
                            capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise SystemExit(f"`{' '.join(map(str, args))}` failed: {result.stderr.strip()}")
    return elapsed, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def exchange_figures(store: Path, folder: Path) -> dict[str, float]:
    """Export `store` whole (JSON Lines, CloudEvents) and import the JSON Lines into a new store
    in `folder`: events per second of each ("export_events_per_s", "export_cloudevents_per_s",
    "import_events_per_s"), and per CPU-second of the import ("import_events_per_cpu_s")."""
    from explorer.store import EventStore

    with EventStore.open(store, read_only=True, verify=False) as opened:
        events = opened.event_count()
    jsonl, cloud, imported = folder / "all.jsonl", folder / "all.ce.jsonl", folder / "in.evstore"
    for leftover in (jsonl, cloud, imported):
        leftover.unlink(missing_ok=True)
    figures = {"events": float(events)}
    figures["export_events_per_s"] = events / _cli("export", store, jsonl)[0]
    figures["export_cloudevents_per_s"] = events / _cli("export", store, cloud,
                                                        "--format", "cloudevents")[0]
    wall, cpu = _cli("import", jsonl, imported)
    figures["import_events_per_s"] = events / wall
    figures["import_events_per_cpu_s"] = events / cpu
    figures["file_mb"] = jsonl.stat().st_size / 1e6
    for leftover in (jsonl, cloud, imported):
        leftover.unlink(missing_ok=True)
    return figures


def import_figures(jsonl: Path, folder: Path) -> dict[str, float]:
    """Import the JSON Lines file `jsonl` into a new store in `folder` by the CLI: events per
    second of wall time and of CPU time."""
    imported = folder / "in.evstore"
    imported.unlink(missing_ok=True)
    events = sum(1 for line in jsonl.open("rb") if line.strip())
    wall, cpu = _cli("import", jsonl, imported)
    imported.unlink(missing_ok=True)
    return {"events": float(events), "import_events_per_s": events / wall,
            "import_events_per_cpu_s": events / cpu, "import_wall_s": wall, "import_cpu_s": cpu}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench/inout_bench.py", description=__doc__)
    parser.add_argument("store", type=Path, nargs="?",
                        help="the store to export (and re-import)")
    parser.add_argument("--import-only", type=Path, metavar="FILE",
                        help="only import this JSON Lines file (no store to export)")
    parser.add_argument("--folder", type=Path, help="where the files go (default: a temporary "
                                                    "folder)")
    args = parser.parse_args(argv)
    if args.import_only:
        with tempfile.TemporaryDirectory(dir=args.folder) as folder:
            figures = import_figures(args.import_only, Path(folder))
        print(f"import of {args.import_only} ({figures['events']:,.0f} events): "
              f"{figures['import_wall_s']:.1f} s wall, {figures['import_cpu_s']:.1f} s CPU; "
              f"{figures['import_events_per_s']:,.0f} events/s, "
              f"{figures['import_events_per_cpu_s']:,.0f} events per CPU-second")
        print(json.dumps({key: round(value, 1) for key, value in figures.items()}))
        return 0
    if args.store is None:
        parser.error("give a STORE to export, or --import-only FILE")
    with tempfile.TemporaryDirectory(dir=args.folder) as folder:
        figures = exchange_figures(args.store, Path(folder))
    print(f"store: {args.store} ({figures['events']:,.0f} events; JSON Lines "
          f"{figures['file_mb']:,.0f} MB)")
    print(f"export (JSON Lines)  {figures['export_events_per_s']:10,.0f} events/s")
    print(f"export (CloudEvents) {figures['export_cloudevents_per_s']:10,.0f} events/s")
    verdict = "ok" if figures["import_events_per_s"] >= IMPORT_TARGET else "MISSED"
    print(f"import (JSON Lines)  {figures['import_events_per_s']:10,.0f} events/s  target "
          f"{IMPORT_TARGET:,}  {verdict}; {figures['import_events_per_cpu_s']:,.0f} events per "
          "CPU-second")
    keys = ("export_events_per_s", "export_cloudevents_per_s", "import_events_per_s",
            "import_events_per_cpu_s")
    print(json.dumps({key: round(figures[key], 1) for key in keys}))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main(sys.argv[1:]))
