"""The import's reading of lines into rows (explorer.exchange.parsing): a block boundary inside
a line keeps the line numbers, a line read by the quick path gives the row that the careful
reading (parse_line) gives, and a line the quick path must not take is read carefully."""

from __future__ import annotations

import orjson
import pytest

from explorer.exchange import parsing
from explorer.exchange.formats import LineError
from explorer.exchange.importing import _read_item, import_file
from explorer.exchange.parsing import RowReader
from tests.exchange.test_export_import import good_lines, mangled


@pytest.mark.parametrize("correlation_id", [7, {"id": "c"}])
def test_a_correlation_id_that_is_not_a_text_is_refused_at_its_line(store, tmp_path,
                                                                    correlation_id):
    lines = good_lines(store, tmp_path)
    lines[2] = mangled(lines[2], metadata={"correlation_id": correlation_id, "user": "ann"})
    source = tmp_path / "events.jsonl"
    source.write_bytes(b"\n".join(lines))
    with pytest.raises(LineError, match="the correlation_id in the metadata is") as raised:
        import_file(source, tmp_path / "new.evstore")
    assert raised.value.line == 3


def test_a_block_boundary_inside_a_line_keeps_the_line_numbers(store, tmp_path, monkeypatch):
    lines = good_lines(store, tmp_path)
    lines[3] = mangled(lines[3], version=9)
    source = tmp_path / "events.jsonl"
    source.write_bytes(b"\n".join([lines[0], b"", *lines[1:]]))
    monkeypatch.setattr(parsing, "READ_BYTES", 7)  # blocks end inside lines
    with pytest.raises(LineError, match="version 9 of stream") as raised:
        import_file(source, tmp_path / "new.evstore")
    assert raised.value.line == 5


def read_rows(lines: list[bytes], careful=_read_item, batch_events: int = 1000) -> RowReader:
    written: list[list] = []
    reader = RowReader(lambda rows, numbers: written.append(rows), careful,
                       batch_events=batch_events)
    reader.read(lines, 1)
    reader.rows[:0] = [row for rows in written for row in rows]
    return reader


def test_the_quick_path_gives_the_rows_the_careful_reading_gives(store, tmp_path):
    lines = good_lines(store, tmp_path)
    lines[1] = mangled(lines[1], metadata={"correlation_id": "c-1", "user": "ann"})
    taken: list[int] = []

    def careful(text: bytes, number: int, value):
        taken.append(number)
        return _read_item(text, number, value)

    quick = read_rows(lines, careful, batch_events=2)
    assert taken == []  # every line as export writes it goes the quick way
    careful_rows = [
        (position, stream_id, stream_type, version, event_id, event_type, schema_version, time,
         correlation_id, data, metadata)
        for position, (stream_id, stream_type, event_type, version, event_id, time,
                       schema_version, correlation_id, data, metadata)
        in enumerate((_read_item(line, number) for number, line in enumerate(lines, 1)), 1)]
    assert quick.rows == careful_rows
    assert quick.rows[1][8] == "c-1" and orjson.loads(quick.rows[1][10]) == {"user": "ann"}


@pytest.mark.parametrize("change", [
    {"version": True}, {"version": 2**63}, {"schema_version": 0}, {"stream_id": " "},
    {"time": "2023-11-14T22:13:20.123456+00:00"}, {"time": "2023-11-14T22:13:20.1234567"},
    {"metadata": {"correlation_id": 7}}, {"unreadable": "bad"}, {"specversion": "1.0"},
    {"stream_id": "acc\x1b[31m1"}, {"stream_type": "Acc\tount"}, {"type": "Opened\n"},
    {"event_id": "e\x00"}, {"metadata": {"correlation_id": "c\r1"}},
])
def test_a_line_the_quick_path_must_not_take_is_read_carefully(store, tmp_path, change):
    lines = good_lines(store, tmp_path)
    lines[0] = mangled(lines[0], **change)
    taken: list[int] = []

    def careful(text: bytes, number: int, value):
        taken.append(number)
        raise LineError(number, "refused")

    with pytest.raises(LineError, match="refused"):
        read_rows(lines, careful)
    assert taken == [1]


def test_a_huge_line_read_over_many_blocks_is_refused_at_its_line(store, tmp_path,
                                                                   monkeypatch):
    from explorer.exchange import importing

    lines = good_lines(store, tmp_path)
    lines[2] = mangled(lines[2], data={"blob": "x" * 5000})
    source = tmp_path / "huge.jsonl"
    source.write_bytes(b"\n".join([lines[0], b"", *lines[1:]]))
    monkeypatch.setattr(importing, "MAX_LINE_BYTES", 1000)
    monkeypatch.setattr(parsing, "READ_BYTES", 64)  # the line is read in many pieces
    with pytest.raises(LineError, match="longer than") as raised:
        import_file(source, tmp_path / "new.evstore")
    assert raised.value.line == 4
    assert not (tmp_path / "new.evstore").exists()


def with_number(line: bytes, number: bytes) -> bytes:
    """The line with its data's `quantity` the JSON number written as `number`."""
    return mangled(line, data={"quantity": "NUMBER", "sku": "12345678901234567890123"}
                   ).replace(b'"NUMBER"', number)


@pytest.mark.parametrize("number", [b"18446744073709551616", b"9223372036854775808",
                                    b"-9223372036854775809", b"1000000000000000000000000000000"])
def test_an_integer_beyond_64_bits_is_refused_at_its_line_not_rounded(store, tmp_path, number):
    lines = good_lines(store, tmp_path)
    lines[2] = with_number(lines[2], number)
    source = tmp_path / "events.jsonl"
    source.write_bytes(b"\n".join(lines))
    target = tmp_path / "new.evstore"
    with pytest.raises(LineError, match=f"the integer {number.decode()} \\(data.quantity\\) "
                                        "does not fit in 64 bits") as raised:
        import_file(source, target)
    assert raised.value.line == 3 and not target.exists()


def test_integers_within_64_bits_and_long_digit_texts_are_kept_exactly(store, tmp_path):
    lines = good_lines(store, tmp_path)
    lines[0] = with_number(lines[0], b"9223372036854775807")
    lines[1] = with_number(lines[1], b"-9223372036854775808")
    source = tmp_path / "events.jsonl"
    source.write_bytes(b"\n".join(lines))
    rows = read_rows(lines).rows
    assert [orjson.loads(rows[n][9]) for n in (0, 1)] == [
        {"quantity": 2**63 - 1, "sku": "12345678901234567890123"},
        {"quantity": -2**63, "sku": "12345678901234567890123"}]


def test_a_utf8_byte_order_mark_is_skipped(store, tmp_path):
    lines = good_lines(store, tmp_path)
    source = tmp_path / "marked.jsonl"
    source.write_bytes(b"\xef\xbb\xbf" + b"\n".join(lines))
    assert import_file(source, tmp_path / "new.evstore").events == len(lines)


@pytest.mark.parametrize(("start", "said"), [
    (b"\xff\xfe", "the file is UTF-16 text: save it as UTF-8"),
    (b"\xfe\xff", "the file is UTF-16 text: save it as UTF-8"),
    (b"SQLite format 3\x00", "the file is an SQLite database \\(an Event Explorer store\\?\\), "
                             "not an events file"),
])
def test_a_file_plainly_not_utf8_events_says_what_it_is(store, tmp_path, start, said):
    source = tmp_path / "odd.jsonl"
    source.write_bytes(start + b"\x00{}\n" * 3)
    target = tmp_path / "new.evstore"
    with pytest.raises(LineError, match=said) as raised:
        import_file(source, target)
    assert raised.value.line == 1 and not target.exists()


def test_a_line_not_in_utf8_says_so_and_where(store, tmp_path):
    lines = good_lines(store, tmp_path)
    lines[1] = mangled(lines[1], data={"name": "CAFE"}).replace(b"CAFE", b"caf\xe9")
    source = tmp_path / "latin1.jsonl"
    source.write_bytes(b"\n".join(lines))
    column = lines[1].index(b"\xe9") + 1
    with pytest.raises(LineError, match=f"line 2: not UTF-8 text \\(byte 0xe9 at column "
                                        f"{column}\\): save the file as UTF-8"):
        import_file(source, tmp_path / "new.evstore")
