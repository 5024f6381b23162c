"""`state` of a stream with an event its system cannot read (a type it no longer declares, an
upcaster that failed) says how many events were skipped, beside the warning naming each, and
lists them in --json: the state shown lacks what they did."""

from __future__ import annotations

import json

from explorer.demo.system import SHOP
from explorer.domain import CommandService
from explorer.store import EventStore, NewEvent
from explorer.system.workspace import open_store
from tests.cli.running import run


def test_skipped_events_are_counted_and_listed(tmp_path, capsys):
    """(Helper G: after a plug-in renamed TicketRefunded, `state ticket.5@paris` said 'at
    version 2 (2 events replayed)' and showed the ticket issued, the refund not counted as
    skipped but as replayed, and --json said nothing of it.)"""
    path = tmp_path / "shop.evstore"
    with open_store(path, system=SHOP, create=True) as store:
        CommandService(store, SHOP.domain).execute("Inventory", "prod_9", "receive_stock", {
            "quantity": 5})
    with EventStore.open(path) as store:  # (no system: any type is stored as it comes)
        store.append("prod_9", "Inventory", [NewEvent("InventoryRecounted", {"quantity": 4})], 1)
    code, out, err = run(capsys, "state", path, "prod_9", "--system", "shop")
    assert code == 0
    assert out.startswith("Inventory prod_9 at version 2 (1 event replayed, 1 skipped)\n")
    assert err == ("warning: Version 2 (InventoryRecounted) was skipped: unknown event type "
                   "'InventoryRecounted'.\n")
    code, out, _ = run(capsys, "state", path, "prod_9", "--system", "shop", "--json")
    assert json.loads(out)["skipped"] == [
        "Version 2 (InventoryRecounted) was skipped: unknown event type 'InventoryRecounted'."]
