"""The search boxes' tooltips give no example of the demo shop's (prod_101, order_0870,
cust_456, "Royal Mail"): a user exploring a system of their own read them as if about theirs."""

from __future__ import annotations

import re

from explorer.ui.widgets import event_search
from explorer.ui.widgets.search_box import SearchBox

SHOP = re.compile(r"prod_|order_|cust_|Royal Mail")


def test_the_search_tooltips_name_nothing_of_the_shops(qtbot):
    box = SearchBox("Search rows")
    qtbot.add_widget(box)
    for text in (box.toolTip(), event_search.TOOLTIP):
        assert not SHOP.search(text), text
