"""Compare two moments in the window: marks A and B on the timeline, and the Compare view."""
