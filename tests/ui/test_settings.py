"""The settings read back what was saved, and a value of an unexpected kind (a settings file
edited by hand) reads as nothing remembered rather than breaking the window."""

from __future__ import annotations

from explorer.ui import settings


def test_recent_stores_of_an_unexpected_kind_read_as_none():
    before = settings.recent_stores()
    try:
        settings._put("stores/recent", 5)
        assert settings.recent_stores() == []
        assert settings.remember_store("/data/a.evstore") == ["/data/a.evstore"]
        assert settings.recent_stores() == ["/data/a.evstore"]
    finally:
        settings._put("stores/recent", before)
