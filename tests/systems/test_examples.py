"""The README's "Explore your own system": its one-file example is examples/bank_account.py as
it is, that file loads by module path and works, and the commands the README gives for it run.
And the test command installs every example package, in the README and in CI alike."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from explorer.commanding.sending import CommandRequest, OutcomeKind, send
from explorer.domain import CommandService, Repository
from explorer.runtime.runner import Runner
from explorer.system.discovery import load_system
from explorer.system.workspace import open_store
from explorer.timetravel.machine import TimeMachine

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "bank_account.py"
SPEC = "bank_account:SYSTEM"


def section(title: str) -> str:
    text = (ROOT / "README.md").read_text()
    start = text.index(f"\n## {title}\n")
    end = text.index("\n## ", start + 1)
    return text[start:end]


def blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", text, re.S)


@pytest.fixture
def bank(monkeypatch):
    monkeypatch.syspath_prepend(str(EXAMPLE.parent))
    yield load_system(SPEC)
    sys.modules.pop("bank_account", None)


def test_the_readme_shows_the_one_file_example_as_it_is():
    assert blocks(section("Explore your own system"), "python") == [EXAMPLE.read_text()]


def test_the_readmes_commands_for_the_example_run(tmp_path):
    lines = [line for block in blocks(section("Explore your own system"), "sh")
             for line in block.splitlines()
             if line.startswith("PYTHONPATH=examples python -m explorer ")]
    assert len(lines) >= 4
    env = {**__import__("os").environ, "PYTHONPATH": str(EXAMPLE.parent)}
    outputs = []
    for line in lines:
        words = shlex.split(line.removeprefix("PYTHONPATH=examples python -m explorer "))
        words = [str(tmp_path / word) if word.endswith(".evstore") else word for word in words]
        done = subprocess.run([sys.executable, "-m", "explorer", *words], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, (line, done.stderr)
        outputs.append(done.stdout)
    assert "Bank accounts: 20 accounts" in outputs[0]
    assert outputs[1].startswith("Account acct_0001 at version")
    assert outputs[2].split()[:4] == ["ACCOUNT_ID", "OWNER", "BALANCE", "MOVEMENTS"]
    assert "withdraw" in outputs[3]


def test_the_one_file_system_loads_and_works(bank, tmp_path):
    assert (bank.name, [p.name for p in bank.projections()]) == ("bank", ["balances"])
    path = tmp_path / "bank.evstore"
    with open_store(path, system=bank, create=True) as store:
        report = bank.seeder.seed(store, size=12, seed=1, days=1, recent=False)
    assert report["accounts"] == 12 and report["events"] > 12
    with Runner(str(path), bank) as runner:
        runner.run_pending()
        store = runner.store
        repository = Repository(store, bank.domain)
        rows = runner.engine.rows("balances", limit=None)
        assert len(rows) == 12
        for row in rows:
            account = repository.load("Account", row["account_id"]).aggregate
            assert (row["owner"], row["balance"]) == (account.owner, account.balance)
        service = CommandService(store, bank.domain, issued_by="test")
        refused = send(service, CommandRequest("Account", "acct_0001", "withdraw",
                                               {"amount": 1_000_000.0}), bank)
        assert refused.kind == OutcomeKind.REJECTED and "its balance is" in refused.message
        new_id = bank.new_id("Account")
        assert new_id.startswith("acct_")
        opened = send(service, CommandRequest("Account", new_id, "open", {"owner": "Ada"}), bank)
        assert opened.ok and opened.event_types == ("AccountOpened",)
        machine = TimeMachine(store, runner.db, bank)
        first = store.read_stream("acct_0001")[1]
        assert machine.aggregate_at("acct_0001", first.position).state["balance"] == \
            first.data["balance"]


def test_the_test_command_installs_every_example_package_in_the_readme_and_in_ci():
    readme = [line for block in blocks(section("Set up"), "sh") for line in block.splitlines()
              if "pytest" in line]
    ci = [line for line in (ROOT / ".ci" / "run").read_text().splitlines() if "pytest" in line]
    assert readme == ci and len(ci) == 1
    for package in sorted((ROOT / "examples").glob("*/pyproject.toml")):
        assert f" -e examples/{package.parent.name}" in ci[0], package.parent.name
