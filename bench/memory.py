"""Peak resident memory of a process, as the benches report it."""

from __future__ import annotations

import resource
import sys
from pathlib import Path


def peak_rss_mb(pid: int | None = None) -> float:
    """The peak resident memory of process `pid` (this one by default), in MB.

    Reads VmHWM from /proc. getrusage's ru_maxrss would do for this process, but Linux carries
    it across exec: a driver started by a bench that has just built a million events' read
    models would report the bench's peak as its own. Elsewhere: ru_maxrss for this process
    (bytes on macOS, KB on Linux), and 0 for another.
    """
    try:
        for line in Path(f"/proc/{pid or 'self'}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    if pid is not None:
        return 0.0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024
