"""`diff STORE --from P1 --to P2`: the summary, the JSON comparison, and its one-line errors; on
a store file and on a store on a PostgreSQL server."""

from __future__ import annotations

import json

import pytest

from explorer.demo.system import SHOP
from explorer.projections.database import open_read_models
from explorer.system.workspace import open_store
from explorer.timetravel.compare import Comparer
from tests.cli.running import run, seed_shop

pytestmark = pytest.mark.backends


@pytest.fixture
def seeded(shared_location):
    """A shop of 40 orders, seeded once a session for each backend."""
    return shared_location("diff", lambda location: seed_shop(location, orders=40, seed=5))


def test_json_is_the_whole_comparison(seeded, capsys):
    with open_store(seeded, system=SHOP, read_only=True) as store:
        last = store.last_position()
    code, out, err = run(capsys, "diff", seeded, "--from", last // 3, "--to", 2 * last // 3,
                         "--json")
    assert code == 0, err
    shown = json.loads(out)
    with open_store(seeded, system=SHOP, read_only=True) as store, \
            open_read_models(str(seeded), False, read_only=True) as db:
        expected = Comparer(store, db, SHOP).summary(last // 3, 2 * last // 3).to_dict()
    assert shown == json.loads(json.dumps(expected))
    assert shown["events"] == 2 * last // 3 - last // 3
    assert {m["name"] for m in shown["read_models"]} >= {"order_summary", "stock"}


def test_the_summary_lists_streams_read_models_and_sagas(seeded, capsys):
    code, out, err = run(capsys, "diff", seeded, "--from", 0, "--rows", 2)
    assert code == 0, err
    with open_store(seeded, system=SHOP, read_only=True) as store:
        last = store.last_position()
        orders = store.count_streams("Order")
    assert out.startswith(f"From position 0 to {last:,} (live): {last:,} events in ")
    assert any(line.split()[:2] == ["Order", str(orders)] for line in out.splitlines())
    assert f"Order summary (order_summary): {orders} added, 0 changed, 0 removed" in out
    assert out.count("  added    order_") == 2 and "more (--rows N lists more)" in out
    assert "Sagas whose status changed:" in out and "(none) -> " in out


def test_changed_rows_show_their_changed_fields(seeded, capsys):
    with open_store(seeded, system=SHOP, read_only=True) as store:
        last = store.last_position()
    code, out, err = run(capsys, "diff", seeded, "--from", last // 2, "--rows", 50)
    assert code == 0, err
    changed = [line for line in out.splitlines() if line.startswith("  changed  prod_")]
    assert changed and all(" -> " in line for line in changed)


@pytest.mark.parametrize(("args", "message"), [
    (["--from", "9", "--to", "3"], "The first position 9 is after the second 3"),
    (["--from", "99999"], "Position 99,999 (--from) is outside the log"),
    (["--from", "0", "--to", "99999"], "Position 99,999 (--to) is outside the log"),
    (["--from", "-1"], "argument --from: '-1' must not be negative"),
])
def test_bad_positions_are_one_line_and_exit_2(seeded, capsys, args, message):
    try:
        code, out, err = run(capsys, "diff", seeded, *args)
    except SystemExit as exit:  # argparse's own refusal
        code, (out, err) = exit.code, capsys.readouterr()
    assert code == 2 and out == ""
    assert message in err and len(err.strip().splitlines()) == 1


def test_a_faulted_read_model_or_sagas_built_short_of_b_is_said(store_location, capsys,
                                                               monkeypatch):
    """A read model stopped by a fault misses every change after it: diff warns of the fault
    and says how far each is built, the sagas' too (before, a faulted sagas read model's
    missing status changes were shown as if there were none)."""
    from explorer.demo.projections import FulfilmentSagasProjection, StockProjection

    seed_shop(store_location, orders=12, seed=3)
    with open_store(store_location, system=SHOP, read_only=True) as store:
        last = store.last_position()
        stopped = next(e.position for e in store.read_all()
                       if e.position > last // 2 and e.stream_type == "OrderFulfilment")
        stock_stop = next(e.position for e in store.read_all()
                          if e.position > last // 3 and e.event_type in StockProjection.event_types)
    for cls, at in ((FulfilmentSagasProjection, stopped), (StockProjection, stock_stop)):
        def failing(self, event, writes, _handle=cls.handle, _at=at):
            if event.position == _at:
                raise RuntimeError("a bug")
            _handle(self, event, writes)
        monkeypatch.setattr(cls, "handle", failing)
    code, out, err = run(capsys, "diff", store_location, "--from", 0)
    assert code == 0, err
    assert "Sagas whose status changed: " in out
    assert f"(built to position {stopped - 1:,} only)" in out.split("Sagas whose")[1]
    assert f"warning: sagas is faulted at position {stopped} " in err
    assert "Stock per product (stock): " in out
    stock_line = out.split("(stock)")[1].splitlines()[0]
    assert f"(built to position {stock_stop - 1:,} only)" in stock_line
    assert f"warning: stock is faulted at position {stock_stop} " in err
    code, out, err = run(capsys, "diff", store_location, "--from", 0, "--json")
    assert json.loads(out)["sagas_built_to"] == stopped - 1
    whole = min(stopped, stock_stop) - 1
    code, out, err = run(capsys, "diff", store_location, "--from", 0, "--to", whole)
    assert "only)" not in out and "faulted" not in err  # (each whole up to B)
