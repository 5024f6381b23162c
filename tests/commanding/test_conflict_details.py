"""A conflict names the events another writer appended in between, not only version numbers."""

from __future__ import annotations

from explorer.commanding import sending as console
from explorer.commanding.history import History
from explorer.commanding.sending import CommandRequest, Outcome, OutcomeKind, send
from explorer.demo import DEMO_DOMAIN
from explorer.demo.system import SHOP
from tests.conftest import LINE, place_order


def test_a_conflict_names_the_events_that_came_in_between(service, store):
    place_order(service, "order_1")
    for _ in range(2):  # another writer, after the sender read version 1
        service.execute("Order", "order_1", "add_item", LINE)
    outcome = send(service, CommandRequest("Order", "order_1", "cancel", {"reason": "late"},
                                           expected_version=1), SHOP)
    assert outcome.kind == OutcomeKind.CONFLICT and (outcome.expected, outcome.actual) == (1, 3)
    added = [(e.position, e.event_type) for e in store.read_stream("order_1", from_version=2)]
    assert outcome.between == tuple(added)
    assert [t for _, t in outcome.between] == ["OrderItemAdded", "OrderItemAdded"]


def test_a_long_way_behind_names_the_first_few(service, store, monkeypatch):
    monkeypatch.setattr(console, "BETWEEN_LIMIT", 2)
    place_order(service, "order_1")
    for _ in range(4):
        service.execute("Order", "order_1", "add_item", LINE)
    outcome = send(service, CommandRequest("Order", "order_1", "cancel", {"reason": "late"},
                                           expected_version=1), SHOP)
    assert outcome.actual == 5 and len(outcome.between) == 2
    assert outcome.between[0][0] == store.read_stream("order_1", from_version=2)[0].position


def test_the_events_in_between_are_kept_in_the_history():
    outcome = Outcome(OutcomeKind.CONFLICT, "changed", expected=1, actual=3,
                      between=((41, "OrderItemAdded"), (44, "OrderItemAdded")))
    assert outcome.to_dict()["between"] == [{"position": 41, "event_type": "OrderItemAdded"},
                                            {"position": 44, "event_type": "OrderItemAdded"}]
    history = History(domain=DEMO_DOMAIN)
    history.add(CommandRequest("Order", "o", "cancel", {"reason": "x"}), outcome)
    again = History.from_list(history.to_list(), DEMO_DOMAIN)
    assert again.entries[0].outcome.between == outcome.between
    older = {k: v for k, v in outcome.to_dict().items() if k != "between"}  # saved before
    assert Outcome.from_dict(older).between == ()
