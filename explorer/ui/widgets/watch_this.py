""""Watch This" on the As of panel: a state field's or a read-model cell's context menu pins it
to the Watch panel, as the expression that names it (explorer.timetravel.watch):
`prod_101.on_hand`, `prod_101.reservations.order_0870`, `order_summary[order_0870].status`.

A read model's key columns and its "since position" column are not offered: a key never changes
while its row lives, and the position is the row's version, not a value of the system's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QAbstractItemView, QMenu

from explorer.ui.models.moment_rows import SINCE

Wanted = Callable[[str], None]


def field_expression(stream_id: str, path: str) -> str:
    """A state field's watch: the stream id, then its path (`on_hand`, `lines[0].sku`)."""
    return f"{stream_id}{path}" if path.startswith("[") else f"{stream_id}.{path}"


def cell_expression(read_model: str, keys: Sequence[str], row: dict[str, Any],
                    column: str) -> str | None:
    """A read-model cell's watch (its row named by its key columns' values joined by /), or
    None for a key column, the row's position, or a row without its keys."""
    if column in keys or column == SINCE or any(row.get(key) is None for key in keys):
        return None
    return f"{read_model}[{'/'.join(str(row[key]) for key in keys)}].{column}"


def offer_watch(view: QAbstractItemView, expression_at: Callable[[QPoint], str | None],
                wanted: Wanted) -> None:
    """Give `view` a context menu "Watch …" for whatever `expression_at` names at the point
    clicked (nothing there: no menu)."""
    view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)

    def show_menu(point: QPoint) -> None:
        text = expression_at(point)
        if text is None:
            return
        menu = QMenu(view)
        menu.addAction(f"Watch {text}".replace("&", "&&"), lambda: wanted(text))  # (a key's
        # '&' shown as it is, not taken for the mark of a shortcut: "R&D", not "RD")
        menu.popup(view.viewport().mapToGlobal(point))
        view.watch_menu = menu  # type: ignore[attr-defined]  # kept for as long as it shows

    view.customContextMenuRequested.connect(show_menu)
