"""Whether the window's palette is dark (a dark desktop theme), for the few places that draw
a colour of their own behind or in the palette's text and must keep it readable."""

from __future__ import annotations

from PySide6.QtGui import QGuiApplication, QPalette


def palette_is_dark(palette: QPalette | None = None) -> bool:
    """True if `palette` (else the application's) has a dark window: its text is light."""
    if palette is None:
        if QGuiApplication.instance() is None:
            return False
        palette = QGuiApplication.palette()
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def panel_background(light: str) -> str:
    """A style sheet colour for a panel's background behind the palette's text: `light` (a
    tint chosen for a light palette), or on a dark palette its alternate base colour."""
    return "palette(alternate-base)" if palette_is_dark() else light
