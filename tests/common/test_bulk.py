"""Bulk work pauses the garbage collector only where a process allowed it (the command line),
never in the window's process, whose threads share the collector with the GUI thread."""

from __future__ import annotations

import gc

from explorer.common.bulk import bulk_work, collector_pauses_allowed


def test_bulk_work_leaves_the_collector_alone_unless_allowed():
    assert gc.isenabled()
    with bulk_work():
        assert gc.isenabled()
    assert gc.isenabled()


def test_where_allowed_bulk_work_pauses_the_collector_and_resumes_it():
    with collector_pauses_allowed():
        with bulk_work():
            with bulk_work():  # re-entrant
                assert not gc.isenabled()
            assert not gc.isenabled()
        assert gc.isenabled()
    with bulk_work():  # the permission ends with its block
        assert gc.isenabled()
