"""`script` says when the sagas have reacted to none of its steps (review: a script whose text
says "the saga takes it from here" ended "3 of 3 steps ended as expected" on a store no runner
was running the sagas of, and nothing said why the saga never started)."""

from __future__ import annotations

from pathlib import Path

from tests.cli.running import run, seeded_shop

SCRIPT = Path(__file__).resolve().parents[2] / "resources" / "scripts" / "happy-path-order.yaml"


def test_a_script_no_saga_reacted_to_says_so_and_how_to_let_them(tmp_path, capsys):
    store = seeded_shop(tmp_path, 10, 1)
    code, out, err = run(capsys, "script", store, SCRIPT, "--delay", "0")
    assert code == 0 and "3 of 3 steps ended as expected" in out
    assert err.startswith("note: the sagas (order_fulfilment) have not reacted to these steps")
    assert "--run-sagas" in err and err.count("\n") == 1
    code, out, err = run(capsys, "script", store, SCRIPT, "--delay", "0", "--run-sagas")
    assert code == 0 and err == ""


def test_a_saga_that_faults_while_a_script_plays_with_run_sagas_is_said(tmp_path, capsys,
                                                                          monkeypatch):
    # (the script ended "2 of 2 steps ended as expected" and nothing said that the saga its
    # story counts on had stopped at its first step)
    from explorer.system.workspace import open_store
    from tests.sagas import faulty

    store = tmp_path / "tasks.evstore"
    open_store(str(store), system=faulty.SYSTEM, create=True).close()
    script = tmp_path / "tasks.yaml"
    script.write_text("name: tasks\nsteps:\n"
                      "  - {stream_type: Task, stream_id: t1, command: create, "
                      "data: {title: one}}\n"
                      "  - {stream_type: Task, stream_id: t1, command: complete}\n")
    monkeypatch.setitem(faulty.BROKEN, "observe", True)
    code, out, err = run(capsys, "script", store, script, "--delay", "0", "--run-sagas",
                         "--system", "tests.sagas.faulty:SYSTEM")
    assert code == 0 and "2 of 2 steps ended as expected" in out
    assert err.startswith("warning: Saga archiver stopped at position 2 (TaskCompleted of "
                          "Task t1): KeyError: 'observe broke'")
    assert err.count("\n") == 1
