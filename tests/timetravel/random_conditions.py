"""Random conditions in the content filter's language, built from values a history really holds,
for checking find-when and the Python evaluator against brute force."""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from typing import Any

OPS = ["=", "!=", "<", "<=", ">", ">="]


def written(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return repr(value)


def paths(value: Any, prefix: str, depth: int = 3) -> Iterable[tuple[str, Any]]:
    """(field, value) for every value inside a JSON value, [*] for lists' elements."""
    if isinstance(value, Mapping) and depth:
        for key, item in value.items():
            if isinstance(key, str) and key.isidentifier():
                yield from paths(item, f"{prefix}.{key}" if prefix else key, depth - 1)
    elif isinstance(value, list) and depth and "[*]" not in prefix:
        yield prefix, value
        for index, item in enumerate(value[:2]):
            yield from paths(item, f"{prefix}[{index}]", depth - 1)
        for item in value[:3]:
            yield from paths(item, f"{prefix}[*]", depth - 1)
    else:
        yield prefix, value


class ConditionMaker:
    """Makes random conditions from observed (field, value) pairs."""

    def __init__(self, seed: int, observed: Iterable[tuple[str, Any]]) -> None:
        self.random = random.Random(seed)
        seen: dict[str, list[Any]] = {}
        for field, value in observed:
            values = seen.setdefault(field, [])
            if len(values) < 30 and value not in values:
                values.append(value)
        self.fields = sorted(seen)
        self.values = seen

    def comparison(self) -> str:
        r = self.random
        field = r.choice(self.fields)
        value = r.choice(self.values[field])
        roll = r.random()
        if roll < 0.08:
            return f"{field} exists"
        if roll < 0.14 or value is None:
            return f"{field} {r.choice(['=', '!='])} null"
        if roll < 0.22 and isinstance(value, str) and value:
            start = r.randrange(len(value))
            return f"{field} contains {written(value[start:start + 3].upper())}"
        if roll < 0.27:  # a value of another type: SQLite's ordering of types decides
            value = r.choice([5, "abc", True, 2.5, "10"])
        if isinstance(value, list | dict):
            value = len(value)
        if isinstance(value, float) and r.random() < 0.5:
            value = round(value)
        ops = ["=", "!="] if isinstance(value, bool) else OPS  # (true and false: unordered)
        return f"{field} {r.choice(ops)} {written(value)}"

    def condition(self, depth: int = 2) -> str:
        r = self.random
        roll = r.random()
        if depth == 0 or roll < 0.45:
            return self.comparison()
        if roll < 0.55:
            return f"not ({self.condition(depth - 1)})"
        joiner = r.choice([" and ", " or "])
        return "(" + joiner.join(self.condition(depth - 1) for _ in range(r.randint(2, 3))) + ")"
