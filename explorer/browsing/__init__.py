"""Browsing a store: row maps and pages for lists of any length, cause-and-effect trees, and
examples from the store for the window's hints."""
