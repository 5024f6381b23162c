"""Small pieces every layer may use: times as microseconds, human formatting, private files,
bulk-work switches, cancellation, what is closed by `with`, and dataclasses as JSON-ready
dicts. They import nothing else of the explorer."""
