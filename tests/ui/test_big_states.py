"""A big aggregate state is shown without making an item for every field: the fields of a
closed field are made when it is opened, with the same texts, paths and tooltips as a state
shown whole."""

from __future__ import annotations

from explorer.timetravel.machine import AggregateAt, diff
from explorer.ui.widgets.aggregate_pane import PATH_ROLE, AggregateTree
from explorer.ui.widgets.change_tree import BEFORE, FIELD, VALUE, ChangeTree, node_count


def stock(reservations: int, quantity: int = 2) -> dict:
    return {"product_id": "prod_103", "on_hand": 5000,
            "reservations": {f"order_{i:04d}": {"quantity": quantity if i == 7 else 2,
                                                "by": f"cust_{i % 9}"}
                             for i in range(reservations)},
            "history": [{"kind": "received", "quantity": 10}] * 30}


def items(tree) -> list:
    found, stack = [], [tree.topLevelItem(i) for i in range(tree.topLevelItemCount())]
    while stack:
        item = stack.pop()
        found.append(item)
        stack.extend(item.child(i) for i in range(item.childCount()))
    return found


def child(item, key: str):
    return next(item.child(i) for i in range(item.childCount()) if item.child(i).text(FIELD) == key)


def top(tree, key: str):
    return next(tree.topLevelItem(i) for i in range(tree.topLevelItemCount())
                if tree.topLevelItem(i).text(FIELD) == key)


def test_a_big_state_makes_only_the_fields_on_show_and_the_rest_when_opened(qtbot):
    tree = AggregateTree()
    qtbot.addWidget(tree)
    before, after = stock(300), stock(300, quantity=5)
    tree.show_aggregate(AggregateAt("prod_103", "Inventory", 9, after, before,
                                    diff(before, after), None))
    made = items(tree)
    # the top fields, the reservations (on the way to the change) and the changed one's fields
    assert len(made) == 4 + 300 + 2, len(made)
    reservations = top(tree, "reservations")
    assert reservations.isExpanded() and reservations.childCount() == 300
    changed = child(child(reservations, "order_0007"), "quantity")
    assert (changed.text(VALUE), changed.text(BEFORE)) == ("5", "2")
    closed = child(reservations, "order_0008")
    assert closed.childCount() == 0 and not closed.isExpanded()
    assert closed.childIndicatorPolicy() == closed.ChildIndicatorPolicy.ShowIndicator
    closed.setExpanded(True)
    assert [(f.text(FIELD), f.text(VALUE), f.data(FIELD, PATH_ROLE), f.toolTip(VALUE))
            for f in (closed.child(i) for i in range(closed.childCount()))] == [
        ("quantity", "2", "reservations.order_0008.quantity", "2"),
        ("by", "cust_8", "reservations.order_0008.by", "cust_8")]
    history = top(tree, "history")
    assert history.childCount() == 0
    history.setExpanded(True)
    assert history.childCount() == 30 and history.child(29).childCount() == 0
    history.child(29).setExpanded(True)
    assert child(history.child(29), "kind").data(FIELD, PATH_ROLE) == "history[29].kind"
    history.setExpanded(False)
    history.setExpanded(True)  # (opened again: made once)
    assert history.childCount() == 30


def test_a_small_state_still_opens_whole(qtbot):
    tree = AggregateTree()
    qtbot.addWidget(tree)
    before, after = stock(3), stock(3)
    tree.show_aggregate(AggregateAt("prod_103", "Inventory", 9, after, before, [], None))
    assert node_count(after, 1000) > 100  # (the history's 30 fields of 2)
    small = {"product_id": "p", "reservations": {"o": {"quantity": 2}}}
    tree.show_aggregate(AggregateAt("p", "Inventory", 1, small, {}, diff({}, small), None))
    assert all(item.isExpanded() or item.childCount() == 0 for item in items(tree))
    assert len(items(tree)) == 4


def test_only_the_way_to_an_upcasts_change_opens_and_the_rest_is_made_when_asked(qtbot):
    tree = ChangeTree()
    qtbot.addWidget(tree)
    stored, read = {"a": {"b": 1, "c": {"d": 2}}, "e": {"f": 3}}, {"a": {"b": 9, "c": {"d": 2}},
                                                                     "e": {"f": 3}}
    tree.show_changes(read, diff(stored, read), expand_all=False)
    a, e = top(tree, "a"), top(tree, "e")
    assert a.isExpanded() and child(a, "b").text(BEFORE) == "1"
    assert child(a, "c").childCount() == 0 and e.childCount() == 0 and not e.isExpanded()
    e.setExpanded(True)
    assert [(f.text(FIELD), f.text(VALUE)) for f in items(tree) if f.parent() is e] == [("f", "3")]


def test_node_count_counts_every_field_up_to_its_limit():
    assert node_count({"a": [1, {"b": 2}], "c": {}}, 100) == 5
    assert node_count(stock(1000), 120) == 120
