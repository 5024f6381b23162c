"""The console's list of commands: every command of every aggregate type that takes commands,
narrowed by type and by a fuzzy search; the one picked becomes the state's command."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLineEdit, QListWidget, QListWidgetItem, QWidget

from explorer.commanding.sending import writable_types
from explorer.domain.commands import Command
from explorer.ui.console.state import ConsoleState, Target
from explorer.ui.layouts import column

COMMAND_ROLE = Qt.ItemDataRole.UserRole + 21


def fuzzy(query: str, text: str) -> bool:
    """True if the query's characters appear in order in the text (e.g. "oshp" in "Order ship")."""
    position = 0
    text = text.lower()
    for char in query.lower().replace(" ", ""):
        position = text.find(char, position) + 1
        if position == 0:
            return False
    return True


class CommandList(QWidget):
    """The type filter, the search and the list.

    `holds_input` says whether the form holds what the user typed: a search then leaves the
    choice to them rather than pick its best match."""

    def __init__(self, state: ConsoleState, holds_input: Callable[[], bool],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self._holds_input = holds_input
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search commands…")
        self.search.setClearButtonEnabled(True)
        self.search.setToolTip("Type any letters of a command, its type or its description, "
                               "in order: “acl” finds Account close")
        self.search.textChanged.connect(lambda _: self.fill())
        self.type_filter = QComboBox()
        self.type_filter.currentIndexChanged.connect(lambda _: self.fill())
        self.commands = QListWidget()
        self.commands.currentItemChanged.connect(self._chosen)
        column(self.type_filter, self.search, (self.commands, 1), margins=(6, 6, 3, 6),
               into=self)
        state.system_changed.connect(self._system_changed)

    def _system_changed(self) -> None:
        self.type_filter.blockSignals(True)
        self.type_filter.clear()
        self.type_filter.addItem("All types", None)
        for stream_type in writable_types(self.state.system):
            self.type_filter.addItem(stream_type, stream_type)
        self.type_filter.blockSignals(False)
        self.fill()  # (which empties the list quietly: emptied aloud, the list would make
        # another old item current as it goes, and that old system's command be looked up in
        # the new system; the command chosen is dropped with the system)

    def fill(self) -> None:
        """List the commands of the type chosen that the search matches."""
        chosen = self.state.command
        query = self.search.text().strip()
        self.commands.blockSignals(True)
        self.commands.clear()
        for stream_type, name, command in self._matching(query):
            label = f"{stream_type} › {name.replace('_', ' ')}"
            item = QListWidgetItem(label)
            item.setData(COMMAND_ROLE, (stream_type, name))
            item.setToolTip(command.summary())
            self.commands.addItem(item)
            if chosen is not None and (stream_type, name) == (chosen.stream_type,
                                                              chosen.command_name):
                self.commands.setCurrentItem(item)
        self.commands.blockSignals(False)
        if self.commands.currentItem() is None and query and self.commands.count() \
                and not (chosen is not None and self._holds_input()):
            self.commands.setCurrentRow(0)  # the best match, ready to fill in (unless that
            # would throw away what the user has typed into the form: then they pick one)

    def _matching(self, query: str):
        """(type, name, command) of each command listed now."""
        system, only = self.state.system, self.type_filter.currentData()
        for stream_type in writable_types(system):
            if only and stream_type != only:
                continue
            for name, command in system.domain.commands[stream_type].items():
                label = f"{stream_type} › {name.replace('_', ' ')}"
                if not query or fuzzy(query, f"{label} {command.summary()}"):
                    yield stream_type, name, command

    def _chosen(self, item: QListWidgetItem | None, _previous=None) -> None:
        if item is not None:
            self.state.set_command(self.state.system.domain.command_class(
                *item.data(COMMAND_ROLE)))

    def choose(self, stream_type: str, name: str) -> None:
        """Pick this command, clearing the search and the type filter if they hide it."""
        if self._pick(stream_type, name):
            return
        self.search.clear()
        self.type_filter.setCurrentIndex(0)
        self._pick(stream_type, name)

    def _pick(self, stream_type: str, name: str) -> bool:
        for row in range(self.commands.count()):
            if self.commands.item(row).data(COMMAND_ROLE) == (stream_type, name):
                self.commands.setCurrentRow(row)
                return True
        return False

    def suit(self, target: Target) -> None:
        """A target of another type than the command's was read: pick its type's first command
        for a stream that exists."""
        command = self.state.command
        if target.stream_type not in writable_types(self.state.system) or (
                command is not None and command.stream_type == target.stream_type):
            return
        commands = self.state.system.domain.commands.get(target.stream_type, {})
        existing = [n for n, c in commands.items() if c.creates_stream is not True]
        if existing:
            self.choose(target.stream_type, existing[0])

    def type_for_new_id(self) -> str:
        """The aggregate type a new id is made for: the command's, else the type filtered."""
        command = self.state.command
        types = writable_types(self.state.system)
        return command.stream_type if command else (self.type_filter.currentData()
                                                    or (types[0] if types else ""))

    def current(self) -> type[Command] | None:
        return self.state.command
