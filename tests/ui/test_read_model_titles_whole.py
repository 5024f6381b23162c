"""The As of Cursor tab names each read model whole: its read models were tabs whose titles the
pane cut ("Order sum…", "Stock per pr…" at 1400x900; "Ord…", "Stock …" at 1024x700: four
titles want 525 px, the pane has 456 and 291). A chooser above the rows now shows the chosen
one's whole title, lists every title whole, and choosing one shows its rows."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QStyle, QStyleOptionComboBox

from tests.ui.test_moment_layout import at_laptop_size


def title_room(choice) -> int:
    """The width the chooser gives the chosen title (its edit field, without the arrow)."""
    option = QStyleOptionComboBox()
    choice.initStyleOption(option)
    return choice.style().subControlRect(QStyle.ComplexControl.CC_ComboBox, option,
                                         QStyle.SubControl.SC_ComboBoxEditField,
                                         choice).width()


@pytest.mark.parametrize("size", [(1400, 900), (1024, 700)])
def test_each_read_model_is_named_whole(window, qtbot, seeded, size):
    panel, moment = at_laptop_size(qtbot, window, seeded)
    window.resize(*size)
    QApplication.processEvents()
    choice = panel.read_model_choice
    titles = [moment.read_models[name].title for name in panel.views]
    assert [choice.itemText(i) for i in range(choice.count())] == titles
    metrics = choice.fontMetrics()
    for index, name in enumerate(panel.views):
        choice.setCurrentIndex(index)
        assert panel.read_models.currentWidget() is panel.views[name]
        assert metrics.horizontalAdvance(titles[index]) <= title_room(choice), titles[index]
        assert choice.itemData(index, Qt.ItemDataRole.ToolTipRole) == titles[index]
    panel.read_models.setCurrentIndex(0)  # (as the window's code may choose one)
    assert choice.currentIndex() == 0
