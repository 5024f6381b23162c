"""Whether a process of this machine still runs, on POSIX and on Windows."""

from __future__ import annotations

import os
import sys

if sys.platform == "win32":  # pragma: no cover (Windows)
    import ctypes
    from ctypes import wintypes

    _STILL_ACTIVE = 259
    _QUERY_LIMITED_INFORMATION = 0x1000
    _ACCESS_DENIED = 5

    def process_runs(pid: int) -> bool:
        """Whether the process `pid` runs (one of another user counts: it may). Not
        `os.kill(pid, 0)`, which on Windows sends CTRL_C_EVENT."""
        kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
        handle = kernel32.OpenProcess(_QUERY_LIMITED_INFORMATION, False, pid)
        if not handle:
            return bool(ctypes.get_last_error() == _ACCESS_DENIED)
        try:
            code = wintypes.DWORD()
            if not kernel32.GetExitCodeProcess(handle, ctypes.byref(code)):
                return True
            return bool(code.value == _STILL_ACTIVE)
        finally:
            kernel32.CloseHandle(handle)

else:

    def process_runs(pid: int) -> bool:
        """Whether the process `pid` runs (one of another user counts: it may)."""
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:  # (another user's)
            return True
        return True
