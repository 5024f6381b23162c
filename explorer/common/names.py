"""What the ids and names a store holds may contain (stream ids, stream and event types, event
and correlation ids): printable text. The one rule behind a command's stream id (explorer.domain)
and each line of an import (explorer.exchange), so that neither lets in a NUL, a line break, a
tab or a terminal's escape sequence that every list and terminal would then show garbled.

Event data may hold any text, so what shows stored text to a person (the command line's tables,
the window's cells) shows it through `visible`: the characters that would act rather than show
(a terminal's ESC and BEL, a line break, the bidi controls that reorder the rest of a line)
written as escapes a person reads."""

from __future__ import annotations

import re

_ACTING_NOT_C0 = ("\x7f-\x9f"  # DEL, the C1 controls
                  "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"  # bidi marks, embeddings
                  "\u2028\u2029"  # line and paragraph separators (line breaks to Qt's layout)
                  "\ud800-\udfff")  # lone surrogates: a file name's bytes that are not UTF-8
_ACTING = re.compile(f"[\x00-\x1f{_ACTING_NOT_C0}]")  # (C0: NUL, TAB, LF, CR, ESC, BEL ...)
_ACTING_BUT_NEWLINE = re.compile(f"[\x00-\x09\x0b-\x1f{_ACTING_NOT_C0}]")
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def unprintable(text: str) -> str | None:
    """The first character of `text` that is not shown as itself (a control character such as
    NUL, a line break, a tab or ESC; a format or unassigned one), as Python writes it ('\\x1b');
    None when every character prints. A space prints."""
    if text.isprintable():  # (the common case, in C)
        return None
    return next(repr(character) for character in text if not character.isprintable())


def escape(character: str) -> str:
    """How `visible` writes a character: a C0 control as Python does ("\\n", "\\t", "\\x1b"),
    any other as JSON does ("\\u007f", "\\u0085", "\\u202e"), so that JSON text (whose own
    escapes leave DEL, C1 and bidi controls as they are) stays JSON once made visible."""
    code = ord(character)
    return _NAMED.get(character) or (f"\\x{code:02x}" if code < 0x20 else f"\\u{code:04x}")


def visible(text: str) -> str:
    """`text` with every control character (C0 such as NUL, TAB, LF, ESC and BEL; DEL; C1), bidi
    control (U+202A-U+202E, U+2066-U+2069, U+200E, U+200F, U+061C) and line or paragraph
    separator written as an escape (`escape`), so that stored text shown in a terminal or a cell
    neither acts on it (clearing a screen, setting a title, reversing what follows) nor breaks
    its line. Text without one (nearly all) is returned as it is, at the cost of a check in C.

    A lone surrogate (Python's stand-in for a byte of a file name that is not UTF-8: Latin-1's
    café is caf\\udce9) is written so too, as the command line's error lines write it: a Qt
    string cannot hold one, and the window showed caf.evstore, another file's name."""
    if text.isprintable():  # (every character `visible` escapes is unprintable)
        return text
    return _ACTING.sub(_escaped, text)


def visible_lines(text: str) -> str:
    """As `visible`, but line feeds are kept: for text of several lines (a message, indented
    JSON) whose values' own line breaks are escaped already or do no harm."""
    if text.isprintable():
        return text
    return _ACTING_BUT_NEWLINE.sub(_escaped, text)


def _escaped(found: re.Match[str]) -> str:
    return escape(found.group())
