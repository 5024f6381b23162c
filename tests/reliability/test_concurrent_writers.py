"""Four writer processes, 500 commands each, on the same few products and shared orders at once
(no runner): every command a writer was told was written is in the store, the store holds no
event no writer reported, no stream version is stored twice, positions have no gaps and `check`
passes.

The writers and checks are the soak's (bench/soak.py); `python bench/run.py soak` runs them for
longer, beside the runners.
"""

from __future__ import annotations

from bench.soak import audit, check_failures, read_written, start_writer
from explorer.demo.system import SHOP
from explorer.system.workspace import open_store

WRITERS = 4
COMMANDS = 500  # each
PRODUCTS = ("prod_101", "prod_102")  # every order and delivery is for these
SHARED_ORDERS = 3  # every writer places (the first one wins) and adds items to these
MIX = (25, 35, 10, 30)  # percent orders placed, deliveries, cancellations, items added to shared


def test_four_writers_on_shared_streams_lose_nothing_and_store_nothing_twice(tmp_path):
    store = tmp_path / "shop.evstore"
    open_store(store, system=SHOP, create=True).close()
    logs = [tmp_path / f"writer{n}.jsonl" for n in range(WRITERS)]
    writers = [start_writer(store, f"w{n}", log, commands=COMMANDS, seed=n, products=PRODUCTS,
                            mix=MIX, shared_orders=SHARED_ORDERS)
               for n, log in enumerate(logs)]
    for n, writer in enumerate(writers):
        assert writer.wait(timeout=600) == 0, logs[n].with_suffix(".err").read_text()[-3000:]
    written = read_written(logs)
    assert written.unfinished_logs == 0
    assert len(written.commands) + written.refused == WRITERS * COMMANDS
    assert written.conflicts > 0  # they did write to the same streams at the same moments
    shared = {f"order_shared_{n}" for n in range(1, SHARED_ORDERS + 1)}
    assert {c["stream_id"] for c in written.commands if c["command"] == "add_item"} == shared
    assert sum(c["stream_id"] in shared and c["command"] == "place"
               for c in written.commands) == SHARED_ORDERS  # each placed once, by one writer

    found = audit(store, written)
    assert found["lost"] == 0  # every command a writer was told was written is there
    assert found["duplicates"] == 0  # no (stream, version) twice
    assert found["gaps"] == 0
    reported = {event_id for command in written.commands for event_id in command["events"]}
    with open_store(store, system=SHOP, read_only=True) as opened:
        stored = [event.event_id for event in opened.read_all()]
        versions = {info.stream_id: info.version for info in opened.list_streams()}
    assert len(stored) == len(set(stored)) == len(reported)
    assert set(stored) == reported  # nothing written twice by a retry, nothing unreported
    for stream_id in shared:  # each shared order holds exactly the events reported for it
        assert versions[stream_id] == sum(len(c["events"]) for c in written.commands
                                          if c["stream_id"] == stream_id)
    assert check_failures(store) == 0  # positions, versions, the hash chain
