"""Stored text shown to a person (`visible`): a character that would act on a terminal or a cell
rather than show (an escape sequence, a line break, a bidi control) is written as an escape."""

from __future__ import annotations

import orjson
import pytest

from explorer.common.names import visible, visible_lines

ACTING = ["\x00", "\x07", "\x08", "\t", "\n", "\r", "\x1b", "\x1f", "\x7f", "\x80", "\x85", "\x9b",
          "\x9f", "\u061c", "\u200e", "\u200f", "\u2028", "\u2029", "\u202a", "\u202e", "\u2066",
          "\u2069"]


@pytest.mark.parametrize("character", ACTING)
def test_each_acting_character_is_written_as_a_printable_escape(character):
    shown = visible(f"a{character}b")
    assert shown.isprintable() and shown.startswith("a\\") and shown.endswith("b")
    assert character not in shown


def test_the_escapes_read_as_python_and_json_write_them():
    assert visible("Eve\x1b]0;pwned\x07\x1b[2J") == "Eve\\x1b]0;pwned\\x07\\x1b[2J"
    assert visible("a\nb\tc\rd\x00") == "a\\nb\\tc\\rd\\x00"
    assert visible("abc\u202edef\x7f\x85") == "abc\\u202edef\\u007f\\u0085"


def test_printable_text_is_kept_as_it_is():
    for text in ("", "order_0870", "Zoë Müller", "東京 2-chōme", "a  b", "a\\x1b", "emoji 🙂",
                 "\u200b zero width, \u00ad soft hyphen: unprintable but harmless"):
        assert visible(text) == text
    text = "customer_id=cust_456 total=129.90"
    assert visible(text) is text  # (the fast path: no copy)


def test_visible_lines_keeps_line_feeds_alone():
    assert visible_lines("one\ntwo\x1b[2J\r\u202e") == "one\ntwo\\x1b[2J\\r\\u202e"


def test_json_made_visible_is_still_the_same_json():
    value = {"name": "Eve\x1b\u202e\x85\x7f\u2028", "k\u202ey": [1, "\n"]}
    shown = visible_lines(orjson.dumps(value, option=orjson.OPT_INDENT_2).decode())
    assert not any(c in shown for c in ACTING if c != "\n")
    assert orjson.loads(shown) == value
