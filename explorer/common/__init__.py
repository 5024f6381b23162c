"""Small pieces every layer may use: times as microseconds, human formatting, private files,
bulk-work switches and cancellation. They import nothing else of the explorer."""
