"""A lending library: an example of a system of one's own for Event Explorer.

Members join and may be suspended; books are acquired, lent, returned and lost; a lending saga
takes each loan from the request to its end. Install this package (`pip install -e
examples/library`) and the explorer finds it as `library`:

    python -m explorer seed lib.evstore --system library
    python main.py lib.evstore
"""

from event_explorer_library.system import SYSTEM

__all__ = ["SYSTEM"]
