"""Render the app icon into the hicolor PNGs the desktop installs:
resources/icons/hicolor/NxN/apps/event-explorer.png for every size in ICON_SIZES, from app.svg,
except 16 px, drawn from app-16.svg (the same picture on the 16-pixel grid: app.svg's thin bars
blur together at that size).

Run it after changing app.svg, from the repository root, and commit the PNGs:
`QT_QPA_PLATFORM=offscreen .venv/bin/python resources/icons/render_hicolor.py`.
The PNGs are committed (not rendered at install time) so that `event-explorer-cli desktop
install` never needs Qt.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

from explorer.common.identity import DESKTOP_ID as ICON_NAME
from explorer.common.identity import ICON_SIZES

ICONS = Path(__file__).resolve().parent


def render(svg: Path, size: int) -> QImage:
    """`svg` drawn on a transparent square of `size` pixels."""
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"{svg} is not a valid SVG: fix it and run this again")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    return image


def main() -> int:
    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    for size in ICON_SIZES:
        target = ICONS / "hicolor" / f"{size}x{size}" / "apps" / f"{ICON_NAME}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        source = ICONS / ("app-16.svg" if size == 16 else "app.svg")
        if not render(source, size).save(str(target), "PNG"):
            raise SystemExit(f"could not write {target}")
        print(f"wrote {target.relative_to(ICONS.parents[1])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
