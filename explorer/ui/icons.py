"""Icons from the package's resources (resources/icons/*.svg, shipped as explorer.resources)."""

from __future__ import annotations

from functools import cache
from importlib.resources import as_file, files

from PySide6.QtCore import QSize
from PySide6.QtGui import QIcon

from explorer.common.identity import DESKTOP_ID, ICON_SIZES


@cache
def icon(name: str) -> QIcon:
    """The icon resources/icons/NAME.svg; an empty icon if it is missing (never an error)."""
    resource = files("explorer.resources").joinpath("icons", f"{name}.svg")
    if not resource.is_file():
        return QIcon()
    with as_file(resource) as path:
        return QIcon(str(path))


@cache
def app_icon() -> QIcon:
    """The app's icon: the PNG drawn for each of ICON_SIZES (the 16-pixel one sharper than the
    SVG scaled down, for title and task bars), the SVG for other sizes."""
    app = QIcon()
    for size in ICON_SIZES:
        resource = files("explorer.resources").joinpath(
            "icons", "hicolor", f"{size}x{size}", "apps", f"{DESKTOP_ID}.png")
        if resource.is_file():
            with as_file(resource) as path:
                app.addFile(str(path), QSize(size, size))
    return app if not app.isNull() else icon("app")
