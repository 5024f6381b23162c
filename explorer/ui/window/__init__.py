"""The main window's parts: what it opens and how (`opening`, `systems`), its actions and menus,
its status bar, and the glue that keeps the event list, the time cursor and the runner in step
with the open store. `explorer.ui.main_window.MainWindow` composes them."""
