"""`run` and the window's runner process on a store on a PostgreSQL server outlive a restart of
the server: the loss is said once, the runner is opened again once the server is back, and the
events appended meanwhile are handled. On a cluster of the test's own (it is stopped)."""

from __future__ import annotations

import json
import queue
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.postgres_server import PostgresServer
from tests.backends import a_postgres_server
from tests.cli.test_live_cli import lines_of

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def own_server() -> Iterator[PostgresServer]:
    """A cluster of the test's own: it is stopped and started again."""
    yield from a_postgres_server()


def explorer(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "explorer", *arguments], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=True)


def wait_for(lines: queue.Queue, wanted, seconds: float = 60) -> str:
    """The first line `wanted(line)` accepts, read within `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
        if wanted(line):
            return line


def test_run_goes_on_after_the_server_restarts(own_server):
    url = own_server.url(schema="shop")
    explorer("seed", url, "--orders", "10")
    process = subprocess.Popen([sys.executable, "-m", "explorer", "run", url, "--no-sagas",
                                "--status-every", "0.2"], cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    lines = lines_of(process)
    try:
        first = wait_for(lines, lambda line: line.startswith("position "))
        last = int(first.split()[1].replace(",", ""))
        own_server.pause()
        wait_for(lines, lambda line: line.startswith("Lost the connection to "))
        own_server.resume()
        wait_for(lines, lambda line: "again; going on" in line)
        explorer("command", url, "Inventory", "prod_101", "receive_stock", "--quantity", "5")
        wait_for(lines, lambda line: line.startswith(f"position {last + 1:,} · ")
                 and "stock caught up" in line)
        assert process.poll() is None
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(60) == 0


def test_the_windows_runner_process_goes_on_after_the_server_restarts(own_server):
    url = own_server.url(schema="shop")
    explorer("seed", url, "--orders", "10")
    process = subprocess.Popen([sys.executable, "-m", "explorer", "run", url, "--serve",
                                "--no-sagas"], cwd=ROOT, stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True)
    lines = lines_of(process)
    try:
        assert json.loads(wait_for(lines, lambda line: True))["ready"] is True
        own_server.pause()
        lost = json.loads(wait_for(lines, lambda line: "Lost the connection" in line))
        assert "go on once it is back" in lost["failed"]
        own_server.resume()
        assert "again" in json.loads(wait_for(lines, lambda line: "note" in line))["note"]
        assert json.loads(wait_for(lines, lambda line: True))["ready"] is True
        explorer("command", url, "Inventory", "prod_101", "receive_stock", "--quantity", "5")

        def caught_up(line: str) -> bool:
            status = json.loads(line).get("status")
            return status is not None and any(
                p["name"] == "stock" and p["checkpoint"] == status["last_position"]
                for p in status["projections"]) and status["last_position"] > 0
        wait_for(lines, caught_up)
    finally:
        process.stdin.close()  # the end of its input stops it, as the window's closing does
        assert process.wait(60) == 0
