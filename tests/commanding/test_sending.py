"""Sending commands by hand: every input ends as events or a clear message, never half-written."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from explorer.commanding.history import History
from explorer.commanding.sending import (
    CommandRequest,
    Outcome,
    OutcomeKind,
    like_event,
    owner_of,
    send,
    writable_types,
)
from explorer.demo import DEMO_DOMAIN
from explorer.demo.system import SHOP
from explorer.domain import CommandService
from explorer.domain.forms import FieldSpec, example_value, form_of
from explorer.system.workspace import open_store
from tests.conftest import ADDRESS, place_order

KINDS = set(OutcomeKind)


def test_each_kind_of_outcome(system, case, system_service, system_store):
    refused = send(system_service, case.refused, system)
    assert refused.kind == OutcomeKind.REJECTED and case.refused.stream_id in refused.message
    invalid = send(system_service, case.invalid, system)
    assert invalid.kind == OutcomeKind.INVALID
    assert {p.field for p in invalid.problems} == case.invalid_fields
    created = send(system_service, replace(case.create, expected_version=0), system)
    assert created.ok and created.event_types == case.created and created.version == 1
    assert created.positions == (system_store.last_position(),)
    stale = send(system_service, replace(case.change, expected_version=0), system)
    assert stale.kind == OutcomeKind.CONFLICT and (stale.expected, stale.actual) == (0, 1)
    assert "reload" in stale.message
    unknown = send(system_service, replace(case.change, command="teleport", data={}), system)
    assert unknown.kind == OutcomeKind.INVALID and "teleport" in unknown.message
    mismatch = send(system_service, case.wrong_type, system)
    assert mismatch.kind in (OutcomeKind.FAILED, OutcomeKind.REJECTED)
    assert case.create.stream_id in mismatch.message
    assert system_store.last_position() == 1  # only the created stream was written


def test_saga_streams_cannot_be_written_by_hand(system, case, system_service, system_store):
    assert writable_types(system) == list(case.writable)
    for saga in system.sagas:
        assert saga.stream_type not in writable_types(system)
        stream_id = f"{saga.stream_prefix}x_1"
        refusal = send(system_service, CommandRequest(saga.stream_type, stream_id, "observe"),
                       system)
        assert refusal.kind == OutcomeKind.REJECTED and "saga" in refusal.message
        assert f"belongs to the {saga.title} saga" in owner_of(system, saga.stream_type,
                                                              stream_id)
    assert owner_of(system, case.create.stream_type, case.create.stream_id) is None
    assert system_store.last_position() == 0


def test_a_command_like_the_one_that_caused_an_event(service, store):
    place_order(service, "order_9", currency="EUR")
    placed = store.read_stream("order_9")[0]
    request = like_event(placed, SHOP)
    assert (request.stream_type, request.stream_id, request.command) == ("Order", "order_9",
                                                                         "place")
    assert request.data["customer_id"] == "cust_456" and request.data["currency"] == "EUR"
    assert request.data["items"] == [{"product_id": "prod_123", "quantity": 2, "price": 29.99}]
    service.execute("Customer", "cust_1", "register", {"name": "A", "email": "a@b.co",
                                                       "address": ADDRESS})
    assert like_event(store.read_stream("cust_1")[0], SHOP).data["address"] == ADDRESS
    # odd data (say, written by an older or a foreign writer) fills what fits, never crashes
    for items in (None, "two", {"product_id": "p"}, [1, "x", None]):
        odd = placed._replace(data={**placed.data, "items": items})
        request = like_event(odd, SHOP)
        assert request.command == "place" and request.data["customer_id"] == "cust_456"
        assert request.data.get("items", []) == []


def test_history_keeps_outcomes_and_favourites_and_survives_bad_data():
    history = History(domain=DEMO_DOMAIN)
    first = history.add(CommandRequest("Order", "o", "cancel", {"reason": "x"}),
                        Outcome(OutcomeKind.REJECTED, "no"))
    history.add(CommandRequest("Order", "o", "place", {}),
                Outcome(OutcomeKind.EVENTS, "ok", (5,), ("A",), 1),
                store="/shop.evstore")
    assert history.entries[1] == first and first.store is None
    assert history.entries[0].store == "/shop.evstore"
    history.toggle_favourite(1)
    assert history.favourites()[0].request.command == "cancel"
    again = History.from_list(history.to_list(), DEMO_DOMAIN)
    assert again.entries == history.entries
    for _ in range(600):
        history.add(CommandRequest("Order", "o", "ship", {}), Outcome(OutcomeKind.INVALID, "bad"))
    assert len(history.entries) == 501 and history.favourites()  # the favourite is kept
    assert History.from_list([{"nonsense": 1}, "x", None], DEMO_DOMAIN).entries == []
    assert History.from_list("not a list", DEMO_DOMAIN).entries == []
    saved = history.to_list()[0]
    assert History.from_list([{**saved, "store": 42}], DEMO_DOMAIN).entries[0].store is None
    assert History.from_list([{k: v for k, v in saved.items() if k != "store"}],
                             DEMO_DOMAIN).entries


def _value(spec: FieldSpec) -> st.SearchStrategy:
    """Values for a field: mostly plausible, sometimes out of range, of the wrong type, absent."""
    junk = st.one_of(st.none(), st.booleans(), st.integers(-10**9, 10**9), st.text(max_size=30),
                     st.floats(allow_nan=True, allow_infinity=True), st.lists(st.integers(),
                                                                              max_size=3))
    if spec.kind == "integer":
        good = st.integers(int(spec.lowest() or 0), int(spec.highest() or 100))
    elif spec.kind == "number":
        good = st.floats(spec.lowest() or 0, min(spec.highest() or 1e6, 1e6))
    elif spec.kind == "choice":
        good = st.sampled_from(spec.choices)
    elif spec.kind == "object":
        good = st.fixed_dictionaries({f.name: _value(f) for f in spec.fields})
    elif spec.kind == "list":
        good = st.lists(_value(spec.item), min_size=0, max_size=4)
    elif spec.kind == "date":
        good = st.dates().map(str)
    else:
        good = st.one_of(st.just(example_value(spec)), st.text(max_size=50))
    return st.one_of(good, good, good, junk)


COMMANDS = [(t, name, cls) for t, commands in DEMO_DOMAIN.commands.items()
            for name, cls in commands.items()]


@st.composite
def requests(draw) -> CommandRequest:
    stream_type, name, command = draw(st.sampled_from(COMMANDS))
    data = {spec.name: draw(_value(spec)) for spec in form_of(command)
            if draw(st.integers(0, 9)) > 0}  # now and then a field is left out
    if draw(st.integers(0, 19)) == 0:
        data[draw(st.text(min_size=1, max_size=8))] = draw(st.integers())  # an unknown field
    stream_id = draw(st.sampled_from(["order_1", "prod_101", "pay_1", "cust_1", "x" * 300, "",
                                      "a b", "fulfilment-order_1"]))
    stream_type = draw(st.one_of(st.just(stream_type), st.sampled_from(
        ["Order", "Inventory", "Payment", "Customer", "OrderFulfilment", "Nope"])))
    version = draw(st.one_of(st.none(), st.integers(-2, 5)))
    return CommandRequest(stream_type, stream_id, name, data, version)


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(batch=st.lists(requests(), min_size=1, max_size=6))
def test_random_input_ends_as_events_or_a_clear_message_never_half_written(tmp_path, batch):
    path = tmp_path / "random.evstore"
    with open_store(path, system=SHOP, create=True) as store:
        service = CommandService(store, DEMO_DOMAIN, issued_by="hypothesis")
        for request in batch:
            before = store.last_position()
            outcome = send(service, request, SHOP)  # never raises
            assert outcome.kind in KINDS and outcome.message
            after = store.last_position()
            if outcome.kind == OutcomeKind.EVENTS:
                assert list(outcome.positions) == list(range(before + 1, after + 1))
                written = [store.event_at(p) for p in outcome.positions]
                assert {e.stream_id for e in written} <= {request.stream_id}
            else:
                assert after == before  # nothing at all was written
    path.unlink()
    for suffix in ("-wal", "-shm"):
        (tmp_path / f"random.evstore{suffix}").unlink(missing_ok=True)
