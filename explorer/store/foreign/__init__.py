"""Stores other tools write, read through the EventStore interface without being changed.

`eventsourcing`: the SQLite files of the Python `eventsourcing` library (layout: recognising
them; transcoding: reading their stored states; views: their tables under our tables' names;
library_store: the read-only store). `EventStore.open` routes such a file here.
"""
