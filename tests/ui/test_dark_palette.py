"""On a dark desktop theme (a dark palette) the window's own colours stay readable: its icons'
lines and the panels it tints are drawn for the palette, not dark on dark or light on light."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QColor, QGuiApplication, QPalette

from explorer.ui import settings
from explorer.ui.icons import icon
from tests.ui.conftest import WAIT_MS

DARK = {QPalette.ColorRole.Window: "#2b2b2b", QPalette.ColorRole.WindowText: "#e0e0e0",
        QPalette.ColorRole.Base: "#1e1e1e", QPalette.ColorRole.AlternateBase: "#262626",
        QPalette.ColorRole.Text: "#e0e0e0", QPalette.ColorRole.Button: "#353535",
        QPalette.ColorRole.ButtonText: "#e0e0e0"}


@pytest.fixture
def dark_palette(qapp):
    light = QPalette(QGuiApplication.palette())
    dark = QPalette(light)
    for role, colour in DARK.items():
        dark.setColor(role, QColor(colour))
    qapp.setPalette(dark)
    yield dark
    qapp.setPalette(light)


def inked(image) -> list[QColor]:
    """The colours of an image's drawn (opaque) pixels."""
    return [c for c in (image.pixelColor(x, y) for x in range(image.width())
                        for y in range(image.height())) if c.alpha() > 200]


def test_the_icons_lines_are_light_on_a_dark_palette(dark_palette):
    for name in ("back", "open", "step-forward", "clear", "command"):
        drawn = inked(icon(name).pixmap(24, 24).toImage())
        assert drawn, name
        assert max(c.lightness() for c in drawn) > 160, name  # not dark slate on dark grey


def test_the_icons_keep_their_colours_on_a_light_palette(qapp):
    drawn = inked(icon("back").pixmap(24, 24).toImage())
    assert max(c.lightness() for c in drawn) < 100  # dark slate, as drawn


def test_the_welcome_is_dark_behind_light_text_on_a_dark_palette(qtbot, seeded, dark_palette):
    from explorer.ui.main_window import MainWindow

    settings.remember_welcome_seen(False)
    window = MainWindow()
    qtbot.add_widget(window)
    window.resize(1300, 850)
    window.show()
    with qtbot.wait_signals([window.store_opened, window.browser.rows_ready], timeout=WAIT_MS):
        window.open_store(seeded)
    try:
        welcome = window.help.welcome
        assert welcome.isVisible()
        background = welcome.grab().toImage().pixelColor(welcome.width() - 30, 4)
        assert background.lightness() < 100, background.name()  # the text is light
    finally:
        window.close()
        settings.remember_welcome_seen(True)
