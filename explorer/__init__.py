"""Event Explorer: browse, command and time-travel an event-sourced system stored in SQLite."""

__version__ = "0.1.0"
