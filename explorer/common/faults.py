"""Where a user's code raised: said in a fault's text, so that its author can find the line."""

from __future__ import annotations

import sys
import traceback


def raised_in(error: BaseException, owner: object = None) -> str:
    """"handle, todo.py line 83": the function, file and line an error was raised at; with an
    `owner` (a class or function of the user's), the deepest frame in its module, if any, since
    the deepest of all may be in a library it called."""
    frames = traceback.extract_tb(error.__traceback__)
    if not frames:
        return "where it was raised is not known"
    module = sys.modules.get(getattr(owner, "__module__", "") or "")
    own = getattr(module, "__file__", None)
    where = next((frame for frame in reversed(frames) if frame.filename == own), frames[-1])
    return f"{where.name}, {where.filename} line {where.lineno}"
