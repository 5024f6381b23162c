"""What the ids and names a store holds may contain (stream ids, stream and event types, event
and correlation ids): printable text. The one rule behind a command's stream id (explorer.domain)
and each line of an import (explorer.exchange), so that neither lets in a NUL, a line break, a
tab or a terminal's escape sequence that every list and terminal would then show garbled."""

from __future__ import annotations


def unprintable(text: str) -> str | None:
    """The first character of `text` that is not shown as itself (a control character such as
    NUL, a line break, a tab or ESC; a format or unassigned one), as Python writes it ('\\x1b');
    None when every character prints. A space prints."""
    if text.isprintable():  # (the common case, in C)
        return None
    return next(repr(character) for character in text if not character.isprintable())
