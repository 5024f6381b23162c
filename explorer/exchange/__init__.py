"""Events in and out of a store: export to JSON Lines or CloudEvents, import into a new store,
and bug-report bundles (a consistent copy of a store with the view on it).

Qt-free: the CLI (`export`, `import`, `bundle`) and the window's File menu use the same functions.
"""
