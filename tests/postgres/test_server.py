"""The tests' throwaway server: a machine without the server programs fails the run, saying
how to install them or how to opt out (never a silent skip)."""

from __future__ import annotations

import pytest

from bench import postgres_server as server


def test_without_the_server_programs_the_run_fails_naming_the_fix_and_the_opt_out(monkeypatch):
    monkeypatch.setattr(server.shutil, "which", lambda name: None)
    monkeypatch.setattr(server.glob, "glob", lambda pattern: [])
    with pytest.raises(server.ServerUnavailableError) as refused:
        server.find_programs()
    said = str(refused.value)
    assert "apt-get install postgresql" in said and f"{server.OPT_OUT}=1" in said


def test_a_server_that_cannot_start_says_why_and_leaves_nothing(monkeypatch):
    monkeypatch.setattr(server.PostgresServer, "_run", lambda self, *arguments: (_ for _ in ())
                        .throw(server.ServerUnavailableError("initdb failed (1): no space")))
    cluster = server.PostgresServer()
    with pytest.raises(server.ServerUnavailableError, match="no space"):
        cluster.start()
    assert not cluster.folder.exists()
