"""Widgets of the explorer window."""
