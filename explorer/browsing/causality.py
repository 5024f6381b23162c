"""Cause and effect between events: the tree of one request, from the metadata of its events.

Every event names its correlation id (the request it belongs to), its causation id (the event or
command that caused it) and the id of the command that recorded it. The tree alternates: a
command, the events it recorded, the commands those events caused (by a saga, say), and so on.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from explorer.store.records import RecordedEvent


@dataclass
class CausalNode:
    """A command or an event in a request's tree."""

    kind: str  # "command" or "event"
    id: str
    label: str
    event: RecordedEvent | None = None
    issued_by: str = ""
    children: list[CausalNode] = field(default_factory=list)

    def walk(self) -> Iterator[CausalNode]:
        yield self
        for child in self.children:
            yield from child.walk()


def build_tree(events: list[RecordedEvent]) -> list[CausalNode]:
    """The roots of the causal tree of `events` (normally one request's, in global order)."""
    by_event_id: dict[str, CausalNode] = {}
    commands: dict[str, CausalNode] = {}
    roots: list[CausalNode] = []
    for event in events:
        node = CausalNode("event", event.event_id, f"{event.event_type} in {event.stream_id} "
                          f"v{event.version}", event)
        by_event_id[event.event_id] = node
        metadata = event.metadata
        command_id = metadata.get("command_id")
        if command_id is None:  # written without a command: hang it under its cause
            parent = by_event_id.get(metadata.get("causation_id", ""))
            (parent.children if parent else roots).append(node)
            continue
        command = commands.get(command_id)
        if command is None:
            command = CausalNode("command", command_id,
                                 f"{metadata.get('command', 'command')} on {event.stream_id}",
                                 issued_by=str(metadata.get("issued_by", "")))
            commands[command_id] = command
            cause = by_event_id.get(metadata.get("causation_id", ""))
            (cause.children if cause is not None else roots).append(command)
        command.children.append(node)
    return roots


def describe_cause(event: RecordedEvent, cause: RecordedEvent | None) -> str:
    """One line on what caused `event`: the event, or the command issued by someone."""
    metadata = event.metadata
    if cause is not None:
        return (f"{cause.event_type} in {cause.stream_id} v{cause.version} "
                f"(position {cause.position:,})")
    command = metadata.get("command")
    if command:
        who = metadata.get("issued_by")
        return f"the command {command}" + (f" issued by {who}" if who else "")
    return "unknown (the event has no causation id)"
