"""Which runners keep a store's read models: each says so in its read models, so that the others
can tell their users that they share the work (they do by design: see explorer.runtime.runner).

A runner writes a row of itself (`RunnerPresence`) when it opens, refreshes it now and then, and
takes it out when it closes. Whether the runner behind a row still runs is asked of what knows:
on the same machine, whether its process is still there (the same process, not another given its
number since); on a server, whether it still holds its advisory lock (the server drops it the
moment its connection ends: explorer.projections.postgres_readmodels); from another machine, in
a shared file, whether it refreshed its row within STALE_AFTER_S. A killed runner's row is then
no longer taken for a runner, and is taken out by the next runner that looks.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from explorer.common.timestamps import now_micros

REFRESH_EVERY_S = 5.0
"""How often a runner refreshes its row (and looks for the others')."""
STALE_AFTER_S = 60.0
"""A row of a runner on another machine not refreshed for this long is taken as gone."""


@dataclass(frozen=True)
class RunnerPresence:
    """One runner: an id of its own, its process, machine, when it started (microseconds since
    the epoch), what it is ("run", "the window", ...), and its process's start (`token`, where
    the system says it: a process given the same number since is not taken for it)."""

    id: str
    pid: int
    host: str
    started_at: int
    role: str
    token: str | None = None

    @classmethod
    def mine(cls, role: str) -> RunnerPresence:
        """This process, as the runner it opens."""
        pid = os.getpid()
        return cls(uuid.uuid4().hex, pid, socket.gethostname(), now_micros(), role,
                   process_token(pid))

    def alive_here(self) -> bool | None:
        """Whether its process still runs (None: it is another machine's, which cannot be
        asked from here)."""
        if self.host != socket.gethostname():
            return None
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:  # (another user's process: it is there)
            pass
        return self.token is None or process_token(self.pid) in (None, self.token)

    def text(self) -> str:
        """How the user is told of it: "`run`, pid 1234 on host X, started 12:01:05"."""
        started = datetime.fromtimestamp(self.started_at / 1e6).strftime("%H:%M:%S")
        what = "an Event Explorer window's" if self.role == "window" else f"`{self.role}`"
        return f"{what}, pid {self.pid} on host {self.host}, started {started}"


def process_token(pid: int) -> str | None:
    """When the process `pid` started, as the system counts it (None where it does not say:
    only Linux's /proc is read)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rfind(")") + 2:].split()  # (after the command's name, which may hold ' ')
    return fields[19] if len(fields) > 19 else None


def others_text(others: tuple[RunnerPresence, ...] | list[RunnerPresence]) -> str:
    """What a runner says when it finds others keeping the same read models."""
    if len(others) == 1:
        return (f"Another runner ({others[0].text()}) also keeps the read models of this store "
                "up to date: they share the work, no event is handled twice.")
    return (f"{len(others)} other runners ({'; '.join(o.text() for o in others)}) also keep "
            "the read models of this store up to date: they share the work, no event is "
            "handled twice.")


def gone_text(gone: RunnerPresence) -> str:
    """What a runner says when another it told of stops."""
    return f"The other runner ({gone.text()}) stopped: this one goes on with its work."
