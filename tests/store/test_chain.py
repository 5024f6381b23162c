"""The hash chain's two forms (explorer.store.chain): a run of links equals the links made one
row at a time, across the position where a store's server form starts, and the writer's
digests of events to append equal those of the rows stored from them."""

from __future__ import annotations

import random
import struct

import orjson
import pytest

from explorer.store import chain


def rows(count: int, seed: int) -> list[tuple]:
    pick = random.Random(seed)
    return [(n, f"order_{pick.randrange(50):03d}", "Order", pick.randrange(1, 9), f"e-{n}",
             pick.choice(["Placed", "Paid", "ünïcode ✓"]), pick.randrange(1, 3),
             1_700_000_000_000_000 + n * pick.randrange(1000),
             pick.choice([None, f"c-{n}", ""]),
             orjson.dumps({"n": n, "text": pick.choice(['"q"', "\\", "", "\n"])}).decode(),
             pick.choice(["{}", '{"user": "ann"}'])) for n in range(1, count + 1)]


def one_at_a_time(form: chain.ChainForm, previous: bytes, stored: list[tuple]) -> bytes:
    made = bytearray()
    for row in stored:
        previous = form.link(previous, row)
        made += previous
    return bytes(made)


@pytest.mark.parametrize("server_from", [None, 1, 40, 61, 200])
def test_a_run_of_links_is_each_rows_link_in_its_form(server_from):
    stored = rows(60, server_from or 0)
    form = chain.ChainForm(server_from)
    assert form.links(b"x" * 16, stored) == one_at_a_time(form, b"x" * 16, stored)
    previous = chain.GENESIS
    for row, link in zip(stored, struct.iter_unpack("16s", form.links(previous, stored)),
                         strict=True):
        server = server_from is not None and row[0] >= server_from
        assert link[0] == (chain.server_link if server else chain.link)(previous, row)
        previous = link[0]


def test_the_server_form_hashes_the_writers_digest_and_where_the_server_put_the_event():
    stored = rows(30, 7)
    stream_id, stream_type = "order_001", "Order"
    events = [(r[4], r[5], r[6], r[7], r[8], r[9], r[10]) for r in stored]
    digests = chain.contents(stream_id, stream_type, events)
    for n, row in enumerate(stored):
        placed = (row[0], stream_id, stream_type, *row[3:])
        assert digests[16 * n:16 * n + 16] == chain.content(placed)
    moved = (stored[0][0] + 1, *stored[0][1:])  # (another position, version or timestamp)
    assert chain.server_link(b"", moved) != chain.server_link(b"", stored[0])
    assert chain.server_link(b"", (*stored[0][:7], stored[0][7] + 1, *stored[0][8:])) != (
        chain.server_link(b"", stored[0]))
