"""`create`: a new, empty store for a system's commands to fill (review: for a system without a
seeder, `seed` said to send its commands to a new store, and `command` said there was no store
and to use `seed`: no way round from the command line)."""

from __future__ import annotations

import orjson

from explorer.demo.system import SHOP
from explorer.system.workspace import open_store
from tests.cli.running import run


def test_create_makes_an_empty_store_that_names_its_system(tmp_path, capsys):
    path = tmp_path / "mine.evstore"
    code, out, err = run(capsys, "command", path, "Order", "order_1", "place")
    assert code == 1 and "`create` (an empty one" in err and not path.exists()
    code, out, err = run(capsys, "create", path, "--system", "shop")
    assert code == 0 and err == ""
    assert out.startswith(f"Made {path}, an empty store of ")
    with open_store(path, system=SHOP, read_only=True) as store:
        assert store.last_position() == 0
    data = orjson.dumps({"customer_id": "cust_1", "total": 10.0, "items": [
        {"product_id": "prod_101", "quantity": 1, "price": 10.0}]}).decode()
    code, out, err = run(capsys, "command", path, "Order", "order_1", "place", "--data", data)
    assert code == 0, err  # its system is found from the store: no --system needed


def test_create_refuses_what_is_there_and_a_missing_system(tmp_path, capsys):
    path = tmp_path / "mine.evstore"
    path.write_bytes(b"not mine")
    code, out, err = run(capsys, "create", path, "--system", "shop")
    assert code == 1 and "exists already" in err and path.read_bytes() == b"not mine"
    other = tmp_path / "other.evstore"
    code, out, err = run(capsys, "create", other)
    assert code == 2 and "create needs --system" in err and not other.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.evstore"]
