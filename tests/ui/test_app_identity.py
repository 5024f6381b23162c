"""The window's identity for the desktop: launchers and task bars group and label its windows by
the desktop file name, the names, the version and the icon the application carries."""

from __future__ import annotations

from explorer.cli.desktop_files import APP_ID, ICON_NAME, desktop_entry
from explorer.common.identity import ICON_SIZES, app_version
from explorer.ui.app import create_application, parse_arguments


def test_the_application_names_its_desktop_entry_version_and_icon(qapp):
    app = create_application()
    assert app is qapp
    assert app.desktopFileName() == APP_ID == ICON_NAME
    assert app.applicationDisplayName() == "Event Explorer"
    assert app.applicationVersion() == app_version()
    sizes = {(size.width(), size.height()) for size in app.windowIcon().availableSizes()}
    assert {(s, s) for s in ICON_SIZES} <= sizes  # each drawn for its size, 16 px sharp
    assert f"Icon={ICON_NAME}\n" in desktop_entry(["/usr/bin/event-explorer"])


def test_one_store_per_window_as_the_launcher_passes_it():
    """The entry's %f starts one window per file, each given its one store."""
    assert "Exec=/usr/bin/event-explorer %f\n" in desktop_entry(["/usr/bin/event-explorer"])
    assert parse_arguments(["/home/me/a store.evstore"]).store == "/home/me/a store.evstore"
