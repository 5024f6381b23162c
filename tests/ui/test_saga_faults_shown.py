"""A saga the runner faulted (its own code raised) is shown as a faulted projection is: a banner
in the Sagas tab naming the event it stopped at (a link) and the error, with Retry; a red dot
and count on the tab; and the status bar's badge, counting it beside the projections."""

from __future__ import annotations

import orjson
from PySide6.QtGui import QTextDocumentFragment

from explorer.domain import CommandService
from explorer.projections import Fault, ProjectionStatus
from explorer.runtime.runner import RunnerStatus
from explorer.sagas import SagaManagerStatus
from explorer.sagas.manager import SagaFault
from explorer.ui.session import LoadedSystem
from tests.conftest import place_order
from tests.ui import breaking_saga_shop
from tests.ui.conftest import SHOP, WAIT_MS, open_in, open_shop, shown_window

FAULT = SagaFault(1234, "e-1234", "OrderPlaced", "Order order_777",
                  "KeyError: 'items' (in fulfilment.py:101)")


def saga_status(*sagas: SagaManagerStatus,
                projections: tuple[ProjectionStatus, ...] = ()) -> RunnerStatus:
    return RunnerStatus(1.0, 2000, projections, sagas, 0.0, sagas_enabled=bool(sagas))


def faulted(name: str = "order_fulfilment", fault: SagaFault | None = FAULT) -> SagaManagerStatus:
    return SagaManagerStatus(name, 1233, 2000, 1233, fault=fault)


def runner_without_its_process(window, monkeypatch) -> list[dict]:
    """Stop the window's runner process (so that its own reports say nothing more), and keep
    what the window sends it; the commands sent, as they come."""
    runner = window.runner
    runner.stop()
    sent: list[dict] = []
    monkeypatch.setattr(runner, "_send", sent.append)
    return sent


def shown(label) -> str:
    """A rich-text label's text as the user reads it."""
    return QTextDocumentFragment.fromHtml(label.text()).toPlainText()


def report(window, status: RunnerStatus) -> None:
    """As the runner process reports a status: a line of JSON on its output."""
    window.runner._message(orjson.dumps({"status": status.to_dict()}))


def test_a_faulted_saga_is_said_with_its_event_and_retried_from_the_sagas_tab(
        window, qtbot, monkeypatch):
    sent = runner_without_its_process(window, monkeypatch)
    panel = window.sagas_panel
    window.bottom_tabs.setCurrentIndex(window.tab_of(panel))
    assert not panel.fault_box.isVisibleTo(panel)
    with qtbot.wait_signal(panel.faults_changed, timeout=WAIT_MS):
        report(window, saga_status(faulted()))
    assert panel.fault_box.isVisibleTo(panel)
    [label] = panel.fault_labels
    assert shown(label) == ("Saga order_fulfilment stopped at position 1,234 (OrderPlaced of "
                            "Order order_777): KeyError: 'items' (in fulfilment.py:101)")
    assert "<a href='1234'>position 1,234</a>" in label.text()
    with qtbot.wait_signal(window.browser.detail_shown, timeout=WAIT_MS):
        label.linkActivated.emit("1234")  # the position opens the event, as a projection's
    assert window.detail.shown_event.position == 1234

    window.bottom_tabs.setCurrentIndex(window.tab_of(panel))
    [retry] = panel.retry_buttons
    retry.click()
    assert sent == [{"retry": "saga:order_fulfilment"}]  # the saga's, whatever is named so

    report(window, saga_status(faulted(fault=None)))  # the retry went through
    assert not panel.fault_box.isVisibleTo(panel)
    assert panel.fault_labels == [] and panel.faults == ()


def test_each_faulted_saga_is_said_on_its_own_line_with_its_own_retry(window, qtbot,
                                                                      monkeypatch):
    sent = runner_without_its_process(window, monkeypatch)
    panel = window.sagas_panel
    other = SagaFault(1500, "e-1500", "LoanOpened", "Loan loan_1", "ValueError: no due date")
    report(window, saga_status(faulted(), faulted("loans", other)))
    assert [shown(label).split(" stopped")[0] for label in panel.fault_labels] == [
        "Saga order_fulfilment", "Saga loans"]
    assert shown(panel.fault_labels[1]).endswith("(LoanOpened of Loan loan_1): ValueError: "
                                                 "no due date")
    panel.retry_buttons[1].click()
    assert sent == [{"retry": "saga:loans"}]
    badge = window.fault_badges.label
    assert "⚠ 2 sagas faulted" in badge.text()
    tab = window.tab_of(panel)
    assert window.bottom_tabs.tabText(tab) == "Sagas (2)"
    report(window, saga_status(faulted("loans", other)))
    assert [shown(label).split(" stopped")[0] for label in panel.fault_labels] == [
        "Saga loans"]
    assert "⚠ 1 saga faulted" in badge.text()
    report(window, saga_status())  # Run sagas unticked: no saga runs, none is faulted
    assert not panel.fault_box.isVisibleTo(panel) and badge.isHidden()
    assert window.bottom_tabs.tabText(tab) == "Sagas"


def test_the_badge_counts_faulted_sagas_beside_projections_and_opens_the_first(
        window, qtbot, monkeypatch):
    runner_without_its_process(window, monkeypatch)
    badge = window.fault_badges.label
    sagas_tab = window.tab_of(window.sagas_panel)
    projections_tab = window.tab_of(window.projections_panel)
    report(window, saga_status(faulted()))
    assert badge.isVisible() and "⚠ 1 saga faulted" in badge.text()
    assert badge.toolTip() == (f"Saga order_fulfilment stopped at position 1,234: {FAULT.error}"
                               "\nClick to open that event.")
    assert window.bottom_tabs.tabText(sagas_tab) == "Sagas (1)"
    assert not window.bottom_tabs.tabIcon(sagas_tab).isNull()
    assert "position 1,234" in window.bottom_tabs.tabToolTip(sagas_tab)
    assert window.bottom_tabs.tabText(projections_tab) == "Projections"
    with qtbot.wait_signal(window.browser.detail_shown, timeout=WAIT_MS):
        badge.linkActivated.emit("open")  # the badge opens the event the saga stopped at
    assert window.detail.shown_event.position == 1234

    stock = ProjectionStatus("stock", "Stock per product", 999, 2000, 999, "faulted",
                             fault=Fault(1000, "e-1000", "KeyError: 'quantity'"))
    report(window, saga_status(faulted(), projections=(stock,)))
    assert "⚠ 1 projection and 1 saga faulted" in badge.text()
    assert badge.toolTip().splitlines() == [
        "Stock per product stopped at position 1,000: KeyError: 'quantity'",
        f"Saga order_fulfilment stopped at position 1,234: {FAULT.error}",
        "Click to open the first one's event."]
    assert window.bottom_tabs.tabText(projections_tab) == "Projections (1)"
    with qtbot.wait_signal(window.browser.detail_shown, timeout=WAIT_MS):
        badge.linkActivated.emit("open")  # the first: the projection's
    assert window.detail.shown_event.position == 1000

    report(window, saga_status(faulted(fault=None), projections=(stock,)))
    assert "⚠ 1 projection faulted" in badge.text()
    assert window.bottom_tabs.tabText(sagas_tab) == "Sagas"
    assert window.bottom_tabs.tabIcon(sagas_tab).cacheKey() != \
        window.bottom_tabs.tabIcon(projections_tab).cacheKey()  # its own icon again


def test_a_saga_faulting_in_the_runner_is_shown_and_retried_once_mended(
        qtbot, seeded, tmp_path, monkeypatch):
    """The whole way: the runner process faults the saga, its status carries the fault to the
    window, Retry reaches the runner, and the mended saga goes on."""
    breaks = tmp_path / "saga-breaks"
    breaks.touch()
    monkeypatch.setenv(breaking_saga_shop.BREAKS, str(breaks))  # (the runner process's too)
    window = shown_window(qtbot)
    try:
        open_in(qtbot, window, seeded,
                system=LoadedSystem(breaking_saga_shop.SYSTEM, breaking_saga_shop.SPEC))
        panel = window.sagas_panel
        window.bottom_tabs.setCurrentIndex(window.tab_of(panel))
        with open_shop(seeded) as store:
            place_order(CommandService(store, SHOP.domain), "order_broken",
                        customer_id=breaking_saga_shop.BROKEN_CUSTOMER)
            position = store.last_position()
        said = []
        window.runner_host.message.connect(lambda text, _ms: said.append(text))
        panel.run_sagas.setChecked(True)
        qtbot.waitUntil(lambda: panel.fault_box.isVisible(), timeout=30_000)
        [label] = panel.fault_labels
        assert shown(label).startswith(
            f"Saga order_fulfilment stopped at position {position:,} (OrderPlaced of Order "
            "order_broken): KeyError: \"the saga's code broke\" (in ")
        assert "⚠ 1 saga faulted" in window.fault_badges.label.text()
        qtbot.waitUntil(lambda: any("Retry in the Sagas tab" in text for text in said),
                        timeout=WAIT_MS)

        breaks.unlink()  # the saga's code mended: Retry handles the event again
        panel.retry_buttons[0].click()
        qtbot.waitUntil(lambda: not panel.fault_box.isVisible(), timeout=30_000)
        assert window.fault_badges.label.isHidden()

        def started():
            with open_shop(seeded, read_only=True) as store:
                return any(e.event_type == "FulfilmentStarted"
                           for e in store.read_stream("fulfilment-order_broken"))
        qtbot.waitUntil(started, timeout=30_000)
    finally:
        window.close()


def test_a_retry_after_the_sagas_code_changed_says_the_runner_runs_the_old_code(
        window, qtbot, monkeypatch):
    """(Helper G: a plug-in's saga step faulted; its code fixed in the editor, Retry faulted
    again, saying nothing: the runner is a process that imported the code when it started.)"""
    sent = runner_without_its_process(window, monkeypatch)
    panel = window.sagas_panel
    report(window, saga_status(faulted()))
    said: list[str] = []
    window.runner_host.message.connect(lambda text, _: said.append(text))
    [retry] = panel.retry_buttons
    retry.click()
    assert sent == [{"retry": "saga:order_fulfilment"}] and said == []  # unchanged since
    monkeypatch.setattr(window.runner, "started_ns", 1)  # started before every file's change
    retry.click()
    assert sent[-1] == {"retry": "saga:order_fulfilment"}
    [message] = said
    assert message.startswith("fulfilment.py, ")
    assert message.endswith(" changed after the runner started: Retry runs the code it loaded "
                            "then. File › Load System… loads your edit; then Retry.")
