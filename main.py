"""Start Event Explorer: `python main.py [STORE]`.

Without a store it opens the demo store in the user's data folder, creating and seeding it first.
"""

from __future__ import annotations

import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    from explorer.cli.main import main as cli_main
    from explorer.workspace import default_demo_store, ensure_demo_store

    if len(argv) > 1 or (argv and argv[0].startswith("-")):
        print("usage: python main.py [STORE]", file=sys.stderr)
        return 2
    if argv:
        store = Path(argv[0])
    else:
        store = default_demo_store()
        if not store.exists():
            print(f"Creating the demo store {store} ...", file=sys.stderr)
        ensure_demo_store(store)
    return cli_main(["summary", str(store)])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
