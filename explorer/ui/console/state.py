"""What the command console's parts share: the system, the store, the command chosen, the id
typed, what the store says about that target, and whether a command is on its way.

Each part reads the state and listens to its signals; none reaches into another's widgets.

Signals:
    system_changed(): another system's commands are offered (the command chosen is dropped).
    store_changed(): another store was opened, or none is (see `can_send`).
    command_changed(): another command was chosen (or none is).
    id_changed(): the target id typed changed.
    target_changed(): what the store says about the target changed, or how far it has moved.
    sending_changed(): a command went out, or its answer came.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal

from explorer.commanding.sending import owner_of
from explorer.domain.commands import Command
from explorer.system import NO_SYSTEM, System
from explorer.ui import settings


@dataclass(frozen=True)
class Target:
    """What the store says about the stream a command is for."""

    stream_id: str
    stream_type: str | None  # None: no such stream yet
    version: int
    last_event: str | None


def store_key(location: str | None) -> str | None:
    """A store as the history notes it: its real path, however it was named when opened (a
    name that is not UTF-8 as settings.kept_path keeps it: the history is saved as JSON)."""
    return settings.kept_path(os.path.realpath(location)) if location else None


class ConsoleState(QObject):
    """The console's shared state; set it only through its methods, which announce changes."""

    system_changed = Signal()
    store_changed = Signal()
    command_changed = Signal()
    id_changed = Signal()
    target_changed = Signal()
    sending_changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.system: System = NO_SYSTEM
        self.location: str | None = None
        self.read_only = True
        self.command: type[Command] | None = None
        self.typed_id = ""
        self.target: Target | None = None
        self.moved_to: int | None = None  # the target's version now, if it moved since read
        self.sending = False

    @property
    def can_send(self) -> bool:
        return self.location is not None and not self.read_only

    def set_system(self, system: System) -> None:
        self.system = system
        self.command = None
        self.system_changed.emit()

    def set_store(self, location: str | None, read_only: bool) -> None:
        self.location = location
        self.read_only = read_only
        self.target = None
        self.store_changed.emit()

    def set_command(self, command: type[Command] | None) -> None:
        self.command = command
        self.command_changed.emit()

    def set_typed_id(self, text: str) -> None:
        self.typed_id = text.strip()
        self.id_changed.emit()

    def set_target(self, target: Target | None) -> None:
        """What the store says about the target now (so it has not moved since)."""
        self.target = target
        self.moved_to = None
        self.target_changed.emit()

    def set_moved_to(self, version: int) -> None:
        """The target has moved to this version since it was read."""
        self.moved_to = version
        self.target_changed.emit()

    def set_sending(self, sending: bool) -> None:
        """A command is on its way (or no longer): one at a time, from any button."""
        self.sending = sending
        self.sending_changed.emit()

    def refusal(self) -> str | None:
        """Why the target takes no commands from here (a saga's stream, say), or None."""
        target = self.target
        return owner_of(self.system, target.stream_type, target.stream_id) if target else None

    def chosen(self) -> tuple:
        """The command and target chosen now, as an error is about them: (type, command, id)."""
        command = self.command
        return (command.stream_type if command else None,
                command.command_name if command else None, self.typed_id)
