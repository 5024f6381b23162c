"""Start Event Explorer: `python main.py [STORE] [--system NAME|package.module:ATTR|none]
[--read-only]`.

Without a store it opens the demo store in the user's data folder, creating and seeding it first.
Without --system, a store is explored with the system it names.
"""

import sys

from explorer.entry import window

if __name__ == "__main__":
    sys.exit(window())
