"""The runner status samples the monitor plots draw, kept without loading pyqtgraph."""

from __future__ import annotations

from collections import deque

from explorer.runtime.runner import RunnerStatus

WINDOW_S = 300


class MonitorHistory:
    """The samples the plots draw, kept from the moment a store is opened (plots or not)."""

    def __init__(self) -> None:
        self.samples: deque[RunnerStatus] = deque()

    def add(self, status: RunnerStatus) -> None:
        self.samples.append(status)
        while self.samples and status.at - self.samples[0].at > WINDOW_S:
            self.samples.popleft()

    def clear(self) -> None:
        self.samples.clear()
