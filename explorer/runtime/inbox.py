"""What a runner serving the window is asked to do (`Runner.serve`), as `run --serve` reads it.

Commands are queued in the order they come. A cancel stops the rebuild running and every
rebuild asked for before it: those not begun yet (the runner busy with other work) are marked
{"cancelled": true}, and the runner does not begin them, so their read models stay as they are;
a rebuild asked for after a cancel runs. The end of the input stops the runner the same way:
nothing still queued is begun, and the rebuild running stops (what it rebuilt is kept).
"""

from __future__ import annotations

import queue
import threading
from typing import Any


class ServeInbox:
    """The commands, the stop and the cancel `Runner.serve` takes, fed one command at a time."""

    def __init__(self) -> None:
        self.commands: queue.SimpleQueue[dict[str, Any]] = queue.SimpleQueue()
        self.stop = threading.Event()
        self.cancel = threading.Event()
        self._asked: list[dict[str, Any]] = []  # rebuilds queued since the last cancel

    def take(self, command: dict[str, Any]) -> None:
        """Queue a command, or carry out a cancel ({"cancel": true})."""
        if command.get("cancel"):
            self._cancel_asked()
            self.cancel.set()
            return
        if "rebuild" in command:
            self._asked.append(command)
        self.commands.put(command)

    def end(self) -> None:
        """No more commands: the runner stops, beginning nothing still queued."""
        self._cancel_asked()
        self.stop.set()
        self.cancel.set()

    def _cancel_asked(self) -> None:
        for rebuild in self._asked:  # (one begun already reads its mark no more)
            rebuild["cancelled"] = True
        self._asked.clear()
