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
    seed_shop(path, orders, seed)
    return path


def seed_shop(location: str | Path, orders: int, seed: int) -> None:
    """Seed a demo shop store at `location` (a path or a server's URL) by the command line."""
    assert main(["seed", str(location), "--orders", str(orders), "--seed", str(seed)]) == 0
