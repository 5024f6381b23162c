"""Running the command line in-process, as the CLI tests do."""

from __future__ import annotations

from pathlib import Path

from explorer.cli import main


def run(capsys, *args) -> tuple[int, str, str]:
    """`python -m explorer ARGS...`: its exit code, standard output and standard error."""
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def seeded_shop(folder: Path, orders: int, seed: int) -> Path:
    """A demo shop store in `folder`, seeded by the command line."""
    path = folder / "shop.evstore"
    assert main(["seed", str(path), "--orders", str(orders), "--seed", str(seed)]) == 0
    return path
