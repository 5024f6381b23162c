"""Argument types shared by the subcommands' parsers: whole numbers SQLite can hold, seconds,
shares and seeders' sizes in a sensible range, names and texts that are not empty. Each refuses
bad text with a one-line usage error, never a traceback from deep inside a query or a run that
cannot end, nor an empty value taken as no option."""

from __future__ import annotations

import argparse
import os
import textwrap
from collections.abc import Callable
from typing import NoReturn, Protocol

from explorer.projections.database import cache_folder
from explorer.store import MAX_INTEGER
from explorer.store.postgres_url import local_path, path_fault


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line, like every other error of the command
    line: `error: what was wrong (see PROG --help)`, exit status 2."""

    def error(self, message: str) -> NoReturn:  # argparse's hook
        self.exit(2, f"error: {message} (see {self.prog} --help)\n")


class WholeWordsFormatter(argparse.HelpFormatter):
    """argparse's help, wrapped without breaking a word at its hyphens: a path such as
    ~/.cache/event-explorer or an option such as --at-position stays on one line, whole."""

    def _split_lines(self, text: str, width: int) -> list[str]:
        return textwrap.wrap(" ".join(text.split()), width, break_on_hyphens=False)

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        return textwrap.fill(" ".join(text.split()), width, initial_indent=indent,
                             subsequent_indent=indent, break_on_hyphens=False)


class AddSubcommand(Protocol):
    """How a module declares a subcommand on the CLI's parser (explorer.cli.main's `add`): its
    name, help and handler; `store`: it takes a STORE; `system`: and --system. Its parser."""

    def __call__(self, name: str, help_text: str,
                 handler: Callable[[argparse.Namespace], int], store: bool = True,
                 system: bool = True) -> argparse.ArgumentParser: ...


MAX_DAYS = 36_500  # a century


def given(what: str) -> Callable[[str], str]:
    """An option's value that names or says something (a name, an id, a time, a filter, a
    text): `what` it is, as the message says it ("an ISO 8601 time"). An empty or blank value
    is refused (`--at-time: expected an ISO 8601 time, not an empty value`) rather than taken
    as no option at all, which a script passing an unset variable would never notice."""
    def value(text: str) -> str:
        if not text.strip():
            raise argparse.ArgumentTypeError(
                f"expected {what}, not {'an empty value' if not text else 'only spaces'}")
        return text
    value.__name__ = what  # argparse names the type in its messages
    return value


def store_path(text: str) -> str:
    """A store (or a new store's) path, or URL, as given: a file:// URI as its path
    (postgres_url.local_path). An empty or blank one is refused: it was taken for the current
    folder ('error: . is a folder, not a store file'); so is one holding a NUL (a URI's %00:
    'error: embedded null byte'), as the window refuses them (postgres_url.path_fault), and a
    path with a space at its start or end that names no file when the one without it does (a
    quoted copy and paste)."""
    if (fault := path_fault(text)) is not None:
        raise argparse.ArgumentTypeError(f"the store's path or URL {fault}")
    path = local_path(text)
    if path != path.strip() and not os.path.lexists(path) and os.path.exists(path.strip()):
        raise argparse.ArgumentTypeError(
            f"{path!r} begins or ends with a space, and there is no such file; {path.strip()!r} "
            "is there: give that")
    return path


store_path.__name__ = "a store's path"


def positive(text: str) -> int:
    """A whole number from 1 to MAX_INTEGER: a position, a version, a count."""
    return _at_least_one(text, _whole(text))


MAX_MATCH_CHARACTERS = 500
"""The longest stream-id pattern (SQLite refuses very long LIKE and GLOB patterns)."""


def match_text(text: str) -> str:
    """A stream-id pattern (`streams --match`) of a length SQLite can compare with."""
    _pattern(text)
    if len(text) > MAX_MATCH_CHARACTERS:
        raise argparse.ArgumentTypeError(
            f"the pattern is {len(text):,} characters long, more than the "
            f"{MAX_MATCH_CHARACTERS} a stream id is matched with; shorten it")
    return text


_pattern = given("a part of a stream id or a * ? pattern")
# the values several subcommands' options take, said alike
STREAM_ID = given("a stream id")
STREAM_TYPE = given("a stream type")
EVENT_TYPE = given("an event type")
FILTER = given("a content filter such as 'data.total > 100'")
COMMAND_DATA = given("the command's fields as a JSON object")
CORRELATION_ID = given("a correlation id")
SYSTEM = given("a system's name or module path")


def natural(text: str) -> int:
    """A whole number from 0 to MAX_INTEGER: an expected version (0: the stream must be new)."""
    value = _whole(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"{_shown(text)} must not be negative")
    return value


def days(text: str) -> int:
    """A simulated period: whole days from 1 to MAX_DAYS (seeding takes time in proportion to
    it, whatever the number of orders)."""
    return _at_least_one(text, _whole(text, most=MAX_DAYS, unit=" days"))


def bounded_size(most: int | None, unit: str = "") -> Callable[[str], int]:
    """A seeder's size: a whole number from 1 to `most` (its max_size), or to MAX_INTEGER;
    `unit` names what is counted in the message (" orders")."""
    def size(text: str) -> int:
        return _at_least_one(text, _whole(text, most=most or MAX_INTEGER, unit=unit))
    size.__name__ = "size"  # argparse names the type in its messages
    return size


def seconds(text: str) -> float:
    """A number of seconds from 0 to an hour."""
    return _number_between(text, 0, 3600, "a number of seconds", "0 and 3600 seconds")


def share(text: str) -> float:
    """A share from 0 to 1, such as a failure rate."""
    return _number_between(text, 0, 1, "a number", "0 and 1 (e.g. 0.1)")


def _number_between(text: str, low: float, high: float, kind: str, bounds: str) -> float:
    """`text` as a number from `low` to `high`; the messages say it is not `kind`, or must be
    between `bounds`."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{_shown(text)} is not {kind}") from None
    if not low <= value <= high:  # also refuses nan
        raise argparse.ArgumentTypeError(f"{_shown(text)} must be between {bounds}")
    return value


def _whole(text: str, most: int = MAX_INTEGER, unit: str = "") -> int:
    digits = text.strip().lstrip("+-")
    if digits.isascii() and digits.isdigit() and len(digits) > len(str(MAX_INTEGER)):
        value = most + 1 if not text.strip().startswith("-") else -1  # too long to parse
    else:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{_shown(text)} is not a whole number") from None
    if value > most:
        raise argparse.ArgumentTypeError(f"{_shown(text)} is too large: at most {most:,}{unit}")
    return value


def _at_least_one(text: str, value: int) -> int:
    if value < 1:
        raise argparse.ArgumentTypeError(f"{_shown(text)} must be 1 or more")
    return value


def _shown(text: str) -> str:
    return repr(text if len(text) <= 30 else text[:30] + "…")


def read_models_note() -> str:
    """Where the read models a subcommand reads or makes are kept (its help's last words)."""
    return ("Read models are made from the store's events on first use and kept beside it, as "
            "STORE.readmodels; for a store that is not written (opened read-only, the "
            f"eventsourcing library's, a bug report) in {cache_folder()}; for a store on a "
            "PostgreSQL server in its schema NAME_readmodels. They are disposable: delete them "
            "and they are made again.")


def search_index_note() -> str:
    """Where `--search`'s index is kept (the help's last words of the subcommands that search)."""
    return ("--search indexes every event on its first use, with progress, and keeps the index "
            "beside the store as STORE.fulltext (for a store that is not written, in "
            f"{cache_folder()}); it is disposable: delete it and it is made again.")
