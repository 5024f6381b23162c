"""A message in the status bar wider than the room beside its permanent widgets is cut in its
middle, so that its end (often what to do) shows, and is whole in the bar's tooltip while it
shows; a short one is shown as it is."""

from __future__ import annotations


def test_a_long_message_keeps_its_end_and_is_whole_on_hover(window, qtbot):
    bar = window.statusBar()
    long = ("Saga order_fulfilment stopped at position 2,814 (OrderPlaced of Order order_x): "
            + "KeyError: 'the saga's code broke' in /a/very/long/path/" * 6
            + "; Retry in the Sagas tab tries it again.")
    window.status.say(long, 10_000)
    shown = bar.currentMessage()
    assert shown != long and "…" in shown
    assert shown.endswith("tries it again.") and shown.startswith("Saga order_fulfilment")
    assert bar.fontMetrics().horizontalAdvance(shown) <= window.status._message_room()
    assert bar.toolTip() == long
    window.status.say("Copied the event as JSON.", 3000)
    assert bar.currentMessage() == "Copied the event as JSON." and bar.toolTip() == ""
    bar.clearMessage()
    assert bar.toolTip() == ""
    window.status.say(long, 10_000)
    bar.showMessage("Opened read-only.", 5000)  # (shown past `say`: its tooltip is not this's)
    assert bar.toolTip() == ""
