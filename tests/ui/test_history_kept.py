"""The console's history keeps what it cannot read (entries a later version saved, one edited
by hand): starting the window, sending and starring never drop them from the settings."""

from __future__ import annotations

import orjson
import pytest

from explorer.commanding.history import History
from explorer.commanding.sending import CommandRequest, Outcome, OutcomeKind
from explorer.system import NO_SYSTEM
from explorer.ui import settings
from explorer.ui.console.history_panel import HistoryPanel
from explorer.ui.console.state import ConsoleState
from tests.ui.conftest import SHOP

KNOWN = {"request": {"stream_type": "Order", "stream_id": "order_1", "command": "ship",
                     "data": {"carrier": "UPS"}},
         "outcome": {"kind": "rejected", "message": "Cannot ship order order_1: not paid."},
         "at_us": 1_764_000_000_000_000, "favourite": False, "store": "/tmp/a.evstore"}
LATER = {**KNOWN, "request": {**KNOWN["request"], "stream_id": "order_2"},
         "outcome": {"kind": "timed_out", "message": "The server did not answer."},
         "favourite": True}  # an outcome this version does not know


@pytest.fixture
def saved_history():
    before = settings.console_history()
    settings.save_console_history([KNOWN, LATER])
    yield
    settings.save_console_history(before)


def test_entries_it_cannot_read_are_saved_again_as_they_were():
    history = History.from_list([KNOWN, LATER, "not an entry"], NO_SYSTEM.domain)
    assert [entry.request.stream_id for entry in history.entries] == ["order_1"]
    history.add(CommandRequest("Order", "order_3", "cancel"),
                Outcome(OutcomeKind.EVENTS, "done"))
    saved = history.to_list()
    assert [item["request"]["stream_id"] for item in saved[:2]] == ["order_3", "order_1"]
    assert LATER in saved and "not an entry" in saved


def test_starting_the_console_and_sending_keep_a_later_versions_entries(qtbot, saved_history):
    panel = HistoryPanel(ConsoleState())
    qtbot.add_widget(panel)
    assert LATER in settings.console_history(), "starting dropped it"
    panel.add(CommandRequest("Order", "order_3", "cancel"), Outcome(OutcomeKind.EVENTS, "done"),
              "/tmp/a.evstore")
    kept = settings.console_history()
    assert LATER in kept and orjson.dumps(kept)
    assert kept[0]["request"]["stream_id"] == "order_3"


def test_a_secret_in_an_entry_it_cannot_read_is_masked_all_the_same():
    card = "4000 0000 0000 0002"
    request = CommandRequest("Order", "order_9", "place", {
        "customer_id": "cust_1", "total": 10.0, "card_number": card,
        "items": [{"product_id": "prod_101", "quantity": 1, "price": 10.0}]})
    later = {**LATER, "request": request.to_dict()}
    saved = History.from_list([later], SHOP.domain).to_list()
    assert saved[0]["request"]["data"]["card_number"] == "•••• 0002"
    assert saved[0]["outcome"] == LATER["outcome"]


def test_entries_it_cannot_read_are_saved_again_in_their_place_by_time():
    """A later version's entries go back where they were, newest first: saved after this
    version's, that version showed them last (the newest too) and, past HISTORY_LIMIT entries,
    kept this version's old ones in their stead."""
    newest = {**LATER, "at_us": KNOWN["at_us"] + 2}
    oldest = {**LATER, "request": {**LATER["request"], "stream_id": "order_0"},
              "at_us": KNOWN["at_us"] - 1}
    saved = History.from_list([newest, KNOWN, oldest, "not an entry"],
                              NO_SYSTEM.domain).to_list()
    assert saved == [newest, KNOWN, oldest, "not an entry"]


def test_a_command_sent_to_a_store_whose_name_is_not_utf8_is_kept(qtbot, saved_history,
                                                                    tmp_path):
    """The history notes the store each command went to by its path, saved as JSON: a name
    that is not UTF-8 (Latin-1's café: a lone surrogate to Python) failed the save ('str is
    not valid UTF-8: surrogates not allowed') once the command was sent, and such a store's
    commands were not told apart from another's (found checking the settings kept by a
    store's path). The path is kept as a file:// URI of its bytes, as the recent stores keep
    it (f0571c0)."""
    odd, other = str(tmp_path / "caf\udce9.evstore"), str(tmp_path / "caf\udce8.evstore")
    state = ConsoleState()
    panel = HistoryPanel(state)
    qtbot.add_widget(panel)
    for location, stream_id in ((odd, "order_3"), (other, "order_4")):
        panel.add(CommandRequest("Order", stream_id, "cancel"),
                  Outcome(OutcomeKind.EVENTS, "done"), location)
    kept = settings.console_history()
    assert [item["request"]["stream_id"] for item in kept[:2]] == ["order_4", "order_3"]
    reopened = HistoryPanel(state)
    qtbot.add_widget(reopened)
    state.set_store(odd, False)
    shown = [reopened.model.entry(row).request.stream_id
             for row in range(reopened.model.rowCount())]
    assert shown == ["order_3"]
