"""Qt item models over plain values from the core."""
