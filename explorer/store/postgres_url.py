"""Telling a store on a PostgreSQL server's URL from a file path, without loading the driver
(and a file named by a file:// URI, its path); and the passwords given in such URLs, kept in
this process's memory only.

The window, the command line and the workspace ask this of every target they are given; the
driver (psycopg) is imported only when a server store is opened (explorer.store.postgres).
A store is named by its URL without a password (its `location`); the window's workers, its
reopenings and its runner process connect by that name, so a password given in a URL is kept
here, by server, user and database, and handed to the runner in its environment: never written.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import TypeGuard
from urllib.parse import unquote_to_bytes

import sqlalchemy as sa

from explorer.store.errors import StoreOpenError

SCHEMES = ("postgresql", "postgres", "postgresql+psycopg")
_passwords: dict[tuple[str | None, int | None, str | None, str | None], str] = {}
PasswordPrompt = Callable[[str], "str | None"]
"""Asks the person at hand for the password of a server (named by its URL without one)."""
_prompt: list[PasswordPrompt] = []


def is_server_url(target: str | Path) -> TypeGuard[str]:
    """Whether `target` names a store on a PostgreSQL server rather than a file."""
    return isinstance(target, str) and "://" in target \
        and target.split("://", 1)[0].lower() in SCHEMES


NUL_IN_PATH = "holds a NUL character (\\0, pasted with the text?), which no file's name holds"


def path_fault(target: str) -> str | None:
    """What makes `target` (a store's path or URL, or a file's path, as typed or given) name
    nothing at all, as the end of a sentence that names it ("The store's path or URL " + it):
    'is empty', 'is only spaces', or that it holds a NUL character (a file:// URI's %00 too);
    None when it may name something. The window and the command line refuse such a target
    before using it: an empty one was taken for the current folder, a blank one for a new
    store's name, and a NUL failed deep inside with 'embedded null byte'."""
    if not target.strip():
        return "is empty" if not target else "is only spaces"
    if "\x00" in target or "\x00" in local_path(target):
        return NUL_IN_PATH
    return None


def local_path(target: str) -> str:
    """A store named by a file URI (file:///home/me/My%20shop.evstore, as file managers, pasted
    links and launchers give a file) as its path, percent-escapes decoded (file://localhost
    too); any other target as it is. The window and every subcommand of the command line take
    their stores through this: a URI was taken for a relative path, or refused as a database
    this version does not open.

    A `#` or `?` in it is part of the file's name (a file has no fragment or query): a path
    with file:// put before it by hand (file:///tmp/a#b.evstore) was taken as /tmp/a, another
    file, which a `seed` or `create` made. A `%` not followed by two hex digits is kept as it is,
    and a name that holds what looks like an escape (a file named a%23b.evstore, no a#b.evstore
    beside it) is that file."""
    if target[:5].lower() != "file:" or Path(target).exists():
        return target
    rest = target[5:]
    netloc, raw = "", rest
    if rest.startswith("//"):  # (urlsplit would cut the name at its first '#' or '?')
        netloc, slash, after = rest[2:].partition("/")
        raw = slash + after
    if netloc.lower() not in ("", "localhost") or not raw.startswith("/"):
        return target  # (another machine's file, or no path: said when opened)
    path = _local(os.fsdecode(unquote_to_bytes(raw)))  # (a name not UTF-8 kept as its bytes)
    if path != raw and not Path(path).exists() and Path(_local(raw)).exists():
        return _local(raw)  # (its name holds a '%' the URI left as it was)
    return path


def _local(path: str) -> str:
    """A file URI's path as this system writes it."""
    if os.name == "nt" and re.match(r"/[A-Za-z]:", path):  # pragma: no cover (Windows)
        return path[1:]  # (file:///C:/shop.evstore)
    return path


def _server(url: sa.URL) -> tuple[str | None, int | None, str | None, str | None]:
    return url.host, url.port, url.username, url.database


def with_remembered_password(url: sa.URL) -> sa.URL:
    """Remember the URL's password; or, without one, give it the one remembered for its
    server, user and database (if any)."""
    if url.password is not None:
        _passwords[_server(url)] = str(url.password)
        return url
    known = _passwords.get(_server(url))
    return url if known is None else url.set(password=known)


def remembered_password(location: str) -> str | None:
    """The password remembered for a store's URL (None: none given, or not a URL)."""
    if not is_server_url(location):
        return None
    try:
        return _passwords.get(_server(sa.make_url(location)))
    except (sa.exc.ArgumentError, ValueError):  # (ValueError: a port that is not a number)
        return None


def without_password(url: sa.URL) -> str:
    """The URL as shown: without its password (URL.set leaves a None unchanged: made anew)."""
    return sa.URL.create(url.drivername, url.username, None, url.host, url.port, url.database,
                         url.query).render_as_string(hide_password=False)


def unencoded_at(target: str) -> bool:
    """Whether a server URL's part before its host holds an @ that is not percent-encoded (in
    a password, say): read as it is, the password's end would be taken for the host."""
    _, found, rest = target.partition("://")
    authority = rest.split("/", 1)[0].split("?", 1)[0]
    return bool(found) and authority.count("@") > 1


def shown(target: str) -> str:
    """A target as it may be shown: a server's URL without its password, a path as it is."""
    if not is_server_url(target):
        return target
    if unencoded_at(target):  # (no part of its password shown as its host)
        return "a database URL"
    try:
        return without_password(sa.make_url(target))
    except (sa.exc.ArgumentError, ValueError):  # (ValueError: a port that is not a number)
        return "a database URL"


class PasswordRefusedError(StoreOpenError):
    """A server wants a password that was not given (no URL, PGPASSWORD, .pgpass or prompt gave
    one), or refused the one given. `location`: the store's URL without a password; `reason`:
    the server's own words (without the password). Asking the person again may open it."""

    def __init__(self, message: str, *, location: str, reason: str) -> None:
        super().__init__(message)
        self.location = location
        self.reason = reason


def remember_password(location: str, password: str) -> None:
    """Keep `password` (in this process's memory only) for the server, user and database of
    `location`, a store's URL: later connections to it use it."""
    with_remembered_password(sa.make_url(location).set(password=password))


def forget_password(location: str) -> None:
    """Forget the password remembered for `location`'s server, user and database (a refused
    one: the next connection is made without it, or with what PGPASSWORD/.pgpass give)."""
    with contextlib.suppress(sa.exc.ArgumentError, ValueError):
        _passwords.pop(_server(sa.make_url(location)), None)


def ask_for_passwords_with(prompt: PasswordPrompt | None) -> None:
    """Who to ask when a server wants a password that no URL, PGPASSWORD or .pgpass gave (the
    command line on a terminal: getpass); None: nobody, the connection fails saying so."""
    _prompt[:] = [prompt] if prompt is not None else []


def asked_password(url: sa.URL) -> str | None:
    """The password the prompt gives for `url` (remembered for the process), or None."""
    if not _prompt:
        return None
    password = _prompt[0](without_password(url))
    if password:
        with_remembered_password(url.set(password=password))
    return password or None
