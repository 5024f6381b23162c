"""Subcommands for the live side: run, project, projection, sagas and follow, each with the
system the store names (or `--system`): its projections, its sagas."""

from __future__ import annotations

import argparse
import shlex
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import orjson

from explorer.cli import damage_note
from explorer.cli.arguments import (
    AddSubcommand,
    given,
    natural,
    positive,
    read_models_note,
    seconds,
    share,
)
from explorer.cli.handlers import (
    ProgressBar,
    UsageError,
    linking_bar,
    read_store,
    require_in_log,
)
from explorer.cli.output import EventTable, print_json, print_json_array, print_table
from explorer.cli.systems import system_of
from explorer.common.names import visible, visible_lines
from explorer.projections import Fault, ProjectionStatus
from explorer.runtime.inbox import ServeInbox
from explorer.runtime.reopening import keep_running, serve_across_losses
from explorer.runtime.runner import Runner, RunnerStatus, error_line
from explorer.sagas.instances import ROW_COLUMNS, SagaInstancesProjection
from explorer.sagas.manager import untold
from explorer.sagas.progress import current_step, shown_steps, steps_text
from explorer.store import EventStore, StoreError
from explorer.store.postgres_url import shown
from explorer.store.watch import AppendWatcher
from explorer.system import System
from explorer.system.checks import no_saga_listing
from explorer.system.discovery import SystemLoadError


def add_parsers(add: AddSubcommand) -> None:
    """Declare the live subcommands on the CLI's parser (see explorer.cli.main)."""
    p = add("run", "Keep the projections and sagas up to date until Ctrl+C.", run)
    p.epilog = read_models_note()
    p.add_argument("--no-sagas", action="store_true", help="run the projections only")
    p.add_argument("--payment-latency", type=seconds, default=0.0, metavar="SECONDS",
                   help="how long each simulated payment takes (to watch a saga step by step), "
                        "for a system whose context takes latency_s (the demo shop's)")
    p.add_argument("--failure-rate", type=share, default=0.1, metavar="RATE",
                   help="the share of simulated payments that fail (default 0.1), for a system "
                        "whose context takes failure_rate (the demo shop's)")
    p.add_argument("--status-every", type=seconds, default=2.0, metavar="SECONDS",
                   help="how often to print a status line (default 2)")
    p.add_argument("--read-only", action="store_true",
                   help="never write to the store (projections only, kept in the cache folder)")
    p.add_argument("--serve", action="store_true",
                   help="for the window: JSON commands on stdin, JSON status lines on stdout; "
                        "stops at the end of stdin")

    p = add("project", "Bring every projection and saga up to date (or rebuild one, or go on "
                       "past a faulted one's event), then exit.", project)
    p.epilog = read_models_note()
    p.add_argument("--rebuild", metavar="NAME", type=given("a projection's name"),
                   help="start this projection over from zero (after any --retry and --skip)")
    p.add_argument("--retry", metavar="NAME", action="append", default=[],
                   type=given("a projection's or saga's name"),
                   help="once a faulted projection's code is fixed: handle the event it stopped "
                        "at again, then go on (saga:NAME or a saga's name: run that saga again; "
                        "repeat the option for several)")
    p.add_argument("--skip", metavar="NAME", action="append", default=[],
                   type=given("a projection's name"),
                   help="step over the event a faulted projection stopped at (it is remembered "
                        "as skipped and its rows leave it out), then go on (repeat the option "
                        "for several)")
    p.add_argument("--no-sagas", action="store_true", help="leave the sagas alone")
    p.add_argument("--read-only", action="store_true",
                   help="never write to the store (projections only, kept in the cache folder, "
                        "as `run --read-only` keeps them)")
    p.add_argument("--json", action="store_true")

    p = add("projection", "Show a projection's read model rows.", projection)
    p.epilog = read_models_note()
    p.add_argument("name", metavar="NAME", help="one of the system's projections (`project` "
                   "lists them)")
    p.add_argument("--at-position", type=natural, help="the rows as they were at this position")
    p.add_argument("--limit", type=positive, default=None, help="at most this many rows")
    p.add_argument("--json", action="store_true")

    p = add("sagas", "List the system's sagas (each instance) and their status.", sagas)
    p.epilog = read_models_note()
    p.add_argument("--saga", metavar="NAME", type=given("a saga's name"),
                   help="which of the system's sagas, if it has several (default: its first)")
    p.add_argument("--status", choices=["running", "compensating", "completed", "compensated",
                                        "failed"], help="only sagas in this status")
    p.add_argument("--at-position", type=natural, help="the sagas as they were at this position")
    p.add_argument("--limit", type=positive, default=None, help="at most this many")
    p.add_argument("--json", action="store_true")

    p = add("follow", "Print each new event as it is appended, like tail -f, until Ctrl+C.",
            follow)
    p.add_argument("--from-position", type=positive, help="start here instead of at the end")
    p.add_argument("--json", action="store_true", help="one JSON object a line")


def _context_options(args: argparse.Namespace) -> dict[str, float]:
    """`run`'s options for the sagas' command context (a system whose context does not take
    one leaves it out)."""
    return {"failure_rate": args.failure_rate, "latency_s": args.payment_latency}


def run(args: argparse.Namespace) -> int:
    if args.serve:
        return _serve(args)
    stop = threading.Event()
    system = system_of(args)
    told: set[tuple[str, int]] = set()
    told_projections: set[tuple[str, int]] = set()

    def status_line(status: RunnerStatus) -> None:
        for text in untold(((s.name, s.fault) for s in status.sagas), told):  # once each
            print(f"{visible(text)}. The projections and the other sagas go on. Fix its "
                  "code. It is tried again on the next run.", file=sys.stderr, flush=True)
        for p in status.projections:  # (each fault once, as the sagas')
            if p.fault is not None and (p.name, p.fault.position) not in told_projections:
                told_projections.add((p.name, p.fault.position))
                print(_projection_fault_text(p.name, p.fault, args), file=sys.stderr,
                      flush=True)
        _status_line(status)

    started: list[bool] = []

    def work(runner: Runner) -> None:
        if not started:  # (once the store is open: a store that cannot be is refused alone)
            started.append(True)
            damage_note.warn_if_damaged(runner.store)  # (with --read-only)
            start = runner.starting_point()  # (built anew, going on from an event, ...)
            print(f"Running the projections{' and sagas' if runner.sagas else ''} of "
                  f"{shown(args.store)}{f': {start}.' if start else ';'} Ctrl+C stops.",
                  file=sys.stderr)
            if runner.read_only and not args.read_only and not args.no_sagas \
                    and runner.system.sagas:  # (it said it ran them, and wrote nothing)
                print(f"note: the sagas do not run, since they write to the store: "
                      f"{visible(runner.store.read_only_reason or 'it is open read-only.')}",
                      file=sys.stderr)
        def on_status(status: RunnerStatus) -> None:
            status_line(status)
            if not runner.busy:  # (between passes)
                refuse_gone(runner.store, "run")
                refuse_read_models_gone(runner, "run")

        runner.run_forever(stop, on_status=on_status, status_every_s=args.status_every,
                           on_note=lambda text: print(visible(text), file=sys.stderr,
                                                      flush=True))
        status_line(runner.status())

    with _linking_bar() as linking:
        def open_runner() -> Runner:
            return Runner(args.store, system, read_only=args.read_only,
                          run_sagas=not args.no_sagas, context_options=_context_options(args),
                          progress=linking, spec=args.system)

        try:
            with _ctrl_c_sets(stop):
                keep_running(open_runner, work, stop, on_lost=lambda error: print(
                    f"Lost the connection to {shown(args.store)} ({error_line(error)}); "
                    "trying again every few seconds (Ctrl+C stops).", file=sys.stderr,
                    flush=True),
                    on_back=lambda: print(f"Connected to {shown(args.store)} again; going on.",
                                          file=sys.stderr, flush=True))
        except KeyboardInterrupt:
            stop.set()
    print("Stopped.", file=sys.stderr)
    return 0


@contextmanager
def _ctrl_c_sets(stop: threading.Event) -> Iterator[None]:
    """Ctrl+C sets `stop` (the runner ends its step and stops) rather than raising wherever
    the runner is: a KeyboardInterrupt in the middle of a query to a server leaves its
    connection busy with it, and the final status read then failed. A second Ctrl+C raises."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupted(number: int, frame: Any) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()

    previous = signal.signal(signal.SIGINT, interrupted)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _serve(args: argparse.Namespace) -> int:
    """The window's runner process: it reads commands (one JSON object a line) from stdin and
    writes status (one JSON object a line) to stdout; the end of stdin stops it, so it never
    outlives the window. The window names the system (`--system`): it never asks here."""
    inbox = ServeInbox()
    lock = threading.Lock()

    def emit(message: dict[str, Any]) -> None:
        with lock:
            sys.stdout.write(orjson.dumps(message).decode() + "\n")
            sys.stdout.flush()

    def read_commands() -> None:
        for line in sys.stdin:
            try:
                command = orjson.loads(line)
                if not isinstance(command, dict):
                    raise ValueError("not an object")
            except (orjson.JSONDecodeError, ValueError):
                emit({"failed": f"Not a runner command: {line.strip()[:80]!r}"})
                continue
            if command.get("quit"):
                break
            inbox.take(command)
        inbox.end()

    system = system_of(args)
    threading.Thread(target=read_commands, daemon=True, name="commands").start()

    def open_runner() -> Runner:
        return Runner(args.store, system, read_only=args.read_only, run_sagas=not args.no_sagas,
                      context_options=_context_options(args), spec=args.system, role="window")

    try:
        serve_across_losses(open_runner, inbox, emit, between_passes=lambda runner:
                            refuse_read_models_gone(runner, "run --serve"))
    except KeyboardInterrupt:
        return 0
    return 0


def _status_line(status: RunnerStatus) -> None:
    parts = [f"position {status.last_position:,}"]
    for projection in status.projections:
        parts.append(f"{projection.name} {_state(projection)}")
    for saga in status.sagas:
        parts.append(f"{saga.name} " + (f"FAULTED at {saga.fault.position}" if saga.fault
                                         else "caught up" if not saga.lag_events
                                         else f"{saga.lag_events:,} behind"))
    parts.append(f"{status.appended_per_s:,.0f} events/s")
    if status.others:  # (said when found; here while it lasts)
        parts.append(f"shared with {len(status.others)} other runner"
                     f"{'' if len(status.others) == 1 else 's'}")
    if status.retrying:
        parts.append(f"retrying: {status.retrying}")
    print(visible(" · ".join(parts)), flush=True)


def _state(projection: ProjectionStatus) -> str:
    if projection.fault is not None:
        return f"FAULTED at {projection.fault.position}"
    if projection.state == "caught up":
        return "caught up"
    return f"{projection.state} ({projection.lag_events:,} behind)"


@contextmanager
def _linking_bar() -> Iterator[Callable[[int, int], None]]:
    """What a store from before the hash chain shows while its events are linked, once."""
    bar = linking_bar()
    try:
        yield bar.update_to
    finally:
        bar.close()


def project(args: argparse.Namespace) -> int:
    system = system_of(args)
    _require_projections(system)
    with _linking_bar() as linking, Runner(args.store, system, read_only=args.read_only,
                                           run_sagas=not args.no_sagas, progress=linking,
                                           spec=args.system) as runner:
        damage_note.warn_if_damaged(runner.store)  # (with --read-only)
        retries, skips = _retries_and_skips(runner, args)  # all checked before any is done
        done = _retry_and_skip(runner, retries, skips)
        if args.rebuild:
            bar = ProgressBar(runner.store.last_position(), "events")
            try:
                runner.rebuild(args.rebuild, progress=lambda done, last: bar.update_to(done))
            finally:
                bar.close()
        reported = [0.0]

        def retrying(error: Exception) -> None:  # passing trouble: say so, and keep at it
            if runner.failed_attempts == 1 or time.monotonic() - reported[0] >= 10:
                reported[0] = time.monotonic()
                print(f"{visible_lines(str(error))} Retrying (Ctrl+C stops).", file=sys.stderr,
                      flush=True)

        runner.run_pending(on_retry=retrying)
        status = runner.status()
    faults = [(p.name, p.fault) for p in status.projections if p.fault is not None]
    saga_faults = [s.fault.text(s.name) for s in status.sagas if s.fault is not None]
    if args.json:
        report: dict[str, Any] = {
            "last_position": status.last_position,
            "projections": [p.to_dict() for p in status.projections],
            "sagas": [{"name": s.name, "checkpoint": s.checkpoint,
                       "fault": None if s.fault is None else s.fault.text(s.name)}
                      for s in status.sagas]}
        report.update(done)  # (only with --retry or --skip: the report reads as before)
        print_json(report)
    else:
        print_table(["PROJECTION", "STATE", "CHECKPOINT", "EVENTS HANDLED"],
                    ([p.name, _state(p), f"{p.checkpoint:,}", f"{p.processed:,}"]
                     for p in status.projections), right=[2, 3])
        for name, fault in faults:
            print(_projection_fault_text(name, fault, args), file=sys.stderr)
    for text in saga_faults:  # (with --json too: the exit status says it as well)
        print(f"{visible(text)}. Fix its code. It is tried again on the next run.",
              file=sys.stderr)
    return 1 if faults or saga_faults else 0


def _projection_fault_text(name: str, fault: Fault, args: argparse.Namespace) -> str:
    """One line: where a projection stopped, why (its error's text as `visible` shows it), and
    the two ways on (`project --retry` once its code is fixed, `--skip`)."""
    command = ["project", shown(args.store)]
    if args.system:
        command += ["--system", args.system]
    if args.read_only:  # (its read models are the cache folder's)
        command.append("--read-only")
    again = shlex.join(command)
    return (f"{name} stopped at position {fault.position:,}: {visible(fault.error)}. Fix its "
            "code, then "
            f"`{again} --retry {shlex.quote(name)}`; or `--skip {shlex.quote(name)}` steps "
            "over that event.")


def _retries_and_skips(runner: Runner, args: argparse.Namespace) -> tuple[list[str], list[str]]:
    """`--retry` and `--skip`'s names (each once), refused with a UsageError before anything
    is changed: a name that is no projection (for `--retry`, nor a saga), a saga not run here,
    a skip of a projection that is not faulted, or that `--retry` or `--rebuild` also names."""
    retries, skips = list(dict.fromkeys(args.retry)), list(dict.fromkeys(args.skip))
    projections = runner.engine.names
    sagas = [saga.name for saga in runner.system.sagas]
    run_here = {manager.saga.name for manager in runner.sagas}
    listed = f"the projections are {', '.join(projections)}" + (
        f"; the sagas are {', '.join(sagas)}" if sagas else "")
    for name in retries:
        saga = _saga_named(name, projections, sagas)
        if saga is None and name not in projections:
            raise UsageError(f"--retry {name}: there is no projection or saga {name!r}; "
                             f"{listed}.")
        if saga is not None and saga not in run_here:
            raise UsageError(f"--retry {name}: the saga {saga} is not run here "
                             f"({'the store is read-only' if runner.read_only else '--no-sagas'})"
                             "; leave that out to run it again.")
    faults = {p.name: p.fault for p in runner.engine.statuses()}
    for name in skips:
        if name not in projections:
            if _saga_named(name, projections, sagas) is not None:
                raise UsageError(f"--skip {name}: a saga never steps over an event; fix its "
                                 f"code and it handles the event again (`--retry {name}`).")
            raise UsageError(f"--skip {name}: there is no projection {name!r}; {listed}.")
        if faults[name] is None:
            raise UsageError(f"--skip {name}: the projection {name} is not faulted, so there is "
                             "no event to step over; nothing was changed.")
        if name in retries:
            raise UsageError(f"--skip {name} and --retry {name}: choose one (handle its event "
                             "again, or step over it).")
        if name == args.rebuild:
            raise UsageError(f"--skip {name} and --rebuild {name}: a rebuild starts {name} over "
                             "from the first event and forgets what it skipped; choose one.")
    return retries, skips


def _saga_named(name: str, projections: Sequence[str], sagas: Sequence[str]) -> str | None:
    """The saga `name` means, as Runner.retry routes it: `saga:NAME` always a saga, a plain
    name the projection of that name if there is one, else the saga's."""
    if name.startswith("saga:") and name[len("saga:"):] in sagas:
        return name[len("saga:"):]
    if name in sagas and name not in projections:
        return name
    return None


def _retry_and_skip(runner: Runner, retries: Sequence[str],
                    skips: Sequence[str]) -> dict[str, Any]:
    """Clear the faults `retries` name and step over the events `skips`' projections stopped
    at, saying so on stderr; what was done, for `--json`'s report (nothing if neither given)."""
    done: dict[str, Any] = {}
    faulted = {p.name for p in runner.engine.statuses() if p.fault is not None}
    for name in retries:
        if name in runner.engine.names and name not in faulted:
            print(f"note: {name} is not faulted; there is nothing to retry.", file=sys.stderr)
        runner.retry(name)
        done.setdefault("retried", []).append(name)
    for name in skips:
        position = runner.skip(name)
        event = _event_text(runner, position)
        print(f"{name}: stepped over position {position:,} ({visible(event)}); it is "
              "remembered as skipped, and its rows leave that event out.", file=sys.stderr)
        done.setdefault("skipped", []).append({"name": name, "position": position})
    return done


def _event_text(runner: Runner, position: int) -> str:
    """The event at `position` as a fault's line says it: its type, of its stream."""
    try:
        event = runner.store.event_at(position)
    except StoreError as error:  # (still said: which event could not be read)
        return f"its event could not be read: {error}"
    return f"{event.event_type} of {event.stream_type} {event.stream_id}, event {event.event_id}"


def _rows(store: str, system: System, name: str, at_position: int | None,
          limit: int | None) -> tuple[list[dict[str, Any]], ProjectionStatus]:
    """A projection's rows, caught up first."""
    with Runner(store, system, run_sagas=False) as runner:
        damage_note.warn_if_damaged(runner.store)  # (read-only where it cannot be written)
        runner.engine.projection(name)
        require_in_log(at_position, runner.store.last_position())
        runner.engine.catch_up(name)
        rows = runner.engine.rows(name, at_position=at_position, limit=limit)
        status = next(p for p in runner.engine.statuses() if p.name == name)
    say_what_rows_miss(status, at_position)
    return rows, status


def say_what_rows_miss(status: ProjectionStatus, at_position: int | None) -> None:
    """Warn of a fault, and note the events skipped, that the rows as of `at_position` (now,
    if None) are without: those at or before it (rows as of an earlier position are whole)."""
    name = status.name
    fault = status.fault
    if fault is not None and (at_position is None or at_position >= fault.position):
        print(f"warning: {name} is faulted at position {fault.position} "
              f"({visible(fault.error)}); its rows stop before that event",
              file=sys.stderr)
    skipped = [p for p in status.skipped if at_position is None or p <= at_position]
    if skipped:
        which = (f"the event at position {skipped[0]:,}" if len(skipped) == 1 else
                 f"the events at positions {', '.join(f'{p:,}' for p in skipped)}")
        print(f"note: {name} stepped over {which} (`project --skip {name}`): its rows leave "
              f"{'it' if len(skipped) == 1 else 'them'} out.", file=sys.stderr)


def _require_projections(system: System, what: str = "projections") -> None:
    if system.generic:
        raise SystemLoadError(f"No system is loaded, so there are no {what}: pass --system "
                              "NAME (see `systems`) or --system package.module:ATTRIBUTE.")


def projection(args: argparse.Namespace) -> int:
    system = system_of(args)
    _require_projections(system)
    rows, _ = _rows(args.store, system, args.name, args.at_position, args.limit)
    if args.json:
        print_json_array(rows)
    elif rows:
        columns = list(rows[0])
        print_table([c.upper() for c in columns], ([_cell(row[c]) for c in columns]
                                                   for row in rows))
    else:
        print(f"{args.name} has no rows.")
    return 0


def _saga_read_model(system: System, saga: str | None) -> SagaInstancesProjection:
    """The read model of a saga's instances: the one `saga` names (the saga's or the read
    model's name), else the system's first."""
    _require_projections(system, "sagas")
    found = [p for p in system.projections() if isinstance(p, SagaInstancesProjection)]
    if not found:
        raise ValueError(no_saga_listing(system))
    if saga is None:
        return found[0]
    for projection in found:
        if saga in (projection.name, projection.saga.name):
            return projection
    names = ", ".join(p.saga.name for p in found)
    raise ValueError(f"{system.label} has no saga {saga!r}; its sagas are {names}.")


def sagas(args: argparse.Namespace) -> int:
    system = system_of(args)
    read_model = _saga_read_model(system, args.saga)
    rows, _ = _rows(args.store, system, read_model.name, args.at_position, None)
    if args.status:
        rows = [row for row in rows if row["status"] == args.status]
    if args.limit is not None:
        rows = rows[:args.limit]
    if args.json:  # (each step's status as the window shows it, an object, not JSON text)
        print_json_array([{**row, "steps": shown_steps(row["steps"])} for row in rows])
        return 0
    own = [c for c in read_model.rows_table.info["values"] if c not in ROW_COLUMNS]
    print_table(["SAGA", *(c.upper().replace("_", " ") for c in own), "STATUS", "STEPS",
                 "CURRENT STEP OR REASON"],
                ([r["saga_id"], *(_cell(r.get(c)) for c in own), r["status"], steps_text(r),
                  (r["reason"] if r["status"] in ("failed", "compensated") and r["reason"]
                   else current_step(r)) or ""] for r in rows))
    return 0


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)


def refuse_gone(store: EventStore, doing: str) -> None:
    """StoreError once the store's file was deleted, moved or replaced: `doing` would go on with
    a file no longer at its path, and never see what is appended to the one there now."""
    if store.file_changed():
        raise StoreError(
            f"The store {store.location} was deleted, moved or replaced by another file while "
            f"`{doing}` ran, so it stopped: it would go on with a file no longer at that path. "
            "Run it again on the store where it is now.")


def refuse_read_models_gone(runner: Runner, doing: str) -> None:
    """StoreError once the runner's read models' file was deleted, moved or replaced: what
    `doing` wrote would go to a file no longer there, where nothing reads it."""
    if runner.db.file_changed():
        raise StoreError(
            f"The read models {runner.db.path} were deleted, moved or replaced while `{doing}` "
            "ran, so it stopped: what it wrote would go to a file no longer there. Run it again: "
            "it builds them anew.")


def follow(args: argparse.Namespace) -> int:
    with read_store(args.store, system_of(args), cipher_key=args.cipher_key) as store:
        if not store.sees_other_writers:
            print(f"warning: {visible(store.location)} cannot be written here, so it is read "
                  "without locks, and what other programs append to it is not seen: follow "
                  "shows what it holds now. Follow it again once it can be written (a disk "
                  "with room, a file you may write) to see what they add.", file=sys.stderr)
        watcher = AppendWatcher(store)
        last = store.last_position()
        if args.from_position is not None and args.from_position > last + 1:
            # (the events between the end and it would be skipped as they came, unsaid)
            raise UsageError(f"Position {args.from_position:,} (--from-position) is after the "
                             f"next event's, {last + 1:,}: choose a position up to {last + 1:,}, "
                             "or leave the option out to start at the end.")
        after = (args.from_position - 1) if args.from_position else last
        # (a followed log cannot be read ahead to fit its columns: roomier ones, positions
        # with room to grow)
        table = EventTable(len(f"{after + 1_000_000}"), stream_width=26, type_width=30)
        if not args.json:
            print(table.header(), end="", flush=True)
        try:
            while True:
                for event in store.read_all(after + 1):
                    if args.json:
                        sys.stdout.write(orjson.dumps(event.to_dict()).decode() + "\n")
                    else:
                        sys.stdout.write(table.event(event))
                    after = event.position
                sys.stdout.flush()
                while watcher.poll() is None:
                    refuse_gone(store, "follow")
                    time.sleep(0.05)
        except KeyboardInterrupt:
            return 0
