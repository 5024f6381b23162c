"""What the window's lists and the command line's `sagas` show as a saga's current step."""

from __future__ import annotations

import pytest

from explorer.sagas.progress import current_step


@pytest.mark.parametrize("status", ["running", "compensating"])
def test_a_saga_still_going_shows_its_pending_steps(status):
    assert current_step({"status": status, "current_step": "ship order"}) == "ship order"


@pytest.mark.parametrize("status", ["completed", "failed", "compensated"])
def test_a_finished_saga_has_no_current_step(status):
    # (a completed order's dispatch, scheduled as it completed, is pending in its step table)
    assert current_step({"status": status, "current_step": "dispatch prod_123"}) is None
