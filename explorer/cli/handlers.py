"""What each subcommand does: find the system, open the store, call the core services, print
the result."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Never

import orjson

from explorer.cli import damage_note
from explorer.cli.arguments import COMMAND_DATA, CORRELATION_ID, natural
from explorer.cli.fields import field_parser
from explorer.cli.output import (
    EVENT_HEADERS,
    EventTable,
    event_row,
    print_json,
    print_json_array,
    print_table,
)
from explorer.cli.searching import searched_events
from explorer.cli.systems import (
    DEFAULT_SYSTEM,
    chosen_or_none,
    require_commands,
    system_of,
)
from explorer.commanding.scripts import ScriptError, StepResult, load_script, play
from explorer.commanding.sending import CommandRequest, Outcome, owner_of, send
from explorer.common.formatting import count_of, short_time
from explorer.common.names import visible, visible_lines
from explorer.common.timestamps import parse_time
from explorer.domain import (
    CommandCodeError,
    CommandError,
    CommandService,
    DomainError,
    Repository,
    default_issuer,
)
from explorer.domain.generic import GENERIC_LABEL
from explorer.domain.repository import ReplayError
from explorer.projections.search_upcasts import search_upcast_warnings
from explorer.runtime.runner import Runner
from explorer.store import EventStore, StoreDamagedError, StoreError
from explorer.store.check import check_store
from explorer.store.content_filter import parse_filter
from explorer.store.errors import StoreOpenError, server_failure
from explorer.store.filter_upcasts import upcast_warnings
from explorer.store.foreign.library_store import (
    READ_ONLY_REASON,
    LibraryStore,
    is_library_file,
    remember_cipher_key,
)
from explorer.store.maintenance import READ_PAGE_SIZE
from explorer.store.query import EventQuery
from explorer.store.salvage import salvage_store
from explorer.system import NO_SYSTEM, System
from explorer.system.discovery import SystemLoadError, load_system
from explorer.system.workspace import (
    CannotSeedError,
    create_empty_store,
    open_store,
    remember_system,
    seed_new_store,
)
from explorer.timetravel.machine import TimeMachine

if TYPE_CHECKING:
    from tqdm import tqdm

USER_ERRORS = (StoreError, CommandError, DomainError, ValueError, ScriptError, SystemLoadError,
               ReplayError, CommandCodeError)
LOOKAHEAD, LOOKAHEAD_S, WIDEST = 200, 0.25, 48
"""A listing's stream and type columns fit the longest of its first LOOKAHEAD rows (or of those
read within LOOKAHEAD_S), up to WIDEST characters (a longer one pushes its row along)."""


class UsageError(Exception):
    """Bad arguments found after parsing; exits with status 2 like argparse's own errors."""


def run(args: argparse.Namespace) -> int:
    """Run the chosen subcommand; turn expected errors into one line on stderr."""
    damage_note.forget()
    if getattr(args, "cipher_key", None) and getattr(args, "store", None):
        remember_cipher_key(args.store, args.cipher_key)  # (for every store opened on it)
    try:
        return args.handler(args) or 0
    except UsageError as error:
        print(f"error: {visible_lines(str(error))}", file=sys.stderr)
        return 2
    except USER_ERRORS as error:  # (its message may quote stored text: shown as `visible`)
        print(f"error: {visible_lines(str(error))}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # e.g. `events STORE | head`
        sys.stderr.close()
        return 0
    except KeyboardInterrupt as stop:  # (a seed says what it left: workspace.SeedInterrupted)
        print(f"interrupted: {stop}" if str(stop) else "interrupted", file=sys.stderr)
        return 130
    except MemoryError:  # (a limit set with ulimit -v, say; what it held is let go by now)
        print(f"error: `{args.subcommand}` ran out of memory: this machine, or a limit set for "
              "the process (ulimit -v), does not give it what it needs (a large event, say). "
              "Free some memory or raise the limit; for a listing, asking for less (a --limit, "
              "a narrower filter) may do.", file=sys.stderr)
        return 1
    except Exception as error:  # a server's failure (connection lost, statement cancelled)
        said = server_failure(error, f"`{args.subcommand}`")
        if said is None:
            raise
        print(f"error: {said}", file=sys.stderr)
        return 1


def _warn_of_unknown_types(store: EventStore, event_types: Sequence[str] | None,
                           stream_types: Sequence[str] | None) -> None:
    """Say on stderr which of the types a filter names the store has none of (a misspelt type
    lists nothing, which alone looks like "no such events"); each asked through an index."""
    if event_types:
        stored = store.event_types()
        for name in (t for t in event_types if t not in stored):
            print(f"warning: no event of type {name!r} is in this store; its event types are "
                  f"{_some(stored)}.", file=sys.stderr)
    for name in stream_types or ():
        if not store.list_streams(name, None, limit=1):
            print(f"warning: no stream of type {name!r} is in this store; `types` lists its "
                  "stream types.", file=sys.stderr)


def _some(names: Sequence[str], most: int = 12) -> str:
    shown = ", ".join(names[:most])
    return shown + (f" and {len(names) - most} more" if len(names) > most else "") or "none"


def require_in_log(position: int | None, last: int) -> None:
    """UsageError for an --at-position after the log's last event (it would silently show the
    system as it is now)."""
    if position is not None and position > last:
        raise UsageError(f"Position {position:,} (--at-position) is after the last event, at "
                         f"position {last:,}: choose a position up to {last:,}, or leave the "
                         "option out to see the system as it is now.")


def _read(args: argparse.Namespace, system: System) -> EventStore:
    """The store, read-only; said on stderr to be damaged if it is (see damage_note)."""
    return read_store(args.store, system, cipher_key=args.cipher_key)


def read_store(location: str, system: System, *, cipher_key: str | None = None) -> EventStore:
    """A store opened read-only for a read command, said on stderr to be damaged if a check
    cheap enough for every read finds it so (see damage_note)."""
    store = open_store(location, system=system, read_only=True, cipher_key=cipher_key)
    try:
        damage_note.warn_if_damaged(store)
    except BaseException:
        store.close()
        raise
    return store


def seed(args: argparse.Namespace) -> int:
    """Fill a new store with the system's seeder (its own size option, or --size)."""
    system = load_system(args.system)
    seeder = system.seeder
    if seeder is None:
        raise CannotSeedError(system)  # before a store is made
    size = args.size if args.size is not None else seeder.default_size
    bar = ProgressBar(size, seeder.size_name, lazy=True)
    try:
        seeded = seed_new_store(args.store, system, size=size, seed=args.seed, days=args.days,
                                recent=args.recent, spec=args.system, progress=bar.update_to)
    finally:
        bar.close()
    report = seeded.report
    summary = {"store": seeded.location, "system": system.name, **report,
               "last_position": seeded.last_position}
    if args.json:
        print_json(summary)
        return 0
    counts = [f"{value:,} {key.replace('_', ' ')}" for key, value in report.items()
              if isinstance(value, int) and not isinstance(value, bool)]
    print(f"Seeded {summary['store']} with {system.label}: {', '.join(counts)}.")
    for key, value in report.items():
        if isinstance(value, dict):
            print(f"{key.replace('_', ' ')}:")
            for name, count in sorted(value.items()):
                print(f"  {name}: {count}")
    return 0


def create(args: argparse.Namespace) -> int:
    """Make a new, empty store for a system: its commands then fill it."""
    if not args.system:
        raise UsageError("create needs --system: the system whose store it is, by name (see "
                         "`systems`) or as package.module:ATTRIBUTE.")
    system = load_system(args.system)
    require_commands(system, args.store)
    location = create_empty_store(args.store, system, args.system)
    print(f"Made {location}, an empty store of {system.label}. Send it commands with `command "
          f"{args.store} TYPE ID COMMAND` (`commands {args.store}` lists them).")
    return 0


def streams(args: argparse.Namespace) -> int:
    with _read(args, chosen_or_none(args)) as store:
        found = store.list_streams(args.stream_type, args.match, limit=args.limit)
        if not found and args.stream_type:
            _warn_of_unknown_types(store, (), (args.stream_type,))
    if args.json:
        print_json_array(s.to_dict() for s in found)
    else:
        print_table(["STREAM", "TYPE", "VERSION", "LAST EVENT (UTC)"],
                    ([s.stream_id, s.stream_type, s.version, short_time(s.last_timestamp_us)]
                     for s in found), right=[2])
    return 0


def types(args: argparse.Namespace) -> int:
    with _read(args, chosen_or_none(args)) as store:
        found = store.stream_types()
    if args.json:
        print_json([{"stream_type": t.stream_type, "streams": t.streams, "events": t.events}
                    for t in found])
    else:
        print_table(["TYPE", "STREAMS", "EVENTS"],
                    ([t.stream_type, t.streams, t.events] for t in found), right=[1, 2])
    return 0


def events(args: argparse.Namespace) -> int:
    if args.to_position is not None and args.to_position < args.from_position:
        raise ValueError(f"--to-position {args.to_position} is before --from-position "
                         f"{args.from_position}: no event is between them.")
    query = EventQuery(stream_id=args.stream, event_types=_split(args.event_types),
                       stream_types=_split(args.stream_types), from_position=args.from_position,
                       to_position=args.to_position,
                       content=parse_filter(args.where) if args.where else None)
    with _read(args, system_of(args)) as store:
        if args.stream is not None:
            store.stream_info(args.stream)  # a clear error for a mistyped stream id
        _warn_of_unknown_types(store, query.event_types, query.stream_types)
        if query.content is not None:
            for warning in upcast_warnings(store, query.content, query.event_types):
                print(f"warning: {visible(warning)}", file=sys.stderr)
        found: Iterator[Any] = (searched_events(store, args.search, query, ProgressBar(
            store.last_position(), "events", description="Indexing for search", lazy=True))
            if args.search is not None else store.iter_query(  # (no page beyond the limit)
                query, page_size=min(args.limit or READ_PAGE_SIZE, READ_PAGE_SIZE)))
        if args.search is not None:  # (after searched_events: what was typed is checked)
            for warning in search_upcast_warnings(store, args.search, query.event_types):
                print(f"warning: {visible(warning)}", file=sys.stderr)
        if args.limit:
            found = (e for _, e in zip(range(args.limit), found, strict=False))  # (not one
            # event read past the limit: another page)
        if args.json:
            print_json_array(e.to_dict() for e in found)
        else:
            # (a search or a content filter may find its matches seconds apart: their table
            # is printed as each comes, its columns not fitted to rows read ahead)
            _print_events(found, len(str(store.last_position())),
                          read_ahead=args.search is None and args.where is None)
    return 0


def _print_events(found: Iterator[Any], position_width: int, read_ahead: bool) -> None:
    """An aligned table of events, printed as they are read; `read_ahead` (events that come
    a page at a time), the stream and type columns as wide as the longest of the first rows
    (up to LOOKAHEAD of them, or those read in the first LOOKAHEAD_S), within WIDEST."""
    found = iter(found)
    first: list[list[str]] = []
    started = time.monotonic()
    for event in found if read_ahead else ():
        first.append([str(cell) for cell in event_row(event)])
        if len(first) >= LOOKAHEAD or time.monotonic() - started > LOOKAHEAD_S:
            break
    table = EventTable(position_width)
    table.fit(first, WIDEST)
    out = sys.stdout
    out.write(table.header())
    for row in first:
        out.write(table.line(row))
    for event in found:
        out.write(table.event(event))


def state(args: argparse.Namespace) -> int:
    """A stream's state as the system folds it; for a type no loaded system knows (or with
    --system none), the generic fold, said so."""
    at_time = parse_time(args.at_time) if args.at_time else None
    system = system_of(args)
    with _read(args, system) as store:
        require_in_log(args.at_position, store.last_position())
        repository = Repository(store, system.domain, use_snapshots=not args.no_snapshots)
        loaded = repository.load_existing(args.stream_id, at_version=args.at_version,
                                          at_position=args.at_position, at_time_us=at_time)
        moment = (TimeMachine(store, None, system).aggregate_at(args.stream_id, args.at_position)
                  if args.at_position is not None else None)
    aggregate = loaded.aggregate
    generic = bool(getattr(aggregate, "generic", False))
    for note in loaded.notes:
        print(f"warning: {note}", file=sys.stderr)
    result: dict[str, Any] = {"stream_id": aggregate.id, "stream_type": aggregate.stream_type,
                              "version": aggregate.version, "state": aggregate.state(),
                              "generic": generic}
    if loaded.skipped:  # (the state lacks what they did)
        result["skipped"] = loaded.skipped
    latest = moment.event if moment is not None else None
    changes = moment.changes if moment is not None else []
    if latest is not None:  # as the window's time travel shows it
        result["latest_event"] = {"position": latest.position, "event_type": latest.event_type}
        result["changes"] = [{"path": c.path, "kind": c.kind, "before": c.before,
                              "after": c.after} for c in changes]
    if args.json:
        print_json(result)
    else:
        replayed = count_of(loaded.events_replayed - len(loaded.skipped), "event")
        skipped = f", {len(loaded.skipped):,} skipped" if loaded.skipped else ""
        rebuilt = getattr(aggregate, "rebuilt", None)  # an application's: as it rebuilt it
        source = (rebuilt() if rebuilt is not None else
                  f"snapshot v{loaded.snapshot_version} + {replayed}{skipped}"
                  if loaded.snapshot_version else f"{replayed} replayed{skipped}")
        print(visible(f"{aggregate.stream_type} {aggregate.id} at version {aggregate.version} "
                      f"({source})" + (f" — {GENERIC_LABEL}" if generic else "")))
        print(visible_lines(orjson.dumps(aggregate.state(), option=orjson.OPT_INDENT_2).decode()))
        if latest is not None:
            print(visible(f"changed by {latest.event_type} at position {latest.position:,}:"))
            for change in changes:
                print(visible(f"  {change.kind:8s} {change.path}: " + (
                    f"{_json(change.before)} -> {_json(change.after)}" if change.kind == "changed"
                    else _json(change.after if change.kind == "added" else change.before))))
    return 0


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


def _commanding_system(args: argparse.Namespace) -> System:
    """The system whose command is sent (`--system` may come among the command's fields too);
    for `--help` alone, the default one if the store cannot tell (it may not exist yet)."""
    fields = list(args.fields)
    for index, word in enumerate(fields):
        if word == "--system" and index + 1 < len(fields):
            args.system = fields[index + 1]
            del fields[index:index + 2]
            break
        if word.startswith("--system="):
            args.system = word.partition("=")[2]
            del fields[index]
            break
    args.fields = fields
    if any(word in ("-h", "--help") for word in fields) and not args.system:
        try:
            return system_of(args)
        except (StoreError, SystemLoadError):
            return load_system(DEFAULT_SYSTEM)
    return system_of(args)


def command(args: argparse.Namespace) -> int:
    system = _commanding_system(args)
    require_commands(system, args.store)
    refusal = owner_of(system, args.stream_type, args.stream_id)
    if refusal:
        raise UsageError(refusal)
    command_class = system.domain.command_class(args.stream_type, args.command)
    parser = field_parser(command_class, f"event-explorer-cli command STORE {args.stream_type} "
                                         f"{args.stream_id} {args.command}")
    # (the subcommand's own options keep their values apart: no field's name starts with "-")
    parser.add_argument("--data", dest="-data", metavar="JSON", default=argparse.SUPPRESS,
                        type=COMMAND_DATA, help="fields as a JSON object")
    parser.add_argument("--expected-version", dest="-expected_version", metavar="VERSION",
                        type=natural, default=argparse.SUPPRESS)
    parser.add_argument("--correlation-id", dest="-correlation_id", metavar="ID",
                        default=argparse.SUPPRESS, type=CORRELATION_ID)
    parser.add_argument("--json", dest="-json", action="store_true", default=argparse.SUPPRESS)
    try:
        extra = vars(parser.parse_args(args.fields))
    except SystemExit as stop:  # --help, or argparse already printed the error
        return int(stop.code or 0)
    options = {key: extra.pop(f"-{key}", getattr(args, key))
               for key in ("data", "expected_version", "correlation_id", "json")}
    data: dict[str, Any] = {}
    if options["data"]:
        try:
            data = orjson.loads(options["data"])
        except orjson.JSONDecodeError as error:
            raise UsageError(f"--data is not valid JSON: {error}") from None
        if not isinstance(data, dict):
            raise UsageError("--data must be a JSON object such as {\"reason\": \"late\"}")
    data.update(extra)
    with open_for_writing(args.store, system) as store:
        service = CommandService(store, system.domain, issued_by=default_issuer("cli"),
                                 context=system.make_context())
        result = service.execute(args.stream_type, args.stream_id, command_class.parse(data),
                                 expected_version=options["expected_version"],
                                 correlation_id=options["correlation_id"])
        if result.events:
            remember_system(store, system, args.system)
    if options["json"]:
        print_json(result.to_dict())
    elif not result.events:
        print(f"{args.command} on {args.stream_id} recorded no events (version {result.version}).")
    else:
        print(f"{args.command} on {args.stream_id}: version {result.version_before} -> "
              f"{result.version}")
        print_table(EVENT_HEADERS, (event_row(e) for e in result.events), right=[0, 3])
    return 0


def script(args: argparse.Namespace) -> int:
    """Play a demo script; exit 1 if a step did not end as the script expects."""
    played = load_script(args.file)
    system = system_of(args)
    require_commands(system, args.store)
    # a script tells the same story every time: the system's default context (the shop's
    # payments then fail only for its declined test cards, always), no options
    runner = Runner(args.store, system, spec=args.system) if args.run_sagas else None
    try:
        with open_for_writing(args.store, system) as store:
            service = CommandService(store, system.domain, issued_by=default_issuer("script"),
                                     context=system.make_context())

            def send_step(request: CommandRequest) -> Outcome:
                outcome = send(service, request, system)
                if outcome.positions:
                    remember_system(store, system, args.system)
                if runner is not None:
                    runner.run_pending()
                return outcome

            if not args.json:
                title = played.name or Path(args.file).name
                print(f"{title}: {len(played.steps)} steps")
            results = play(played, send_step, delay=args.delay,
                           on_step=lambda step: _print_step(step, args.json))
            if runner is None:
                _note_sagas_not_reacting(store, system, results)
            else:
                _warn_of_faults(runner)
    finally:
        if runner is not None:
            runner.close()
    unexpected = [r for r in results if not r.as_expected]
    if not args.json:
        print(f"{len(results) - len(unexpected)} of {len(results)} steps ended as expected.")
    return 1 if unexpected else 0


def _note_sagas_not_reacting(store: EventStore, system: System,
                             results: Sequence[StepResult]) -> None:
    """Say so (on stderr) when the sagas have reacted to none of a script's events: without
    --run-sagas only a runner elsewhere runs them, and none has (the script's story, "the saga
    takes it from here", would otherwise end silently untrue)."""
    written = [position for result in results for position in result.outcome.positions]
    behind = [saga.name for saga in system.sagas
              if written and store.checkpoint(saga.name) < min(written)]
    if behind:
        print(f"note: the sagas ({', '.join(behind)}) have not reacted to these steps: they run "
              "where a runner runs them, `run STORE` or the window with Run sagas in this "
              "window ticked, and none has yet. Add --run-sagas to let them react here.",
              file=sys.stderr)


def _warn_of_faults(runner: Runner) -> None:
    """Say (on stderr) which sagas and projections stopped at a fault while the script played
    with --run-sagas: their reactions, which the script's story counts on, did not happen."""
    status = runner.status()
    for saga in status.sagas:
        if saga.fault is not None:
            print(f"warning: {visible_lines(saga.fault.text(saga.name))}", file=sys.stderr)
    for projection in status.projections:
        if projection.fault is not None:
            print(f"warning: the projection {projection.name} stopped at position "
                  f"{projection.fault.position:,}: {visible_lines(projection.fault.error)}",
                  file=sys.stderr)


def _print_step(step: StepResult, as_json: bool) -> None:
    if as_json:  # JSON lines: one object a step, as it happens
        print(orjson.dumps({"step": step.number, "request": step.request.to_dict(),
                            "outcome": step.outcome.to_dict(),
                            "as_expected": step.as_expected}).decode(), flush=True)
        return
    mark = "ok" if step.as_expected else "UNEXPECTED"
    note = f" — {step.step.note}" if step.step.note else ""
    print(visible(f"{step.number}. {step.request.label()}{note}"))
    print(visible(f"   {step.outcome.kind}: {step.outcome.message} [{mark}]"), flush=True)


def check(args: argparse.Namespace) -> int:
    """Check a store; damage SQLite finds is one line (exit 1), like every other refusal.
    Events are decoded as the store's system reads them; when it names one that cannot be
    loaded, as stored (said so), since a check must not depend on the system's code."""
    try:
        try:
            system = system_of(args)
        except SystemLoadError as error:
            if args.system:
                raise
            print(f"note: events are decoded as stored: {error}", file=sys.stderr)
            system = NO_SYSTEM
        with open_store(args.store, system=system, read_only=True, verify=False,
                        cipher_key=args.cipher_key) as store:
            bar = ProgressBar(store.last_position(), "events")
            try:
                report = check_store(store, progress=bar.update_to)
            finally:
                bar.close()
    except StoreDamagedError as damage:
        print(f"error: {damage.path} is damaged: {damage.detail}. Nothing was changed. "
              f"{damage.advice}", file=sys.stderr)
        return 1
    if args.json:
        print_json(report.to_dict())
    else:
        print(f"Checked {report.events} events in {report.streams} streams.")
        for problem in report.problems:
            print(f"  {problem.kind}: {problem.message}")
        if report.omitted:
            print(f"  ... and {report.omitted} more problems")
        for note in report.notes:
            print(f"  note: {note}")
        print(report.verdict)
    return 0 if report.ok else 1


def salvage(args: argparse.Namespace) -> int:
    """Copy what can be read of a damaged store into a new one; exit 1 if nothing could be."""
    if is_library_file(Path(args.store).expanduser()):
        raise StoreOpenError(
            f"{args.store} is a store of the Python eventsourcing library, which salvage does not "
            "read: it copies what is left of a damaged Event Explorer store. `copy "
            f"{args.store} NEW.evstore` copies its events into a new store (`check` checks it). "
            "No new store was made.")
    system = chosen_or_none(args)  # a damaged store may not say which system it has
    bar = ProgressBar(0, "positions")
    try:
        report = salvage_store(args.store, args.target, registry=system.registry,
                               progress=lambda done, last: bar.update_to(done, last))
    finally:
        bar.close()
    if report.saved and not system.generic:
        with open_for_writing(args.target, system) as saved:
            remember_system(saved, system, args.system)
    if args.json:
        print_json(report.to_dict())
    else:
        for line in report.lines():
            print(line)
    return 0 if report.saved else 1


def summary(args: argparse.Namespace) -> int:
    with _read(args, chosen_or_none(args)) as store:
        types_found = store.stream_types()
        result = {"store": store.location, "last_position": store.last_position(),
                  "streams": sum(t.streams for t in types_found),
                  "types": {t.stream_type: {"streams": t.streams, "events": t.events}
                            for t in types_found}}
        library = store.describe() if isinstance(store, LibraryStore) else None
        follows = store.followers() if isinstance(store, LibraryStore) else []
        if library is not None:  # the library's file: what it is, what it follows
            result |= {"format": library, "followers": follows}
    if args.json:
        print_json(result)
    else:
        print(f"{result['store']}: {result['last_position']} events in {result['streams']} streams")
        if library is not None:
            print(f"{READ_ONLY_REASON} (tables {library['tables']})")
        print_table(["TYPE", "STREAMS", "EVENTS"], ([t.stream_type, t.streams, t.events]
                                                   for t in types_found), right=[1, 2])
        if follows:
            print("It follows (the library's tracking: how far it processed each log):")
            print_table(["APPLICATION", "POSITION", "LAG", "ITS LOG"], (
                [f["name"], f["position"], "?" if f["lag"] is None else f["lag"],
                 f["log"] or "not found beside it"] for f in follows), right=[1, 2])
    return 0


def _split(values: list[str]) -> tuple[str, ...]:
    return tuple(part.strip() for value in values for part in value.split(",") if part.strip())


class ProgressBar:
    """A tqdm bar on a terminal, nothing otherwise; `update_to(n)` sets the count done. A `lazy`
    bar appears only once there is progress to show (work that may not happen at all)."""

    def __init__(self, total: int, unit: str, *, description: str | None = None,
                 lazy: bool = False) -> None:
        self._bar: tqdm[Never] | None = None
        self._total, self._unit, self._description = total, unit, description
        self._shown = False
        if not lazy:
            self._show()

    def _show(self) -> None:
        self._shown = True
        if sys.stderr.isatty():
            from tqdm import tqdm

            self._bar = tqdm(total=self._total, unit=f" {self._unit}", unit_scale=True,
                             file=sys.stderr, dynamic_ncols=True, desc=self._description)

    def update_to(self, done: int, total: int | None = None) -> None:
        if total is not None:
            self._total = total
        if not self._shown:
            self._show()
        if self._bar is not None:
            if self._bar.total != self._total:
                self._bar.total = self._total
            self._bar.update(done - self._bar.n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def open_for_writing(path: str, system: System, *, create: bool = False) -> EventStore:
    """Open a store for writing (events read as the system reads them); a store from before
    the hash chain shows a bar while its events are linked (once, the first time)."""
    bar = linking_bar()
    try:
        return open_store(path, system=system, create=create, progress=bar.update_to)
    finally:
        bar.close()


def linking_bar() -> ProgressBar:
    """The bar a store from before the hash chain shows while its events are linked, once."""
    return ProgressBar(0, "events", description="Adding the hash chain", lazy=True)
