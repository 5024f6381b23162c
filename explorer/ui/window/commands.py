"""Two ways into a system's commands from what is shown: a what-if sandbox branched at the
time cursor, and the command console filled with the command that caused the selected event.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt

from explorer.commanding.sending import like_event, owner_of

if TYPE_CHECKING:
    from explorer.ui.main_window import MainWindow


def open_what_if(w: MainWindow, position: int) -> None:
    """A sandbox branched at `position`, to try commands without touching the store."""
    if w.summary is None or not position:
        return
    if w.loaded.generic:
        w.status.say("What if needs a system, to run commands: none is loaded (File › "
                     "Load System…).", 6000)
        return
    from explorer.ui.widgets.what_if import WhatIfDialog

    moment = w.travel.moment
    aggregate = moment.aggregate if moment is not None and moment.position == position \
        else None
    when = moment.event.timestamp_us if moment is not None and moment.event is not None \
        and aggregate is not None else None
    dialog = WhatIfDialog(w.summary.location, position, w.loaded.system, w,
                          stream_type=aggregate.stream_type if aggregate else None,
                          stream_id=aggregate.stream_id if aggregate else None, when=when,
                          examples=w.summary.examples)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    w.what_if = dialog
    dialog.show()


def command_like_selected(w: MainWindow) -> None:
    """Fill the console with the command that caused the selected event."""
    event = w.detail.shown_event
    if event is None:
        w.status.say("Select an event first.", 4000)
        return
    system = w.loaded.system
    if w.loaded.generic:
        w.status.say("No system is loaded, so there are no commands to send (File › "
                     "Load System…).", 6000)
        return
    request = like_event(event, system)
    if request is None:
        command = (event.metadata or {}).get("command")
        reason = (f"{event.stream_id} is written by a saga only." if owner_of(
            system, event.stream_type, event.stream_id) else
            f"No command caused {event.event_type}"
            f"{f' ({command} is not a command of {event.stream_type})' if command else ''}.")
        w.status.say(reason, 6000)
        return
    w.console.prefill(request)
    w.show_console()
