"""Secrets and trust: what the app writes is private to the user, and card numbers are declared
secret, shown masked and never kept whole in the history, recordings or events."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from explorer.cli.main import main as cli_main
from explorer.commanding.history import History
from explorer.commanding.scripts import load_script, play, record_script, save_script
from explorer.commanding.sending import (
    CommandRequest,
    Outcome,
    OutcomeKind,
    masked,
    secrets_to_retype,
    send,
    without_secret_values,
)
from explorer.common.private_files import open_private, write_private
from explorer.demo import DEMO_DOMAIN, OrderFulfilment, make_context
from explorer.demo import fulfilment as fulfilment_module
from explorer.demo.payment import card_on_file
from explorer.demo.system import SHOP
from explorer.domain import CommandService, Repository
from explorer.domain.commands import MASK, mask_secret
from explorer.domain.forms import form_of
from explorer.sagas import SagaManager
from explorer.sagas.process import ProcessManager
from explorer.system.workspace import open_store
from tests.conftest import ADDRESS

ROOT = Path(__file__).resolve().parents[2]
DECLINED = "4000 0000 0000 0002"
CARD_RUN = re.compile(r"\d(?: ?\d){12,18}")  # 13 to 19 digits, perhaps in groups
WAIT_MS = 10_000


def mode(path: str | Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def card_numbers_in(value) -> list[str]:
    """Every 13-19 digit run in the strings of a JSON-like value (numbers such as timestamps
    are not card numbers, and are not looked at)."""
    if isinstance(value, str):
        return CARD_RUN.findall(value)
    if isinstance(value, dict):
        return [found for item in value.values() for found in card_numbers_in(item)]
    if isinstance(value, list):
        return [found for item in value for found in card_numbers_in(item)]
    return []


def place_request(order_id: str, card: str = DECLINED, customer: str = "cust_1") -> CommandRequest:
    return CommandRequest("Order", order_id, "place", {
        "customer_id": customer, "total": 10.0, "card_number": card,
        "items": [{"product_id": "prod_101", "quantity": 1, "price": 10.0}]})


@pytest.fixture
def shop(service):
    service.execute("Customer", "cust_1", "register", {"name": "Ada", "email": "a@b.co",
                                                       "address": ADDRESS})
    service.execute("Inventory", "prod_101", "receive_stock", {"quantity": 50})
    return service


def saga_manager(store) -> SagaManager:
    return SagaManager(OrderFulfilment, CommandService(
        store, DEMO_DOMAIN, context=make_context(failure_rate=0.0), issued_by="saga:test"))


# -- declared in the schema ------------------------------------------------------------------

@pytest.mark.parametrize(("stream_type", "name"), [("Order", "place"), ("Payment", "charge")])
def test_card_numbers_are_declared_secret_in_the_schema_and_the_form(stream_type, name):
    command = DEMO_DOMAIN.command_class(stream_type, name)
    prop = command.schema()["properties"]["card_number"]
    assert prop["secret"] is True and prop["writeOnly"] is True and prop["format"] == "password"
    specs = {spec.name: spec for spec in form_of(command)}
    assert specs["card_number"].secret and specs["card_number"].keep_last == 4
    assert specs["card_number"].kind == "text"
    assert not any(spec.secret for spec in specs.values() if spec.name != "card_number")


def test_no_other_demo_field_is_secret():
    secret = [(t, n, spec.name) for t, commands in DEMO_DOMAIN.commands.items()
              for n, command in commands.items() for spec in form_of(command) if spec.secret]
    assert secret == [("Order", "place", "card_number"), ("Payment", "charge", "card_number")]


def test_the_commands_listing_marks_secret_fields(capsys):
    assert cli_main(["commands"]) == 0
    out = capsys.readouterr().out
    assert "card_number? [secret]" in out
    assert out.count("[secret]") == 2
    assert cli_main(["commands", "--json"]) == 0
    described = orjson.loads(capsys.readouterr().out)
    place = next(d for d in described if d["name"] == "place")
    assert place["schema"]["properties"]["card_number"]["secret"] is True


def test_a_secret_is_masked_keeping_at_most_its_last_digits():
    assert mask_secret(DECLINED, 4) == "•••• 0002"
    assert mask_secret("•••• 0002", 4) == "•••• 0002"  # masking twice changes nothing
    assert mask_secret("hunter2") == MASK
    assert mask_secret("12", 4) == MASK  # too short to keep anything
    assert mask_secret("", 4) == "" and mask_secret(None, 4) is None


# -- never kept whole: history and recordings ----------------------------------------------

def test_the_history_keeps_a_secret_masked_and_a_form_is_never_filled_with_it():
    history = History(domain=DEMO_DOMAIN)
    entry = history.add(place_request("order_1"), Outcome(OutcomeKind.EVENTS, "OrderPlaced"))
    assert entry.request.data["card_number"] == "•••• 0002"
    assert entry.request.data["customer_id"] == "cust_1"  # the rest as it was sent
    assert card_numbers_in(history.to_list()) == []
    assert "card_number" not in without_secret_values(entry.request, DEMO_DOMAIN).data
    # the masked card is one the command takes
    assert secrets_to_retype(entry.request, DEMO_DOMAIN) == []


def test_a_history_saved_by_an_older_version_is_masked_as_it_is_read():
    old = [{"request": place_request("order_1").to_dict(), "at_us": 1, "favourite": True,
            "outcome": {"kind": "events", "message": "OrderPlaced"}}]
    assert card_numbers_in(old)
    history = History.from_list(old, DEMO_DOMAIN)
    assert history.entries[0].request.data["card_number"] == "•••• 0002"
    assert history.entries[0].favourite and card_numbers_in(history.to_list()) == []


def test_a_secret_masked_whole_must_be_typed_again():
    request = CommandRequest("Order", "order_1", "place", {"card_number": MASK})
    assert secrets_to_retype(request, DEMO_DOMAIN) == ["card_number"]
    assert masked(CommandRequest("Order", "o", "cancel", {"reason": "x"}),
                  DEMO_DOMAIN).data == {"reason": "x"}


def test_a_recording_keeps_last_four_digits_and_still_charges_the_declined_card(
        shop, store, tmp_path):
    sent = [(masked(request, DEMO_DOMAIN), send(shop, request, SHOP))
            for request in [place_request("order_1")]]
    assert sent[0][1].ok
    script = record_script(sent, derived=SHOP.derived_streams)
    path = tmp_path / "recorded.yaml"
    save_script(path, script)
    text = path.read_text(encoding="utf-8")
    assert "•••• 0002" in text and card_numbers_in(text) == []
    again = load_script(path)
    results = play(again, lambda request: send(shop, request, SHOP), delay=0, run="r1")
    assert results[0].as_expected
    order_id = results[0].request.stream_id
    assert store.read_stream(order_id)[0].data["card_last4"] == "0002"
    saga_manager(store).catch_up()
    saga = Repository(store, DEMO_DOMAIN).load("OrderFulfilment", f"fulfilment-{order_id}")
    assert saga.aggregate.reason == "payment failed: card declined"


# -- never kept whole: events --------------------------------------------------------------

def test_no_event_of_a_fulfilled_or_declined_order_holds_a_card_number(shop, store):
    for number, card in enumerate(("4242 4242 4242 4242", DECLINED, "5555555555554444")):
        send(shop, place_request(f"order_{number}", card), SHOP)
    saga_manager(store).catch_up()
    types = {e.event_type for e in store.read_all(1)}
    assert {"PaymentCharged", "PaymentFailed", "ReservationConfirmed"} <= types
    for event in store.read_all(1):
        assert card_numbers_in(event.data) == [], (event.event_type, event.data)
        assert card_numbers_in(event.metadata or {}) == [], event.metadata  # names, not data
    charge = Repository(store, DEMO_DOMAIN).load(
        "OrderFulfilment", "fulfilment-order_1").aggregate.steps["charge payment"]
    assert charge["data"]["card_number"] == "•••• 0002"


def test_a_saga_stored_with_a_whole_card_number_still_replays_and_charges(
        shop, store, monkeypatch):
    # as an older version did: the charge step names the whole card; it is not sent yet
    with monkeypatch.context() as old:
        old.setattr(fulfilment_module, "masked_card", card_on_file)
        old.setattr(OrderFulfilment, "pending_steps", lambda self: [
            step for step in ProcessManager.pending_steps(self) if step["command"] != "charge"])
        send(shop, place_request("order_1"), SHOP)
        saga_manager(store).catch_up()
    saga = Repository(store, DEMO_DOMAIN).load("OrderFulfilment", "fulfilment-order_1").aggregate
    step = saga.steps["charge payment"]
    assert step["status"] == "scheduled" and step["data"]["card_number"] == DECLINED
    saga_manager(store).dispatch(saga)
    assert [e.event_type for e in store.read_stream("pay_1")] == ["PaymentFailed"]
    assert store.read_stream("pay_1")[0].data["reason"] == "card declined"


# -- private files ---------------------------------------------------------------------------

@pytest.fixture
def open_umask():
    before = os.umask(0o022)  # a usual umask: new files 0644 unless made private
    yield
    os.umask(before)


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_a_saved_script_is_private(tmp_path, open_umask, suffix):
    script = record_script([(masked(place_request("order_1"), DEMO_DOMAIN),
                             Outcome(OutcomeKind.EVENTS, "ok", (1,), ("OrderPlaced",), 1))],
                           derived=SHOP.derived_streams)
    path = tmp_path / f"demo{suffix}"
    save_script(path, script)
    assert mode(path) == 0o600
    os.chmod(path, 0o644)  # one saved before, over which the user saves again
    save_script(path, script)
    assert mode(path) == 0o600 and load_script(path) == script


def test_private_files_are_created_private_whatever_the_umask(tmp_path, open_umask):
    write_private(tmp_path / "a", b"x")
    with open_private(tmp_path / "b", "w", encoding="utf-8") as out:
        out.write("é")
    assert mode(tmp_path / "a") == mode(tmp_path / "b") == 0o600
    assert (tmp_path / "b").read_text(encoding="utf-8") == "é"


def test_the_what_if_export_is_private(tmp_path, open_umask):
    from explorer.timetravel.whatif import Sandbox

    path = tmp_path / "shop.evstore"
    with open_store(path, system=SHOP, create=True) as store:
        service = CommandService(store, DEMO_DOMAIN, issued_by="test", context=make_context())
        service.execute("Inventory", "prod_101", "receive_stock", {"quantity": 5})
        position = store.last_position()
    sandbox = Sandbox.create(str(path), position, SHOP)
    try:
        sandbox.execute("Order", "order_whatif", "place", {
            "customer_id": "cust_001", "total": 29.99, "card_number": DECLINED,
            "items": [{"product_id": "prod_101", "quantity": 1, "price": 29.99}]})
        exported = tmp_path / "what-if.jsonl"
        assert sandbox.export(exported) > 0
        assert mode(exported) == 0o600
        assert card_numbers_in([orjson.loads(line) for line in
                                exported.read_bytes().splitlines()]) == []
    finally:
        sandbox.discard()


SETTINGS_PROGRAM = """
import os, sys
from pathlib import Path
os.umask(0o022)
from explorer.ui import settings
if sys.argv[1] == "ini":
    settings.use_settings_folder(Path(sys.argv[2]))
before = settings.settings_file()
if os.path.exists(before):
    settings.recent_stores()  # a read alone makes an older, open file private
    print(oct(os.stat(before).st_mode & 0o777))
settings.save_console_history([{"request": {"stream_type": "Order", "stream_id": "o",
    "command": "place", "data": {}}, "outcome": {"kind": "events", "message": ""}, "at_us": 1}])
settings.remember_store("/somewhere/shop.evstore")
print(settings.settings_file())
"""


def run_settings(kind: str, home: Path) -> list[str]:
    env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / "config"),
           "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run([sys.executable, "-c", SETTINGS_PROGRAM, kind, str(home / "ini")],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
@pytest.mark.parametrize("kind", ["native", "ini"])
def test_the_settings_and_history_file_is_private_in_a_private_folder(tmp_path, kind):
    path = Path(run_settings(kind, tmp_path)[-1])
    assert path.is_relative_to(tmp_path) and path.parent.name == "event-explorer"
    assert mode(path) == 0o600 and mode(path.parent) == 0o700
    assert b"console" in path.read_bytes()
    # one an older version left readable by everyone is made private again
    os.chmod(path, 0o644)
    os.chmod(path.parent, 0o755)
    printed = run_settings(kind, tmp_path)
    assert printed[0] == "0o600"  # by reading it, before anything is written
    assert mode(path) == 0o600 and mode(path.parent) == 0o700


# -- shown masked in the window --------------------------------------------------------------

@pytest.fixture
def private_settings(tmp_path_factory):
    from explorer.ui import settings

    settings.use_settings_folder(tmp_path_factory.mktemp("secret-settings"))
    return settings


def test_the_form_types_a_secret_in_a_password_edit_with_a_show_toggle(qtbot):
    from PySide6.QtWidgets import QLineEdit

    from explorer.ui.widgets.command_form import CommandForm

    form = CommandForm()
    qtbot.add_widget(form)
    form.set_command(DEMO_DOMAIN.command_class("Order", "place"))
    card = form.editors["card_number"]
    assert card.edit.echoMode() == QLineEdit.EchoMode.Password
    assert "4242" not in card.widget.toolTip()  # the default is not spelt out either
    card.show_button.click()
    assert card.edit.echoMode() == QLineEdit.EchoMode.Normal
    card.show_button.click()
    assert card.edit.echoMode() == QLineEdit.EchoMode.Password
    assert form.editors["customer_id"].widget.echoMode() == QLineEdit.EchoMode.Normal
    card.edit.setText(DECLINED)
    assert form.values()["card_number"] == DECLINED  # sent as typed


def test_the_console_keeps_history_and_recordings_masked(qtbot, tmp_path, private_settings,
                                                          open_umask):
    from PySide6.QtCore import Qt

    from explorer.ui.console import CommandConsole
    from explorer.ui.worker import StoreWorker

    path = tmp_path / "shop.evstore"
    with open_store(path, system=SHOP, create=True) as store:
        CommandService(store, DEMO_DOMAIN, issued_by="test").execute(
            "Inventory", "prod_101", "receive_stock", {"quantity": 5})
    worker = StoreWorker()
    opened = []
    worker.submit(lambda context: context.set_store(open_store(path, system=SHOP)),
                  lambda _: opened.append(True))
    qtbot.waitUntil(lambda: bool(opened), timeout=WAIT_MS)
    console = CommandConsole(worker)
    qtbot.add_widget(console)
    try:
        console.set_system(SHOP)
        console.set_store(str(path), False)
        console.record_button.setChecked(True)
        console.prefill(place_request("order_1"))
        assert console.form.values()["card_number"] != DECLINED  # never filled from elsewhere
        console.form.set_values({"card_number": DECLINED})
        before = console.history_model.rowCount()
        console.send()
        qtbot.waitUntil(lambda: console.history_model.rowCount() == before + 1,
                        timeout=WAIT_MS)
        entry = console.history_model.entry(0)
        assert entry.outcome.ok, entry.outcome.message
        assert entry.request.data["card_number"] == "•••• 0002"
        tip = console.history_model.index(0, 2).data(Qt.ItemDataRole.ToolTipRole)
        assert "•••• 0002" in tip and card_numbers_in(tip) == []
        assert card_numbers_in(private_settings.console_history()) == []
        settings_file = Path(private_settings.settings_file())
        assert mode(settings_file) == 0o600 and mode(settings_file.parent) == 0o700
        assert DECLINED.encode() not in settings_file.read_bytes()
        # editing it from the history leaves the secret to be typed again
        console.edit(0)
        assert console.form.values()["card_number"] != "•••• 0002"
        console.record_button.setChecked(False)
        script_path = tmp_path / "recorded.yaml"
        assert console.save_recording(str(script_path))
        assert mode(script_path) == 0o600
        text = script_path.read_text(encoding="utf-8")
        assert "•••• 0002" in text and card_numbers_in(text) == []
    finally:
        console.close()
        worker.shutdown()
