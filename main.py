"""Start Event Explorer: `python main.py [STORE] [--read-only]`.

Without a store it opens the demo store in the user's data folder, creating and seeding it first.
"""

import sys

from explorer.ui.app import main

if __name__ == "__main__":
    sys.exit(main())
