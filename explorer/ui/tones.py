"""Whether the window's palette is dark (a dark desktop theme), for the few places that draw
a colour of their own behind or in the palette's text and must keep it readable."""

from __future__ import annotations

from functools import cache

from PySide6.QtGui import QBrush, QColor, QGuiApplication, QPalette


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


TINT_TEXT = "#212121"
TEXT_ON_TINT = QBrush(QColor(TINT_TEXT))
"""The text in a cell the window tints light (a changed, added or written row): dark whatever
the palette, whose own text is light on a dark one and would not be seen on the tint."""


def faded(light: QBrush) -> QBrush:
    """Text that should read as faded (events after the time-travel cursor): `light` (a pale
    grey chosen for a light palette), or on a dark palette a colour between its text and base,
    as a pale grey is about as bright as a dark palette's text."""
    if not palette_is_dark():
        return light
    palette = QGuiApplication.palette()
    return _between(palette.color(QPalette.ColorRole.Text).rgb(),
                    palette.color(QPalette.ColorRole.Base).rgb())


@cache
def _between(text: int, base: int) -> QBrush:
    near, far = QColor.fromRgb(text), QColor.fromRgb(base)
    return QBrush(QColor(*(round(0.4 * a + 0.6 * b) for a, b in
                           ((near.red(), far.red()), (near.green(), far.green()),
                            (near.blue(), far.blue())))))


MUTED = "#616161"
"""Secondary text (notes, counts, subheaders) on a light palette: a mid grey."""


def muted() -> str:
    """The colour of secondary text: MUTED on a light palette; on a dark one a grey between its
    text and window colours (MUTED on a dark grey is hard to read: 2.3:1)."""
    if not palette_is_dark():
        return MUTED
    palette = QGuiApplication.palette()
    text, window = palette.color(QPalette.ColorRole.WindowText), palette.color(
        QPalette.ColorRole.Window)
    return QColor(*(round(0.65 * a + 0.35 * b) for a, b in (
        (text.red(), window.red()), (text.green(), window.green()),
        (text.blue(), window.blue())))).name()


def plot_colours() -> tuple[QColor, QColor]:
    """A plot's background and its ink (axes, titles, marks drawn dark on white): white and a
    dark grey on a light palette; on a dark one the palette's base and text (a white plot in a
    dark window glares, and ink the colour of its text is what reads on its base)."""
    if not palette_is_dark():
        return QColor("#ffffff"), QColor("#424242")
    palette = QGuiApplication.palette()
    return palette.color(QPalette.ColorRole.Base), palette.color(QPalette.ColorRole.Text)
