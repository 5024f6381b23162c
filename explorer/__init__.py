"""Event Explorer: browse, command and time-travel an event-sourced system stored in SQLite."""

from explorer.common.identity import app_version

__version__ = app_version()
"""The installed distribution's version (explorer.common.identity.app_version)."""
