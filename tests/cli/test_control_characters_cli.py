"""Text stored in events reaches the terminal shown, never acting: the command line's tables
(events, command, projection rows, state) print a control character in event data (ESC, BEL,
NUL, a line break, a right-to-left override) as an escape, and each row stays one line."""

from __future__ import annotations

import argparse
import json
import unicodedata

import pytest

from explorer.cli import handlers
from explorer.cli.output import EventTable, print_table
from explorer.domain import DomainError
from tests.cli.running import run, seeded_shop

NAME = "Eve\x1b]0;pwned\x07\x1b[2J\nL2\x00\u202eev\x85il"  # (under 40: summaries cut)
SHOWN = "Eve\\x1b]0;pwned\\x07\\x1b[2J\\nL2\\x00\\u202eev\\u0085il"
ADDRESS = '{"street": "1 Road", "city": "Xville", "postal_code": "AB1 2CD", "country": "GB"}'
BIDI = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def acting(output: str) -> list[str]:
    """The characters of `output` that would act on a terminal: every control (C0, DEL, C1),
    bidi control and line separator but the newline that ends each line."""
    return [c for c in output if c != "\n" and (unicodedata.category(c) in ("Cc", "Zl", "Zp")
                                                or c in BIDI)]


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """A small shop with a customer whose name holds escape sequences and controls."""
    path = seeded_shop(tmp_path_factory.mktemp("controls"), orders=3, seed=5)
    from explorer.cli import main
    assert main(["command", str(path), "Customer", "cust_e", "register", "--name", NAME,
                 "--email", "e@x.io", "--address", ADDRESS]) == 0
    return path


def test_the_events_table_shows_controls_escaped_one_row_each(store, capsys):
    code, out, err = run(capsys, "events", store, "--stream", "cust_e")
    assert code == 0, err
    assert acting(out) == []
    lines = out.splitlines()
    assert len(lines) == 2 and "CustomerRegistered" in lines[1]  # the header, one row
    assert f"name={SHOWN}" in lines[1]
    code, out, _ = run(capsys, "events", store)  # the whole log too, columns fitted first
    assert code == 0 and acting(out) == [] and SHOWN in out
    code, out, _ = run(capsys, "events", store, "--where", 'data.customer_id = "cust_e"')
    assert code == 0 and acting(out) == [] and len(out.splitlines()) == 2


def test_json_keeps_the_stored_text_exactly(store, capsys):
    code, out, _ = run(capsys, "events", store, "--stream", "cust_e", "--json")
    assert code == 0 and json.loads(out)[0]["data"]["name"] == NAME


def test_a_command_prints_its_events_escaped(store, capsys):
    code, out, err = run(capsys, "command", store, "Customer", "cust_f", "register", "--name",
                         NAME, "--email", "f@x.io", "--address", ADDRESS)
    assert code == 0, err
    assert acting(out) == [] and SHOWN in out and len(out.splitlines()) == 3


def test_a_projections_rows_show_controls_escaped(store, capsys):
    code, out, err = run(capsys, "projection", store, "orders_per_customer")
    assert code == 0, err
    assert acting(out) == []
    row = [line for line in out.splitlines() if line.startswith("cust_e ")]
    assert len(row) == 1 and SHOWN in row[0]


def test_state_shows_controls_escaped(store, capsys):
    code, out, err = run(capsys, "state", store, "cust_e")
    assert code == 0, err
    assert acting(out) == [] and "\\u202e" in out and "\\u0085" in out
    body = out.split("\n", 1)[1]  # (under its heading, the state as JSON: still JSON)
    assert json.loads(body)["name"] == NAME


def test_an_error_quoting_stored_text_prints_it_escaped(capsys):
    def refuse(args):  # (a business rule's message naming a stored value, say)
        raise DomainError("Cannot ship order o1: it has already shipped with Fed\x1b[2J\u202eEx.")

    assert handlers.run(argparse.Namespace(handler=refuse)) == 1
    err = capsys.readouterr().err
    assert err == "error: Cannot ship order o1: it has already shipped with Fed\\x1b[2J\\u202eEx.\n"


def test_the_tables_escape_every_cell(capsys):
    print_table(["A\x1b", "B"], [["x\ty", "1\r\n2"], ["\u202eright", "\x9b2J"]])
    out = capsys.readouterr().out
    assert acting(out) == [] and len(out.splitlines()) == 3
    assert out.splitlines()[1].split() == ["x\\ty", "1\\r\\n2"]
    table = EventTable(8)
    line = table.line(["1", "2026-01-05 08:00:01.123", "s\u202e", "1", "T\x07", "d\x1b[2J\n"])
    assert acting(line) == [] and line.endswith("\n") and line.count("\n") == 1
    assert "s\\u202e" in line and "T\\x07" in line and line.rstrip().endswith("d\\x1b[2J\\n")


@pytest.mark.parametrize("text", ["10\u00a0EUR", "a\u200bb", "soft\u00adhyphen", "\ue000",
                                  "\u00a0\x1b[2J"])
def test_text_python_finds_unprintable_but_not_acting_is_shown_as_it_is(text):
    # (a no-break space, a zero-width space, a soft hyphen, a private-use character: not
    # printable to Python, and nothing to escape; the table's line recursed for ever)
    line = EventTable(8).line(["1", "2026-01-01 00:00:00.000", "s", "1", "T", f"note={text}"])
    assert line.endswith("\n") and acting(line[:-1]) == []
    assert text.replace("\x1b", "\\x1b") in line
