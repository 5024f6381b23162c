"""The soak's kill rounds: processes crashed with SIGKILL at random moments, then what they
left behind is checked. One function a round, run by `python bench/run.py soak` with many kills
and by tests/reliability/test_kills.py with a few:

  seed      `seed` killed on a new store: what is left passes `check` and takes writes (killed
            before the store was made: `seed` makes it again)
  append    writers killed while they append, beside one that keeps writing: `check` passes
            after each kill; nothing any writer reported as written is lost or stored twice
  rebuild   `project --rebuild NAME` killed, then `project` again: every projection's rows, now
            and as of past positions, equal those built from nothing in a copy of the store
  sagas     `run --failure-rate 0` killed and restarted while writers place orders: every saga
            finishes, no payment is charged twice or without its saga's step, `check` passes

Each round draws its moments from `random.Random(f"{round}/{seed}")`: the same seed replays the
same delays (the processes' own timing still varies). A kill that comes after the process ended
is not counted as one (`missed_kills`); a round keeps going until it has made its kills (or
tried three times as often). Every problem is described in `problems`, naming the round, the
seed and the kill it followed.
"""

from __future__ import annotations

import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from bench.soak import (
    ROOT,
    SAGAS_FINISH_S,
    RunnerWatch,
    audit,
    check_failures,
    read_written,
    start_writer,
    unfinished_sagas,
)

FIRST_LINE_S = 60.0  # how long a writer may take to report its first command
PAST_POSITIONS = 4  # besides now, the read models are compared as of this many past positions


class KillTally:
    """A kill round's counts, its random moments and what went wrong, each problem named with
    the round, the seed that replays it and the kill it followed."""

    def __init__(self, kind: str, seed: int) -> None:
        self.kind = kind
        self.seed = seed
        self.rng = random.Random(f"{kind}/{seed}")
        self.kills = self.missed = self.check_failures = 0
        self.problems: list[str] = []

    def kill_after(self, process: subprocess.Popen, delay_s: float) -> bool:
        """SIGKILL `process` `delay_s` seconds from now unless it ends first; whether it was
        killed (counted as a kill, or else as missed)."""
        try:
            process.wait(timeout=delay_s)
        except subprocess.TimeoutExpired:
            process.kill()
        killed = process.wait() == -signal.SIGKILL
        self.kills += killed
        self.missed += not killed
        return killed

    def check(self, store: Path, when: str) -> None:
        """Run `check` on the store; a failure is counted and described."""
        failed = check_failures(store)
        self.check_failures += failed
        if failed:
            self.problem(f"`check` failed {when} ({store})")

    def problem(self, what: str) -> None:
        self.problems.append(f"{self.kind} round, seed {self.seed}, kill {self.kills}: {what}")

    def totals(self, **counts: int) -> dict:
        """The round's counts in the soak's terms, with its problems."""
        return {"commands": 0, "lost": 0, "duplicates": 0, "kills": self.kills,
                "check_failures": self.check_failures, "runner_exits": 0,
                "missed_kills": self.missed, **counts, "problems": self.problems}


def explorer(*args: object) -> subprocess.CompletedProcess:
    """Run `python -m explorer ARGS` to its end; its output is captured."""
    return subprocess.run([sys.executable, "-m", "explorer", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True)


def start_explorer(log: Path, *args: object) -> subprocess.Popen:
    """Start `python -m explorer ARGS`, its output in LOG.out and LOG.err."""
    with log.with_suffix(".out").open("w") as out, log.with_suffix(".err").open("w") as err:
        return subprocess.Popen([sys.executable, "-m", "explorer", *map(str, args)], cwd=ROOT,
                                stdout=out, stderr=err)


def timed(*args: object) -> float:
    """How long `python -m explorer ARGS` takes, run to its end (it must succeed)."""
    began = time.monotonic()
    done = explorer(*args)
    if done.returncode != 0:
        raise RuntimeError(f"`{' '.join(map(str, args))}` failed: {done.stderr[-2000:]}")
    return time.monotonic() - began


def _said(done: subprocess.CompletedProcess) -> str:
    return (done.stderr.strip() or done.stdout.strip())[-500:]


def _remove_store(store: Path) -> None:
    for suffix in ("", "-wal", "-shm", ".readmodels", ".readmodels-wal", ".readmodels-shm"):
        store.with_name(store.name + suffix).unlink(missing_ok=True)


# -- seed ----------------------------------------------------------------------------------


def seed_kill_round(folder: Path, *, kills: int, orders: int, seed: int) -> dict:
    """`seed --orders ORDERS` killed at a random moment of its run once its file exists (as
    long as an uncut run takes), each time on a new store. What the kill left passes `check`,
    and takes a command; a store left empty, or one killed before it was made, is seeded
    again."""
    from explorer.demo.system import SHOP
    from explorer.store.errors import StoreError, StoreMissingError
    from explorer.system.workspace import open_store

    tally = KillTally("seed", seed)
    uncut = folder / "uncut.evstore"
    full_s = timed("seed", uncut, "--orders", orders)
    _remove_store(uncut)
    left = [0, 0, 0]  # kills that left no store yet, an empty one, one with events
    for attempt in range(1, 3 * kills + 1):
        if tally.kills >= kills:
            break
        store = folder / f"seed{attempt}.evstore"
        began = time.monotonic()
        process = start_explorer(folder / f"seed{attempt}", "seed", store, "--orders", orders)
        while not store.exists() and process.poll() is None and time.monotonic() < began + 60:
            time.sleep(0.005)  # the moments that matter begin when the file does
        left_s = max(0.0, full_s - (time.monotonic() - began))
        if not tally.kill_after(process, tally.rng.uniform(0, left_s)):
            full_s = time.monotonic() - began  # a quicker run: aim within it next time
            _remove_store(store)
            continue
        problems = len(tally.problems)
        try:
            with open_store(store, system=SHOP, read_only=True) as opened:
                kept: int | None = opened.last_position()
        except StoreMissingError:
            kept = None  # killed before the store was made
        except StoreError as error:
            tally.problem(f"the store the kill left cannot be opened: {error}")
            continue
        left[0 if kept is None else 1 if not kept else 2] += 1
        if kept is not None:
            tally.check(store, f"after the kill ({kept:,} events kept)")
        if not kept:
            again = explorer("seed", store, "--orders", 5)
            if again.returncode != 0:
                tally.problem(f"`seed` again after the kill failed: {_said(again)}")
        else:
            wrote = explorer("command", store, "Inventory", "prod_101", "receive_stock",
                             "--data", '{"quantity": 1}')
            if wrote.returncode != 0:
                tally.problem(f"a command after the kill failed: {_said(wrote)}")
        tally.check(store, "after writing to it again")
        if len(tally.problems) == problems:
            _remove_store(store)
    return tally.totals(left_no_store=left[0], left_empty_store=left[1],
                        left_store_with_events=left[2])


# -- append --------------------------------------------------------------------------------


def append_kill_round(folder: Path, *, kills: int, seed: int, rate: float = 50.0,
                      most_delay_s: float = 1.0) -> dict:
    """Writers killed within `most_delay_s` of their first reported command, one after another,
    while a survivor writes beside them (at `rate` commands a second) on the same products and
    shared orders. `check` passes after each kill; at the end the survivor stops normally and
    every command any writer reported as written is in the store, none twice."""
    tally = KillTally("append", seed)
    store = folder / "append.evstore"
    seeded = explorer("seed", store, "--orders", 20)
    if seeded.returncode != 0:
        raise RuntimeError(f"seeding {store} failed: {_said(seeded)}")
    mix = (30, 40, 10, 20)
    logs = [folder / "survivor.jsonl"]
    survivor = start_writer(store, "survivor", logs[0], seed=seed, rate=rate, mix=mix,
                            shared_orders=2)
    try:
        for attempt in range(1, 3 * kills + 1):
            if tally.kills >= kills:
                break
            logs.append(folder / f"victim{attempt}.jsonl")
            victim = start_writer(store, f"victim{attempt}", logs[-1], seed=seed, mix=mix,
                                  shared_orders=2)
            deadline = time.monotonic() + FIRST_LINE_S
            while victim.poll() is None and time.monotonic() < deadline and (
                    not logs[-1].exists() or not logs[-1].stat().st_size):
                time.sleep(0.01)
            if not tally.kill_after(victim, tally.rng.uniform(0, most_delay_s)):
                said = logs[-1].with_suffix(".err").read_text()[-500:]
                tally.problem(f"writer victim{attempt} ended before its kill (status "
                              f"{victim.returncode}): {said}")
                continue
            tally.check(store, "after the kill, while the survivor writes")
    finally:
        survivor.send_signal(signal.SIGTERM)
        try:
            code = survivor.wait(timeout=60)
        except subprocess.TimeoutExpired:
            survivor.kill()
            code = survivor.wait()
    if code != 0:
        tally.problem(f"the surviving writer ended with status {code}: "
                      f"{logs[0].with_suffix('.err').read_text()[-500:]}")
    written = read_written(logs)
    found = audit(store, written)
    for key in ("lost", "duplicates", "gaps"):
        if found[key]:
            tally.problem(f"{found[key]} {key} at the end")
    tally.check(store, "at the end")
    return tally.totals(commands=len(written.commands), lost=found["lost"],
                        duplicates=found["duplicates"], gaps=found["gaps"],
                        writer_exits=int(code != 0))


# -- rebuild -------------------------------------------------------------------------------


def rebuild_kill_round(folder: Path, *, kills: int, orders: int, seed: int,
                       early_share: float = 0.25) -> dict:
    """`project --rebuild NAME` killed (NAME taking each projection in turn), then `project`
    again to its end: `check` passes, and every projection's read model equals one built from
    nothing in a copy of the store. Most kills come at a random moment of the rebuild itself
    (once it has emptied the read model: as long as the rest of an uncut run takes); a share
    (`early_share`) before it began, while the process starts and opens the store."""
    from explorer.demo.projections import shop_projections

    tally = KillTally("rebuild", seed)
    store = folder / "rebuild.evstore"
    timed("seed", store, "--orders", orders)
    timed("project", store)  # the read models, and the seeded sagas' pending steps
    names = [projection.name for projection in shop_projections()]
    uncut = _Rebuild(store, folder / "uncut", names[0], wait_for_begin=True)
    if uncut.process.wait() != 0:
        raise RuntimeError(f"`project --rebuild {names[0]}` failed: see {folder / 'uncut.err'}")
    begin_s = dict.fromkeys(names, uncut.begun_s or 0.0)
    rest_s = dict.fromkeys(names, uncut.ended_s() - begin_s[names[0]])
    clean: dict[int, Path] = {}
    differed = 0
    left = dict.fromkeys(("left_not_rebuilding", "left_emptied", "left_part_rebuilt"), 0)
    for attempt in range(3 * kills):
        if tally.kills >= kills:
            break
        name = names[attempt % len(names)]
        early = tally.rng.random() < early_share
        delay_s = tally.rng.uniform(0, begin_s[name] if early else rest_s[name])
        run = _Rebuild(store, folder / f"rebuild{attempt}", name, wait_for_begin=not early)
        if not tally.kill_after(run.process, delay_s):
            if not early and run.begun_s is not None:  # a shorter rebuild: aim within it
                rest_s[name] = run.ended_s() - run.begun_s
            continue
        left[_rebuild_left(store, folder / "left", name)] += 1
        again = explorer("project", store)
        if again.returncode != 0:
            tally.problem(f"`project` after a kill while rebuilding {name} failed: {_said(again)}")
            continue
        tally.check(store, f"after a kill while rebuilding {name}")
        differences = read_model_differences(store, folder, clean, tally.rng)
        differed += bool(differences)
        for difference in differences[:5]:
            tally.problem(f"after a kill while rebuilding {name}, then `project`: {difference}")
    return tally.totals(read_model_differences=differed, **left)


class _Rebuild:
    """`project STORE --rebuild NAME` running; `begun_s`: when its rebuild had emptied the read
    model (seen from outside, polling its state), None if not waited for or never seen."""

    def __init__(self, store: Path, log: Path, name: str, *, wait_for_begin: bool) -> None:
        self.began = time.monotonic()
        self.process = start_explorer(log, "project", store, "--rebuild", name)
        self.begun_s: float | None = None
        if wait_for_begin:
            self._wait_for_begin(store, name)

    def _wait_for_begin(self, store: Path, name: str) -> None:
        import sqlalchemy as sa

        from explorer.projections.database import ReadModelDatabase, projection_state

        deadline = self.began + 120
        query = sa.select(projection_state.c.rebuild_target).where(
            projection_state.c.name == name)
        with ReadModelDatabase(store.with_name(store.name + ".readmodels"),
                               read_only=True) as db:
            while self.process.poll() is None and time.monotonic() < deadline:
                if db.execute(query).scalar() is not None:
                    self.begun_s = time.monotonic() - self.began
                    return
                time.sleep(0.002)

    def ended_s(self) -> float:
        """How long it ran (it has ended)."""
        self.process.wait()
        return time.monotonic() - self.began


def _rebuild_left(store: Path, folder: Path, name: str) -> str:
    """What a kill left of NAME's rebuild, read from a copy of the read models (the store's own
    are for `project` to pick up): not rebuilding (killed before it began, or after it ended),
    emptied (nothing rebuilt yet) or part rebuilt."""
    import sqlalchemy as sa

    from explorer.projections.database import ReadModelDatabase, projection_state

    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    source = store.with_name(store.name + ".readmodels")
    for suffix in ("", "-wal"):
        if source.with_name(source.name + suffix).exists():
            shutil.copyfile(source.with_name(source.name + suffix),
                            folder / (source.name + suffix))
    with ReadModelDatabase(folder / source.name) as db:
        state = db.execute(sa.select(projection_state).where(
            projection_state.c.name == name)).mappings().one()
    if state["rebuild_target"] is None:
        return "left_not_rebuilding"
    return "left_part_rebuilt" if state["checkpoint"] else "left_emptied"


def read_model_differences(store: Path, folder: Path, clean: dict[int, Path],
                           rng: random.Random) -> list[str]:
    """How the store's read models differ from those built from nothing in a copy of it: every
    table of every projection, now and as of a few past positions; [] when they are equal.
    `clean` keeps the copies by last position (the log only grows) to build each one once."""
    from explorer.demo.system import SHOP
    from explorer.runtime.runner import Runner

    with Runner(str(store), SHOP, run_sagas=False) as runner:
        last = runner.store.last_position()
        differences = [f"{status.name} is {status.state} (checkpoint {status.checkpoint:,} of "
                       f"{last:,})" for status in runner.engine.statuses()
                       if status.state != "caught up"]
        positions = [None, *sorted({rng.randint(1, last) for _ in range(PAST_POSITIONS)})]
        here = _read_models(runner, positions)
    if last not in clean:
        copy = folder / f"clean{last}" / store.name
        copy.parent.mkdir()
        for suffix in ("", "-wal"):  # every process has closed it: a cold copy is whole
            if store.with_name(store.name + suffix).exists():
                shutil.copyfile(store.with_name(store.name + suffix),
                                copy.with_name(copy.name + suffix))
        clean[last] = copy
    with Runner(str(clean[last]), SHOP, run_sagas=False) as runner:
        runner.engine.catch_up_all()
        built = _read_models(runner, positions)
    for key, rows in built.items():
        if here[key] != rows:
            name, table, position = key
            when = "now" if position is None else f"as of position {position:,}"
            first = next((pair for pair in zip(here[key], rows, strict=False)
                          if pair[0] != pair[1]), None)
            differences.append(
                f"{name}.{table} {when}: {len(here[key]):,} rows, {len(rows):,} when built from "
                f"nothing" + (f"; first difference {first[0]} != {first[1]}" if first else ""))
    return differences


def _read_models(runner, positions: list[int | None]) -> dict[tuple, list[dict]]:
    from explorer.projections.engine import read_rows

    return {(name, table.name, position): read_rows(runner.db, table, at_position=position,
                                                    limit=None)
            for name in runner.engine.names
            for table in runner.engine.projection(name).tables
            for position in positions}


# -- sagas ---------------------------------------------------------------------------------


def saga_kill_round(folder: Path, *, kills: int, seed: int, writers: int = 2,
                    rate: float = 10.0, most_delay_s: float = 3.0) -> dict:
    """`run --failure-rate 0` killed within `most_delay_s` of each start and started again,
    `kills` times, while `writers` writers place orders, deliver stock and cancel (at `rate`
    commands a second each); then the writers stop and the last runner finishes the sagas.
    Every saga finishes, nothing written is lost, no payment is charged twice or without its
    saga's charge step, the runner never exits by itself, and `check` passes."""
    from explorer.demo.system import SHOP
    from explorer.system.workspace import open_store

    tally = KillTally("sagas", seed)
    store = folder / "sagas.evstore"
    seeded = explorer("seed", store, "--orders", 20)
    if seeded.returncode != 0:
        raise RuntimeError(f"seeding {store} failed: {_said(seeded)}")
    with open_store(store, system=SHOP, read_only=True) as opened:
        start_position = opened.last_position()
    watch = RunnerWatch(store, folder)
    logs = [folder / f"writer{n}.jsonl" for n in range(writers)]
    processes = []
    try:
        watch.wait_ready()
        processes = [start_writer(store, f"w{n}", log, seed=seed, rate=rate)
                     for n, log in enumerate(logs)]
        while tally.kills < kills and tally.kills + tally.missed < 3 * kills:
            time.sleep(tally.rng.uniform(0, most_delay_s))  # the moment: this round's input
            killed = watch.kill()
            tally.kills += killed
            tally.missed += not killed
            watch.wait_ready()
    except RuntimeError as error:  # a runner that did not start again
        tally.problem(str(error))
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        codes = [process.wait() for process in processes]
    written = read_written(logs)
    unfinished = unfinished_sagas(store, written.order_ids, SAGAS_FINISH_S)
    code = watch.stop()
    found = audit(store, written, start_position)
    if unfinished:
        tally.problem(f"{len(unfinished)} sagas unfinished, e.g. {', '.join(unfinished[:3])}")
    if watch.exits or code != 0:
        tally.problem(f"the runner exited by itself {len(watch.exits)} times "
                      f"(statuses {watch.exits}) and stopped with status {code}; see "
                      f"{watch.logs[-1].with_suffix('.err')}")
    if any(codes) or written.unfinished_logs:
        tally.problem(f"writers ended with statuses {codes}")
    for key in ("lost", "duplicates", "gaps", "stray_charges"):
        if found[key]:
            tally.problem(f"{found[key]} {key} at the end")
    tally.check(store, "at the end")
    return tally.totals(commands=len(written.commands), lost=found["lost"],
                        duplicates=found["duplicates"], runner_exits=len(watch.exits),
                        unfinished_sagas=len(unfinished), stray_charges=found["stray_charges"],
                        double_charges=found["double_charges"], gaps=found["gaps"],
                        writer_exits=sum(1 for c in codes if c != 0) + written.unfinished_logs)


KILL_ROUND_FUNCTIONS = {"seed": seed_kill_round, "append": append_kill_round,
                        "rebuild": rebuild_kill_round, "sagas": saga_kill_round}
