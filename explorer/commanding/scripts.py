"""Demo scripts: commands to send one after another, recorded from the console or written by
hand, in JSON or YAML, played back with a delay between steps.

    name: Happy path
    description: A customer orders; the saga reserves, charges and ships.
    delay: 1.5                      # seconds between steps (the player may override it)
    steps:
      - note: Ada registers
        stream_type: Customer
        stream_id: cust_demo_{run}  # {run} becomes a token unique to each playback
        command: register
        data: {name: Ada Lovelace, email: ada@example.com, address: {...}}
      - stream_type: Order
        ...
        expect: rejected            # optional: what this step should end in
        wait: 3                     # optional: seconds before this step instead of `delay`

Nothing here imports Qt; the window's console and `explorer script` both use it.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pydantic
import yaml
from pydantic import BaseModel, ConfigDict, Field

from explorer.commanding.sending import CommandRequest, Outcome, OutcomeKind
from explorer.common.private_files import write_private

RUN_TOKEN = "{run}"


class ScriptError(Exception):
    """A script file that cannot be read or does not describe a script; says where and why."""


class ScriptStep(BaseModel):
    model_config = ConfigDict(extra="forbid")

    stream_type: str = Field(min_length=1)
    stream_id: str = Field(min_length=1)
    command: str = Field(min_length=1)
    data: dict[str, Any] = Field(default_factory=dict)
    note: str = ""
    expect: OutcomeKind | None = None
    wait: float | None = Field(default=None, ge=0, le=3600)


class Script(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = ""
    description: str = ""
    delay: float = Field(1.0, ge=0, le=3600)
    steps: list[ScriptStep] = Field(min_length=1)

    def requests(self, run: str | None = None) -> list[CommandRequest]:
        """The steps as requests, with {run} replaced by `run` (a fresh token if not given)."""
        token = run or new_run_token()
        return [CommandRequest(step.stream_type, _fill(step.stream_id, token), step.command,
                               _fill(step.data, token)) for step in self.steps]


def new_run_token() -> str:
    """A short token that makes one playback's ids its own (e.g. "k3x9q")."""
    return secrets.token_hex(3)


def _fill(value: Any, token: str) -> Any:
    return _strings_changed(value, lambda text: text.replace(RUN_TOKEN, token))


def _strings_changed(value: Any, change: Callable[[str], str]) -> Any:
    """`value` with `change` made to every string in it, however deep in lists and mappings
    (their keys are left as they are)."""
    if isinstance(value, str):
        return change(value)
    if isinstance(value, dict):
        return {key: _strings_changed(item, change) for key, item in value.items()}
    if isinstance(value, list):
        return [_strings_changed(item, change) for item in value]
    return value


MAX_SCRIPT_BYTES = 1_000_000
"""The largest script file read: a long demo is a few kilobytes; this refuses a huge or endless
file (a device, a mistake) before it is read into memory."""
MAX_DEPTH = 32
"""How deeply lists and mappings may nest, the script itself included (steps sit at level 2)."""
MAX_STEPS = 1_000

_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_JSON_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?|[\[\]{}]', re.DOTALL)


def load_script(path: str | Path) -> Script:
    """Read a script from a .json, .yaml or .yml file.

    Hostile files are refused before they can cost much time or memory: files over
    MAX_SCRIPT_BYTES, YAML aliases (a few hundred bytes of them can expand without limit),
    nesting deeper than MAX_DEPTH and more than MAX_STEPS steps each raise ScriptError."""
    path = Path(path)
    text = _read_text(path)
    kind = "JSON" if path.suffix.lower() == ".json" else "YAML"
    try:
        if kind == "JSON":
            _check_json_depth(text, path.name)
            raw = json.loads(text)
        else:
            _check_yaml_events(text, path.name)
            raw = yaml.load(text, Loader=_YAML_LOADER)  # noqa: S506 - a safe loader
    except (ValueError, yaml.YAMLError) as error:  # json's errors, and too-long numbers
        reason = _first_line(error).split("; use sys.set_int_max_str_digits")[0]
        raise ScriptError(f"{path.name} is not valid {kind}: {reason}") from None
    return parse_script(raw, path.name)


def _read_text(path: Path) -> str:
    too_big = (f"{path.name} is larger than {MAX_SCRIPT_BYTES // 1_000_000} MB, the most a "
               "script may hold; split it into several scripts.")
    try:
        with path.open("rb") as file:
            if os.fstat(file.fileno()).st_size > MAX_SCRIPT_BYTES:
                raise ScriptError(too_big)
            data = file.read(MAX_SCRIPT_BYTES + 1)  # a device or pipe has no size to check
        if len(data) > MAX_SCRIPT_BYTES:
            raise ScriptError(too_big)
        return data.decode("utf-8")
    except FileNotFoundError:
        raise ScriptError(f"No script at {path}.") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ScriptError(f"Cannot read {path}: {getattr(error, 'strerror', None) or error}.") \
            from None


def _too_deep(name: str, line: int) -> ScriptError:
    return ScriptError(f"{name} nests lists and mappings more than {MAX_DEPTH} levels deep "
                       f"(line {line}); a script needs only a few levels.")


def _check_json_depth(text: str, name: str) -> None:
    """Refuse nesting deeper than MAX_DEPTH before json builds (and recurses into) it."""
    depth = 0
    for match in _JSON_TOKEN.finditer(text):
        bracket = match.group()
        if bracket in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                raise _too_deep(name, text.count("\n", 0, match.start()) + 1)
        elif bracket in "]}":
            depth -= 1


def _check_yaml_events(text: str, name: str) -> None:
    """Refuse aliases, anchors and deep nesting from the parser's events, before any node is
    built: an alias repeats what its anchor names, and nested aliases grow exponentially."""
    depth = 0
    try:
        for event in yaml.parse(text, Loader=_YAML_LOADER):
            mark = event.start_mark
            assert mark is not None, "PyYAML's parser marks every event it makes"
            line = mark.line + 1
            if getattr(event, "anchor", None) is not None:
                raise ScriptError(f"{name} uses a YAML anchor or alias (&name or *name, line "
                                  f"{line}); aliases are not allowed in scripts: write each "
                                  "value out.")
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    raise _too_deep(name, line)
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.MarkedYAMLError as error:  # libyaml looks ahead, up to its own limit
        if error.problem == "exceeded maximum nesting depth" and error.problem_mark:
            raise _too_deep(name, error.problem_mark.line + 1) from None
        raise


def parse_script(raw: Any, source: str = "the script") -> Script:
    """Validate a script read from JSON or YAML; ScriptError says which step is wrong and why."""
    if not isinstance(raw, dict):
        held = ("nothing: it is empty" if raw is None else
                "a list, not a mapping" if isinstance(raw, list) else
                "plain text" if isinstance(raw, str) else f"just the value {raw!r}")
        raise ScriptError(f"{source} is not a script: it holds {held}. A script is a mapping "
                          "with a list of `steps`, the commands to send: `steps: [{stream_type: "
                          "..., stream_id: ..., command: ..., data: {...}}]`.")
    steps = raw.get("steps")
    if isinstance(steps, list) and len(steps) > MAX_STEPS:
        raise ScriptError(f"{source} has {len(steps):,} steps, more than the {MAX_STEPS:,} a "
                          "script may hold; split it into several scripts.")
    try:
        return Script.model_validate(raw)
    except pydantic.ValidationError as error:
        problems = []
        for item in error.errors(include_url=False)[:5]:
            where = _where(item["loc"])
            problems.append(f"{where}: {item['msg'].lower()}" if where else item["msg"])
        raise ScriptError(f"{source} is not a valid script: " + "; ".join(problems)) from None


def _where(loc: tuple[Any, ...]) -> str:
    if len(loc) >= 2 and loc[0] == "steps" and isinstance(loc[1], int):
        rest = ".".join(str(part) for part in loc[2:])
        return f"step {loc[1] + 1}" + (f" ({rest})" if rest else "")
    return ".".join(str(part) for part in loc)


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0]


def save_script(path: str | Path, script: Script) -> None:
    """Write a script as JSON or YAML, by the file's suffix, readable by its owner alone (0600):
    it holds what the user sent."""
    path = Path(path)
    data = script.model_dump(mode="json", exclude_defaults=True)
    data.setdefault("delay", script.delay)
    data["steps"] = [step.model_dump(mode="json", exclude_defaults=True) for step in script.steps]
    if path.suffix.lower() == ".json":
        write_private(path, orjson.dumps(data, option=orjson.OPT_INDENT_2) + b"\n")
    else:
        write_private(path, yaml.safe_dump(data, sort_keys=False,
                                           allow_unicode=True).encode("utf-8"))


RECORDED_KINDS = (OutcomeKind.EVENTS, OutcomeKind.REJECTED)
"""What a recording keeps: commands that wrote events, and those a business rule refused (in a
demo, a refusal is part of the story). Invalid input, conflicts and storage failures were the
presenter's stumbles on the way, not steps to play again."""


def record_script(sent: list[tuple[CommandRequest, Outcome]], name: str = "",
                  delay: float = 1.0, *,
                  derived: Callable[[str, str], list[str]]) -> Script:
    """A script that plays what was sent again, and again: the streams the recording created
    get ids with a {run} token (order_7 becomes order_7_{run}), wherever they appear (as a
    target, or in other commands' data), and so do the streams the system names after them
    (`derived`, the system's `derived_streams`: the shop's saga names an order's payment
    pay_7, which becomes pay_7_{run}, as the saga will name it), so that each playback makes
    its own; a refused command is expected to be refused again."""
    kept = [(request, outcome) for request, outcome in sent if outcome.kind in RECORDED_KINDS]
    if not kept:
        raise ScriptError("Nothing to save: no command sent while recording wrote events or "
                          "was refused by a business rule.")
    created = [(request.stream_type, request.stream_id) for request, outcome in kept
               if outcome.ok and outcome.version == len(outcome.positions) > 0]
    names = {}
    for stream_type, stream_id in created:
        for original in (stream_id, *derived(stream_type, stream_id)):
            names[original] = f"{original}_{RUN_TOKEN}"
    return Script(name=name, delay=delay, steps=[
        ScriptStep(stream_type=request.stream_type,
                   stream_id=names.get(request.stream_id, request.stream_id),
                   command=request.command, data=_renamed(request.data, names),
                   expect=None if outcome.ok else outcome.kind)
        for request, outcome in kept])


def _renamed(value: Any, names: dict[str, str]) -> Any:
    return _strings_changed(value, lambda text: names.get(text, text))


@dataclass(frozen=True)
class StepResult:
    number: int  # from 1
    step: ScriptStep
    request: CommandRequest
    outcome: Outcome

    @property
    def as_expected(self) -> bool:
        return self.outcome.kind == (self.step.expect or OutcomeKind.EVENTS)


def play(script: Script, send: Callable[[CommandRequest], Outcome], *,
         delay: float | None = None, run: str | None = None,
         on_step: Callable[[StepResult], None] | None = None,
         sleep: Callable[[float], None] = time.sleep,
         should_stop: Callable[[], bool] = lambda: False) -> list[StepResult]:
    """Send each step in turn, waiting `delay` (or the script's) seconds between them."""
    results = []
    pause = script.delay if delay is None else delay
    for number, (step, request) in enumerate(zip(script.steps, script.requests(run),
                                                 strict=True), start=1):
        if should_stop():
            break
        if number > 1:
            sleep(step.wait if step.wait is not None else pause)
            if should_stop():
                break
        result = StepResult(number, step, request, send(request))
        results.append(result)
        if on_step is not None:
            on_step(result)
    return results
