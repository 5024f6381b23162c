"""Paths to a field inside JSON (an event's data, an aggregate's state), as written in filters,
find-when conditions and watches, and as the window shows and offers them:

    items[0].sku             a key, a list's item, a key of it
    holds["hold.1@berlin"]   a key that is not a plain name (a dot, @, -, a space, a letter
                             outside ASCII, a leading digit), quoted; ['...'] alike

A quoted key may hold any character: dots, spaces and square brackets as they are
(`["x[0]"]`), a quote or a backslash after a backslash (`["say \\"hi\\""]`, `["C:\\\\dir"]`;
in single quotes a double quote needs none: `['say "hi"']`). `[*]` is any item, where the
language allows it. One module writes and splits paths, so that what the window offers is what
the filters read.
"""

from __future__ import annotations

import re

PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
"""A key written after a dot as it is."""
QUOTED_KEY = r"""\["(?:[^"\\]|\\.)*"\]|\['(?:[^'\\]|\\.)*'\]"""
"""A key written quoted in brackets (a regular expression's text, for the languages' own)."""
_PART = re.compile(QUOTED_KEY + r"|\[[^\]]*\]|[^.\[]+")
_ESCAPED = re.compile(r"\\(.)", re.DOTALL)


def key_step(key: str) -> str:
    """The step from a field to its key: `.name`, or `["hold.1@berlin"]` for any other key (a
    quote or a backslash in it after a backslash)."""
    if PLAIN_KEY.fullmatch(key):
        return f".{key}"
    return '["' + key.replace("\\", "\\\\").replace('"', '\\"') + '"]'


def child_path(path: str, key: str | int) -> str:
    """The path of `key` (a list's index if an int) inside the field at `path` ("" the top)."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    step = key_step(key)
    return step[1:] if not path and step.startswith(".") else f"{path}{step}"


def path_parts(path: str) -> list[str]:
    """A path's steps in order: keys (plain as they are, quoted as written: `["a.b"]`) and
    indexes (`[0]`, `[*]`); a leading dot is no step."""
    return _PART.findall(path)


def quoted_key(part: str) -> str | None:
    """The key a quoted step (`["a.b"]`, `['a.b']`, `["say \\"hi\\""]`) names; None for any
    other step."""
    if len(part) >= 4 and part[0] == "[" and part[1] in "\"'":
        return _ESCAPED.sub(r"\1", part[2:-2])
    return None


def part_key(part: str) -> str | int | None:
    """What a step names: a key (str), a list's index (int), or None for [*]."""
    key = quoted_key(part)
    if key is not None:
        return key
    if part.startswith("["):
        inner = part[1:-1]
        return None if inner == "*" else int(inner)
    return part


def parent_path(path: str) -> str:
    """The path of the field holding this one (items[0].sku -> items[0]; a top field -> "")."""
    parts = path_parts(path)
    if len(parts) <= 1:
        return ""
    last = parts[-1]
    end = len(path) - len(last)
    if not last.startswith("["):
        end -= 1  # (its dot)
    return path[:end]
