"""Icons from the package's resources (resources/icons/*.svg, shipped as explorer.resources)."""

from __future__ import annotations

from functools import cache
from importlib.resources import as_file, files

from PySide6.QtGui import QIcon


@cache
def icon(name: str) -> QIcon:
    """The icon resources/icons/NAME.svg; an empty icon if it is missing (never an error)."""
    resource = files("explorer.resources").joinpath("icons", f"{name}.svg")
    if not resource.is_file():
        return QIcon()
    with as_file(resource) as path:
        return QIcon(str(path))


def app_icon() -> QIcon:
    return icon("app")
