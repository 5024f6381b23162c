"""The command console and its generated forms, driven as a user would."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import pytest
from PySide6.QtWidgets import QComboBox, QDateEdit, QDoubleSpinBox, QLineEdit, QSpinBox

from explorer.commanding.history import History, HistoryEntry
from explorer.commanding.scripts import load_script
from explorer.commanding.sending import CommandRequest, Outcome
from explorer.demo.seed import seed_store
from explorer.domain import Command, CommandService
from explorer.domain.forms import example_value, form_of
from explorer.ui import settings
from explorer.ui.console.command_list import COMMAND_ROLE, fuzzy
from explorer.ui.models.history import HistoryModel
from explorer.ui.widgets.command_form import CommandForm
from tests.conftest import LINE
from tests.ui.conftest import SHOP, WAIT_MS, open_shop, select_row

ALL_COMMANDS = [(t, n) for t, commands in SHOP.domain.commands.items() for n in commands]


@pytest.mark.parametrize(("stream_type", "name"), ALL_COMMANDS)
def test_a_form_is_generated_for_every_command(qtbot, stream_type, name):
    command = SHOP.domain.command_class(stream_type, name)
    form = CommandForm()
    qtbot.add_widget(form)
    form.set_command(command)
    assert set(form.editors) == {spec.name for spec in form_of(command)}
    values = {spec.name: example_value(spec) for spec in form_of(command)}
    form.set_values(values)
    parsed = form.check()
    assert parsed is not None, form.problems
    assert command.parse(form.values()) == parsed
    for spec in form_of(command):  # descriptions become tooltips
        assert spec.description in form.editors[spec.name].widget.toolTip()


def test_each_kind_of_field_gets_its_editor(qtbot):
    form = CommandForm()
    qtbot.add_widget(form)
    form.set_command(SHOP.domain.command_class("Order", "place"))
    assert isinstance(form.editors["customer_id"].widget, QLineEdit)
    assert form.editors["customer_id"].widget.placeholderText() == "e.g. cust_456"
    currency = form.editors["currency"].widget
    assert isinstance(currency, QComboBox) and currency.currentText() == "USD"  # the default
    assert [currency.itemText(i) for i in range(currency.count())] == ["USD", "EUR", "GBP"]
    total = form.editors["total"].widget
    assert isinstance(total, QDoubleSpinBox) and total.maximum() == 10_000_000
    items = form.editors["items"]
    assert len(items.rows) == 1  # at least one row is required: one is there to fill in
    items.add_button.click()
    assert len(items.rows) == 2
    row = items.rows[0][0]
    assert isinstance(row.children["quantity"].widget, QSpinBox)
    assert (row.children["quantity"].widget.minimum(),
            row.children["quantity"].widget.maximum()) == (1, 1000)
    form.set_command(SHOP.domain.command_class("Customer", "register"))
    address = form.editors["address"]
    assert set(address.children) == {"street", "city", "postal_code", "country"}
    form.set_command(SHOP.domain.command_class("Inventory", "receive_stock"))
    best_before = form.editors["best_before"]
    assert isinstance(best_before.widget, QDateEdit)
    assert form.values().get("best_before") is None  # optional and empty
    best_before.set_value("2030-06-30")
    assert form.values()["best_before"] == "2030-06-30"
    form.set_command(SHOP.domain.command_class("Order", "remove_item"))
    quantity = form.editors["quantity"]
    assert quantity.value() is None  # optional number: "all of them" when empty
    quantity.box.setValue(3)
    assert form.values()["quantity"] == 3


def test_validation_messages_show_under_their_fields(qtbot):
    form = CommandForm()
    qtbot.add_widget(form)
    form.set_command(SHOP.domain.command_class("Order", "ship"))
    assert not any(e.problem.isVisible() for e in form.editors.values())  # nothing touched yet
    tracking = form.editors["tracking"]
    qtbot.keyClicks(tracking.edit, "a!")
    qtbot.waitUntil(lambda: tracking.problem.text() != "", timeout=WAIT_MS)
    assert "pattern" in tracking.problem.text() or "at least 3" in tracking.problem.text()
    assert form.editors["carrier"].problem.text() == ""  # untouched: not shown yet
    assert form.reveal_problems() is None
    assert form.editors["carrier"].problem.text() == "required"
    form.set_values({"carrier": "UPS", "tracking": "1Z999AA1"})
    assert form.check() is not None
    assert all(e.problem.text() == "" for e in form.editors.values())
    form.set_command(SHOP.domain.command_class("Order", "place"))
    form.set_values({"customer_id": "cust_1", "total": 10, "items": [
        {"product_id": "nope", "quantity": 1, "price": 10}]})
    assert form.reveal_problems() is None
    row_problem = form.editors["items"].rows[0][2]
    assert "unknown product" in row_problem.text() and row_problem.text().startswith("product_id")


def test_fuzzy_search_matches_letters_in_order():
    assert fuzzy("osh", "Order › ship") and fuzzy("ORD pl", "Order › place")
    assert not fuzzy("shipo", "Order › ship")
    assert fuzzy("", "anything")


def test_searching_picks_the_best_match_unless_the_form_holds_input(console):
    console.search.setText("oship")
    assert console.current_command().command_name == "ship"  # ready to fill in
    console.form.set_values({"carrier": "UPS"})
    console.search.setText("can")  # ship is filtered out, but the user typed into its form
    assert console.commands.currentItem() is None
    assert console.current_command().command_name == "ship"
    assert console.form.values()["carrier"] == "UPS"
    console.commands.setCurrentRow(0)  # picking one is the user's choice
    assert console.current_command().command_name == console.commands.item(0).data(
        COMMAND_ROLE)[1] != "ship"


def test_the_history_model_is_a_sound_qt_model(qtmodeltester):
    history = History(domain=SHOP.domain)
    history.add(CommandRequest("Order", "o", "cancel", {"reason": "x"}),
                Outcome("rejected", "no"), store="/shop.evstore")
    history.add(CommandRequest("Order", "o", "place", {}), Outcome("events", "ok", (4,), ("A",), 1),
                store="/shop.evstore")
    model = HistoryModel(history)
    qtmodeltester.check(model)
    history.add(CommandRequest("Order", "p", "cancel", {"reason": "y"}), Outcome("rejected", "no"),
                store="/elsewhere.evstore")
    model.set_store("/elsewhere.evstore")
    assert model.rowCount() == 1 and model.entry(0).store == "/elsewhere.evstore"
    qtmodeltester.check(model)
    model.set_store(None)
    assert model.rowCount() == 3
    model.toggle_favourite(2)
    model.set_store("/elsewhere.evstore")  # a favourite shows for every store
    assert [model.entry(r).request.stream_id for r in range(model.rowCount())] == ["p", "o"]
    model.toggle_favourite(1)  # no longer a favourite: no longer shown here
    assert [model.entry(r).request.stream_id for r in range(model.rowCount())] == ["p"]
    history.entries.append(HistoryEntry(CommandRequest("Order", "q", "cancel", {}),
                                        Outcome("rejected", "no"), 1))  # saved before stores
    model.reset()
    assert [model.entry(r).request.stream_id for r in range(model.rowCount())] == ["p", "q"]
    history.entries.pop()
    model.set_store(None)
    model.toggle_favourite(2)  # the cancel of "o" is the favourite again
    model.set_favourites_only(True)
    assert model.rowCount() == 1 and model.entry(0).request.command == "cancel"
    qtmodeltester.check(model)


@pytest.fixture
def console(window, qtbot):
    window.show_console()
    return window.console


def send_and_wait(qtbot, console, count_before=None):
    before = console.history_model.rowCount() if count_before is None else count_before
    console.send()
    qtbot.waitUntil(lambda: console.history_model.rowCount() == before + 1, timeout=WAIT_MS)
    return console.history_model.entry(0)


def last_position(path) -> int:
    with open_shop(path, read_only=True) as store:
        return store.last_position()


def test_sending_writes_events_and_highlights_them_in_the_list(window, console, qtbot, seeded):
    console.choose_command("Order", "place")
    console.new_id()
    order_id = console.target_picker.stream_id.text()
    qtbot.waitUntil(lambda: console.target is not None and console.target.stream_id == order_id,
                    timeout=WAIT_MS)
    assert "expected version <b>0</b>" in console.target_picker.label.text()
    console.form.set_values({"customer_id": "cust_0001", "items": [LINE], "total": 59.98})
    entry = send_and_wait(qtbot, console)
    assert entry.outcome.ok and entry.outcome.event_types == ("OrderPlaced",)
    position = entry.outcome.positions[0]
    assert position == last_position(seeded)
    assert "OrderPlaced #" in console.send_panel.result.text()
    qtbot.waitUntil(lambda: window.browser.selected_position() == position, timeout=WAIT_MS)
    assert window.event_model.highlighted == {position}
    assert window.bottom_tabs.currentIndex() == window.console_tab  # the console stays in view
    assert "expected version <b>1</b>" in console.target_picker.label.text()
    stored = settings.console_history()
    assert stored[0]["request"]["stream_id"] == order_id  # kept between runs


def test_a_business_error_is_shown_plainly(window, console, qtbot, seeded):
    console.choose_command("Order", "place")
    console.new_id()
    console.form.set_values({"customer_id": "cust_0001", "items": [LINE], "total": 59.98})
    send_and_wait(qtbot, console)
    console.choose_command("Order", "add_item")
    console.form.set_values({"product_id": "prod_101", "quantity": 1, "price": 29.99})
    console.choose_command("Order", "ship")
    console.form.set_values({"carrier": "UPS", "tracking": "1Z999AA1"})
    before = last_position(seeded)
    entry = send_and_wait(qtbot, console)
    assert entry.outcome.kind == "rejected"
    assert "it is not paid" in console.send_panel.result.text()
    assert window.error_box is None  # no dialog to dismiss
    assert last_position(seeded) == before


def test_invalid_fields_send_nothing(console, qtbot, seeded):
    console.choose_command("Order", "ship")
    console.set_target("order_001")
    before = console.history_model.rowCount()
    console.send()
    assert "need attention" in console.send_panel.result.text()
    assert console.form.editors["carrier"].problem.text() == "required"
    assert console.history_model.rowCount() == before


def test_a_concurrency_conflict_explains_and_retries(console, qtbot, seeded):
    console.choose_command("Order", "place")
    console.new_id()
    order_id = console.target_picker.stream_id.text()
    console.form.set_values({"customer_id": "cust_0001", "items": [LINE], "total": 59.98})
    send_and_wait(qtbot, console)
    console.choose_command("Order", "cancel")
    console.set_target(order_id)
    qtbot.waitUntil(lambda: console.target is not None and console.target.version == 1,
                    timeout=WAIT_MS)
    with open_shop(seeded) as store:  # someone else writes meanwhile
        CommandService(store, SHOP.domain, issued_by="other").execute(
            "Order", order_id, "add_item", {"product_id": "prod_101", "quantity": 1,
                                            "price": 29.99})
    qtbot.waitUntil(lambda: "now at version 2" in console.target_picker.label.text(),
                    timeout=WAIT_MS)
    console.store_changed()  # more appends elsewhere: the note is not repeated
    console.store_changed()
    done = []
    console.worker.submit(lambda context: None, done.append)  # after the checks above
    qtbot.waitUntil(lambda: bool(done), timeout=WAIT_MS)
    assert console.target_picker.label.text().count("It has changed since") == 1
    console.form.set_values({"reason": "changed my mind"})
    entry = send_and_wait(qtbot, console)
    assert entry.outcome.kind == "conflict"
    result = console.send_panel.result.text()
    assert "You saw version 1" in result and "version 2" in result
    assert console.send_panel.retry_button.isVisible()
    console.retry()
    qtbot.waitUntil(lambda: console.history_model.entry(0).outcome.ok, timeout=WAIT_MS)
    with open_shop(seeded, read_only=True) as store:
        assert store.read_stream(order_id)[-1].event_type == "OrderCancelled"


def make_conflict(console, qtbot, seeded) -> str:
    """Place an order, aim a cancel at it, let someone else write first, send: a conflict."""
    console.choose_command("Order", "place")
    console.new_id()
    order_id = console.target_picker.stream_id.text()
    console.form.set_values({"customer_id": "cust_0001", "items": [LINE], "total": 59.98})
    send_and_wait(qtbot, console)
    console.choose_command("Order", "cancel")
    console.set_target(order_id)
    qtbot.waitUntil(lambda: console.target is not None and console.target.version == 1,
                    timeout=WAIT_MS)
    with open_shop(seeded) as store:
        CommandService(store, SHOP.domain, issued_by="other").execute(
            "Order", order_id, "add_item", {"product_id": "prod_101", "quantity": 1,
                                            "price": 29.99})
    console.form.set_values({"reason": "changed my mind"})
    assert send_and_wait(qtbot, console).outcome.kind == "conflict"
    return order_id


def wait_for_worker(console, qtbot) -> None:
    """Until the command on its way (on a worker of its own) is answered and every job queued
    on the console's worker so far is done."""
    qtbot.waitUntil(lambda: not console.state.sending, timeout=WAIT_MS)
    done = []
    console.worker.submit(lambda context: None, done.append)
    qtbot.waitUntil(lambda: bool(done), timeout=WAIT_MS)


def test_retrying_twice_sends_once(console, qtbot, seeded):
    order_id = make_conflict(console, qtbot, seeded)
    before = console.history_model.rowCount()
    console.retry()
    console.retry()  # a double click
    assert not console.send_panel.retry_button.isVisible()
    qtbot.waitUntil(lambda: console.history_model.rowCount() == before + 1, timeout=WAIT_MS)
    wait_for_worker(console, qtbot)
    assert console.history_model.rowCount() == before + 1
    assert console.history_model.entry(0).outcome.ok
    with open_shop(seeded, read_only=True) as store:
        assert [e.event_type for e in store.read_stream(order_id)].count("OrderCancelled") == 1
    request = console.request()
    before = console.history_model.rowCount()
    assert console.send_request(request)
    assert not console.send_request(request)  # one at a time: the second is not sent
    qtbot.waitUntil(lambda: console.history_model.rowCount() == before + 1, timeout=WAIT_MS)
    wait_for_worker(console, qtbot)
    assert console.history_model.rowCount() == before + 1


def test_a_retry_stays_with_the_store_it_conflicted_in(window, console, qtbot, seeded,
                                                        tmp_path):
    make_conflict(console, qtbot, seeded)
    assert console.send_panel.retry_button.isVisible()
    other = tmp_path / "other.evstore"
    with open_shop(other, create=True) as store:
        seed_store(store, orders=5, seed=1)
        last = store.last_position()
    with qtbot.wait_signal(window.store_opened, timeout=WAIT_MS):
        window.open_store(other)
    assert not console.send_panel.retry_button.isVisible()
    assert console.send_panel.result.text() == ""
    assert window.event_model.highlighted == frozenset()  # those positions were the other's
    model = console.history_model  # what was sent to the first store is not listed here...
    shown = [model.entry(row) for row in range(model.rowCount())]
    assert all(entry.favourite or entry.store == str(other) for entry in shown)
    console.history_panel.this_store_only.setChecked(False)  # ...unless asked for
    assert model.entry(0).store == str(seeded) and model.entry(0).outcome.kind == "conflict"
    entries = len(console.history_model.history.entries)
    console.retry()  # the conflict was the first store's: nothing to retry here
    wait_for_worker(console, qtbot)
    assert len(console.history_model.history.entries) == entries
    with open_shop(other, read_only=True) as store:
        assert store.last_position() == last  # nothing sent to the other store


def test_a_command_asked_for_as_another_store_opens_is_not_sent_there(window, console, qtbot,
                                                                    tmp_path):
    other = tmp_path / "other.evstore"
    with open_shop(other, create=True) as store:
        seed_store(store, orders=5, seed=1)
        last = store.last_position()
    console.choose_command("Inventory", "receive_stock")
    console.set_target("prod_101")
    console.form.set_values({"quantity": 7, "note": "for the first store"})
    window.open_store(other)  # queued on the worker...
    console.send()  # ...and the user sends before it is open
    qtbot.waitUntil(lambda: console.location == str(other), timeout=WAIT_MS)
    wait_for_worker(console, qtbot)
    console.history_panel.this_store_only.setChecked(False)
    entry = console.history_model.entry(0)
    assert entry.outcome.kind == "failed" and "Another store was opened" in entry.outcome.message
    with open_shop(other, read_only=True) as store:
        assert store.last_position() == last


def test_a_retry_asked_for_as_another_store_opens_is_not_sent_there(window, console, qtbot,
                                                                     seeded, tmp_path):
    make_conflict(console, qtbot, seeded)
    other = tmp_path / "other.evstore"
    with open_shop(other, create=True) as store:
        seed_store(store, orders=5, seed=1)
        last = store.last_position()
    before = len(console.history_model.history.entries)
    console.retry()
    window.open_store(other)
    qtbot.waitUntil(lambda: console.location == str(other), timeout=WAIT_MS)
    wait_for_worker(console, qtbot)
    wait_for_worker(console, qtbot)
    added = console.history_model.history.entries[:len(console.history_model.history.entries)
                                                  - before]
    assert all(entry.outcome.kind == "failed" for entry in added)
    with open_shop(other, read_only=True) as store:
        assert store.last_position() == last


def test_nothing_sent_while_another_is_on_its_way_is_lost_silently(console, qtbot, seeded):
    order_id = make_conflict(console, qtbot, seeded)
    before = console.history_model.rowCount()
    console.retry()  # reloads the version first: a command is on its way from now
    assert not console.history_panel.resend_button.isEnabled()
    console.resend(0)
    assert "A command is on its way" in console.send_panel.result.text()
    console.send()
    assert "A command is on its way" in console.send_panel.result.text()
    qtbot.waitUntil(lambda: console.history_model.rowCount() == before + 1, timeout=WAIT_MS)
    wait_for_worker(console, qtbot)
    entry = console.history_model.entry(0)
    assert console.history_model.rowCount() == before + 1
    assert entry.outcome.ok and entry.request.stream_id == order_id  # the retry went out
    assert console.history_panel.resend_button.isEnabled()


def test_after_a_script_the_target_and_its_version_are_known(console, qtbot, seeded):
    shipped = Path(__file__).resolve().parents[2] / "resources" / "scripts" / \
        "address-change.yaml"
    assert console.play_script(str(shipped))
    console.script_panel.delay.setValue(0)
    qtbot.waitUntil(lambda: not console.playing, timeout=WAIT_MS * 2)
    wait_for_worker(console, qtbot)
    target = console.target
    assert target is not None and target.stream_id == console.target_picker.stream_id.text()
    with open_shop(seeded, read_only=True) as store:
        assert target.version == store.stream_head(target.stream_id)[1]
    assert console.request().expected_version == target.version  # refuse-if-changed holds


def test_saga_streams_and_read_only_stores_are_refused(window, console, qtbot, seeded):
    console.set_target("fulfilment-order_001")
    qtbot.waitUntil(lambda: "saga" in console.target_picker.label.text(), timeout=WAIT_MS)
    assert not console.send_panel.send_button.isEnabled()
    with qtbot.wait_signal(window.store_opened, timeout=WAIT_MS):
        window.open_store(seeded, read_only=True)
    assert console.refusal.isVisible() and "read-only" in console.refusal.text()
    assert not console.send_panel.send_button.isEnabled() and not console.form.isEnabled()
    before = last_position(seeded)
    console.send()
    assert last_position(seeded) == before


def test_history_resend_edit_and_favourites(console, qtbot, seeded):
    console.choose_command("Inventory", "receive_stock")
    console.set_target("prod_101")
    console.form.set_values({"quantity": 7, "note": "first"})
    first = send_and_wait(qtbot, console)
    assert first.outcome.ok
    console.resend(0)
    qtbot.waitUntil(lambda: console.history_model.rowCount() >= 2
                    and console.history_model.entry(0).at_us != first.at_us, timeout=WAIT_MS)
    again = console.history_model.entry(0)
    assert again.request.data == first.request.data and again.outcome.ok
    assert again.outcome.positions != first.outcome.positions
    console.choose_command("Order", "cancel")
    console.edit(1)
    assert console.current_command().command_name == "receive_stock"
    assert console.form.values()["quantity"] == 7
    assert console.target_picker.stream_id.text() == "prod_101"
    index = console.history_model.index(1, 0)
    console.history_panel.star_clicked(index)  # the star
    console.history_panel.favourites_only.setChecked(True)
    assert console.history_model.rowCount() == 1
    assert settings.console_history()[1]["favourite"] is True


def test_a_command_like_the_one_that_caused_an_event(window, console, qtbot):
    with qtbot.wait_signal(window.browser.rows_ready, timeout=WAIT_MS):
        window.filter_bar.set_event_type_filter(("OrderPlaced",))
    event = select_row(qtbot, window, 0)
    assert event.event_type == "OrderPlaced"
    window.like_action.trigger()
    assert window.bottom_tabs.currentIndex() == window.console_tab
    assert console.current_command().command_name == "place"
    assert console.target_picker.stream_id.text() == event.stream_id
    values = console.form.values()
    assert values["customer_id"] == event.data["customer_id"]
    assert [i["product_id"] for i in values["items"]] == [
        i["product_id"] for i in event.data["items"]]


def test_recording_and_playing_a_script(window, console, qtbot, tmp_path, seeded):
    console.record_button.setChecked(True)
    console.choose_command("Customer", "register")
    console.new_id()
    customer = console.target_picker.stream_id.text()
    console.form.set_values({"name": "Ada", "email": "ada@example.com", "address": {
        "street": "1 Main St", "city": "Springfield", "postal_code": "12345", "country": "US"}})
    send_and_wait(qtbot, console)
    console.choose_command("Order", "ship")
    console.set_target("order_nope_never_placed")
    console.form.set_values({"carrier": "UPS", "tracking": "1Z999AA1"})
    send_and_wait(qtbot, console)  # refused: recorded as expected to be refused
    console.record_button.setChecked(False)
    path = tmp_path / "recorded.yaml"
    assert console.save_recording(str(path))
    script = load_script(path)
    assert [s.command for s in script.steps] == ["register", "ship"]
    assert script.steps[0].stream_id == f"{customer}_{{run}}"  # a new customer each playback
    assert script.steps[1].expect == "rejected"
    for _ in range(2):  # the recording plays again, as often as wanted
        before = console.history_model.rowCount()
        assert console.play_script(str(path))
        console.script_panel.delay.setValue(0)
        qtbot.waitUntil(lambda before=before: not console.playing
                        and console.history_model.rowCount() == before + 2,
                        timeout=WAIT_MS)
        assert "2 steps played." in console.script_panel.status.text()
    # play a shipped script, quickly
    shipped = Path(__file__).resolve().parents[2] / "resources" / "scripts" / \
        "address-change.yaml"
    console.script_panel.delay.setValue(0.1)
    before = console.history_model.rowCount()
    assert console.play_script(str(shipped))
    console.script_panel.delay.setValue(0)
    qtbot.waitUntil(lambda: not console.playing and console.history_model.rowCount()
                    == before + 4, timeout=WAIT_MS * 2)
    assert "4 steps played." in console.script_panel.status.text()
    assert all(console.history_model.entry(i).outcome.ok for i in range(4))
    broken = tmp_path / "broken.yaml"
    broken.write_text("steps: nope")
    assert not console.play_script(str(broken))
    assert "not a valid script" in console.script_panel.status.text()


class Adjust(Command):
    """A plug-in's command whose fields take a whole number or not (`int | float`)."""

    stream_type: ClassVar[str] = "Account"
    command_name: ClassVar[str] = "adjust"
    amount: int | float
    bonus: int | float | None = None


def test_a_field_taking_an_int_or_a_float_takes_any_number(qtbot):
    """(It was offered as a whole number: 2.5 could not be typed.)"""
    form = CommandForm()
    qtbot.add_widget(form)
    form.set_command(Adjust)
    for name in ("amount", "bonus"):
        box = form.editors[name].widget
        assert isinstance(box, QDoubleSpinBox)
        box.selectAll()
        qtbot.keyClicks(box, "2.5")
    assert form.values() == {"amount": 2.5, "bonus": 2.5}
    assert Adjust.parse(form.values()) == Adjust(amount=2.5, bonus=2.5)
