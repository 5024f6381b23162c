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
