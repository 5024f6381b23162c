"""Systems: one object describes a system; installed ones are found by entry point, others by
module path; a store names the system that wrote it; without one, the generic fold."""

from __future__ import annotations

import sys
import textwrap

import pytest

from explorer.domain import Repository
from explorer.domain.generic import GenericFold, merge
from explorer.store import EventStore, NewEvent
from explorer.system import NO_SYSTEM, System
from explorer.system.discovery import (
    SystemLoadError,
    installed_systems,
    load_system,
    remembered,
    system_of_store,
)


@pytest.fixture
def plugin(tmp_path, monkeypatch):
    """A module on the path holding systems and things that are not."""
    (tmp_path / "my_plugin.py").write_text(textwrap.dedent('''
        from explorer.domain import DomainModel
        from explorer.system import System

        SYSTEM = System(name="mine", domain=DomainModel("mine", [], []))
        NOT_A_SYSTEM = 42

        def make():
            return SYSTEM

        def broken():
            raise RuntimeError("the plug-in's own bug")
    '''))
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "my_plugin"
    sys.modules.pop("my_plugin", None)


def test_the_demo_shop_is_installed_like_any_system():
    shop = next(entry for entry in installed_systems() if entry.name == "shop")
    assert shop.value == "explorer.demo.system:SHOP" and shop.distribution
    system = load_system("shop")
    assert system.name == "shop" and system.sagas and system.seeder is not None
    assert {p.name for p in system.projections()} >= {"order_summary", "stock", "sagas"}
    assert system.saga_stream_types == {"OrderFulfilment"}
    assert system.new_id("Order").startswith("order_") and system.new_id("Customer", "whatif") \
        .startswith("cust_whatif_")
    assert load_system("explorer.demo.system:SHOP") is system
    assert load_system("none") is NO_SYSTEM and NO_SYSTEM.registry is None


def test_module_paths_load_systems_and_factories(plugin):
    assert load_system(f"{plugin}:SYSTEM").name == "mine"
    assert load_system(f"{plugin}:make").name == "mine"
    assert load_system(f"{plugin}:make").new_id("Loan").startswith("loan_")


@pytest.mark.parametrize(("spec", "says"), [
    ("nope", "No system named 'nope' is installed (installed: "),
    ("no_such_module:SYSTEM", "no module named 'no_such_module'"),
    ("my_plugin:MISSING", "has no attribute 'MISSING'"),
    ("my_plugin:NOT_A_SYSTEM", "is a int, not an explorer.system.System"),
    ("my_plugin:broken", "failed: RuntimeError: the plug-in's own bug"),
    (":SYSTEM", "is not a module path"),
])
def test_what_cannot_be_loaded_is_said_in_one_line(plugin, spec, says):
    with pytest.raises(SystemLoadError) as caught:
        load_system(spec)
    assert says in str(caught.value) and "\n" not in str(caught.value)


def test_a_store_names_its_system_and_an_older_one_is_recognised_by_its_events(tmp_path):
    shop = load_system("shop")
    assert system_of_store(remembered(shop, "shop"), []) is shop
    assert system_of_store({}, ["OrderPlaced", "PaymentCharged"]) is shop  # before stores named
    assert system_of_store({}, ["Unheard"]) is NO_SYSTEM
    assert system_of_store({}, []) is NO_SYSTEM
    assert system_of_store({"system": "none"}, ["OrderPlaced"]) is NO_SYSTEM
    assert remembered(shop, "explorer.demo.system:SHOP") == {
        "system": "shop", "system_module": "explorer.demo.system:SHOP"}


def test_a_system_named_by_module_path_loads_only_when_the_user_agrees(plugin):
    meta = {"system": "mine", "system_module": f"{plugin}:SYSTEM"}
    asked = []
    assert system_of_store(meta, [], confirm=lambda module: asked.append(module) or True) \
        .name == "mine"
    assert asked == [f"{plugin}:SYSTEM"]
    sys.modules.pop(plugin)
    with pytest.raises(SystemLoadError, match="written by the system 'mine' .*not installed"):
        system_of_store(meta, [], confirm=lambda module: False)
    assert plugin not in sys.modules  # its code did not run without the user's yes
    with pytest.raises(SystemLoadError, match="--system none"):
        system_of_store({"system": "gone"}, [])


def test_the_generic_fold_merges_objects_and_replaces_the_rest():
    state = {}
    merge(state, {"status": "open", "address": {"city": "Leeds", "zip": "LS1"},
                  "tags": ["a", "b"]})
    merge(state, {"status": "closed", "address": {"city": "York"}, "tags": ["c"]})
    assert state == {"status": "closed", "address": {"city": "York", "zip": "LS1"},
                     "tags": ["c"]}


def test_streams_of_unknown_types_are_read_by_the_generic_fold(tmp_path):
    with EventStore.open(tmp_path / "any.evstore", create=True) as store:
        store.append("loan_1", "Loan", [NewEvent("LoanOpened", {"book": "b1", "due": 14}),
                                        NewEvent("LoanExtended", {"due": 21})])
        loaded = Repository(store, NO_SYSTEM.domain).load_existing("loan_1")
        assert isinstance(loaded.aggregate, GenericFold)
        assert loaded.aggregate.state() == {"book": "b1", "due": 21}
        assert loaded.version == 2 and loaded.aggregate.stream_type == "Loan"
        shop = load_system("shop")  # a system reads the types it does not know the same way
        assert Repository(store, shop.domain).load_existing("loan_1").aggregate.state() == {
            "book": "b1", "due": 21}


def test_context_options_a_system_does_not_take_are_left_out():
    shop = load_system("shop")
    context = shop.make_context(failure_rate=0.5, unheard_of=1)
    assert context.gateway.failure_rate == 0.5
    plain = System(name="plain", domain=NO_SYSTEM.domain)
    assert plain.make_context(failure_rate=0.5) is None
