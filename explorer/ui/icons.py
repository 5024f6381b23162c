"""Icons from the package's resources (resources/icons/*.svg, shipped as explorer.resources).

The icons' lines are drawn in dark slate (INK); on a dark palette they are drawn in the
palette's button-text colour instead, where dark lines would not be seen."""

from __future__ import annotations

from functools import cache
from importlib.resources import as_file, files

from PySide6.QtCore import QBuffer, QByteArray, QSize
from PySide6.QtGui import QGuiApplication, QIcon, QImageReader, QPalette, QPixmap

from explorer.common.identity import DESKTOP_ID, ICON_SIZES
from explorer.ui.tones import palette_is_dark

INK = "#37474f"
RECOLOURED_SIZES = (16, 24, 32, 48, 64, 96)


def icon(name: str) -> QIcon:
    """The icon resources/icons/NAME.svg; an empty icon if it is missing (never an error)."""
    return _icon(name, _ink())


def _ink() -> str:
    """The colour of the icons' lines: INK, or on a dark palette its button text's colour."""
    if not palette_is_dark():
        return INK
    return QGuiApplication.palette().color(QPalette.ColorRole.ButtonText).name()


@cache
def _icon(name: str, ink: str) -> QIcon:
    resource = files("explorer.resources").joinpath("icons", f"{name}.svg")
    if not resource.is_file():
        return QIcon()
    if ink == INK:
        with as_file(resource) as path:
            return QIcon(str(path))
    svg = QByteArray(resource.read_text(encoding="utf-8").replace(INK, ink).encode())
    recoloured = QIcon()
    for size in RECOLOURED_SIZES:
        source = QBuffer(svg)
        reader = QImageReader(source, b"svg")
        reader.setScaledSize(QSize(size, size))
        recoloured.addPixmap(QPixmap.fromImage(reader.read()))
    return recoloured


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
