"""Cancellation of long jobs."""


class Cancelled(Exception):
    """Raised inside a long job when the user (or a newer request) no longer needs its result."""
