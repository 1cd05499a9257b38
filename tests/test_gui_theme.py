"""The theme's colours are readable: text against what it is drawn on.

Contrast is the WCAG ratio of relative luminances; 4.5 is the least for
normal text. The first test reads the pixels of a picked row as drawn,
with the list focused and not; the others check the colours the theme
declares for selected rows.
"""

from collections import Counter
from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage, QPalette
from PySide6.QtWidgets import QApplication, QLineEdit, QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot
from support.window import app_theme

from widgets.resource_picker import ResourcePicker
from widgets.theme import SELECTION, SELECTION_TEXT, STATE_COLORS

LEAST_CONTRAST = 4.5
# Where a row's name starts: past its check box.
NAME_LEFT = 28


def luminance(color: QColor) -> float:
    def channel(value: float) -> float:
        if value <= 0.03928:
            return value / 12.92
        return float(((value + 0.055) / 1.055) ** 2.4)

    red, green, blue = (
        channel(c) for c in (color.redF(), color.greenF(), color.blueF())
    )
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(one: QColor, other: QColor) -> float:
    light, dark = sorted((luminance(one), luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def drawn_contrast(image: QImage) -> float:
    """The contrast of the text of a row's picture against its background.

    The background is the colour most of the row is painted with; the text
    is the pixel that stands out most from it (a glyph's solid core).
    """
    pixels = [
        image.pixelColor(x, y)
        for x in range(NAME_LEFT, image.width())
        for y in range(image.height())
    ]
    background = QColor(Counter(p.name() for p in pixels).most_common(1)[0][0])
    return max(contrast(p, background) for p in pixels)


@pytest.fixture
def picker(qtbot: QtBot, qapp: QApplication) -> Iterator[ResourcePicker]:
    with app_theme(qapp):
        host = QWidget()
        qtbot.addWidget(host)
        layout = QVBoxLayout(host)
        layout.addWidget(QLineEdit(host))
        picked = ResourcePicker("vehicles", host)
        layout.addWidget(picked)
        host.show()
        qtbot.waitExposed(host)
        picked.set_items([(n, f"Freight Truck {n:02d}") for n in range(1, 9)])
        host.activateWindow()
        qtbot.waitUntil(lambda: QApplication.activeWindow() is host)
        yield picked


def current_row(picker: ResourcePicker) -> QImage:
    view = picker.view
    rect = view.visualRect(view.currentIndex())
    return view.viewport().grab(rect).toImage()


def test_the_current_row_of_a_picker_is_readable_with_and_without_focus(
    qtbot: QtBot, picker: ResourcePicker
) -> None:
    picker.filter.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.keyClick(picker.filter, Qt.Key.Key_Down)
    qtbot.keyClick(picker.view, Qt.Key.Key_Down)
    qtbot.keyClick(picker.view, Qt.Key.Key_Space)
    assert picker.view.hasFocus()
    assert picker.selected_ids() == [2]

    focused = drawn_contrast(current_row(picker))
    picker.filter.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(lambda: not picker.view.hasFocus())
    unfocused = drawn_contrast(current_row(picker))

    assert focused >= LEAST_CONTRAST
    assert unfocused >= LEAST_CONTRAST


def test_selected_rows_and_job_states_are_readable(qapp: QApplication) -> None:
    assert contrast(QColor(SELECTION_TEXT), QColor(SELECTION)) >= LEAST_CONTRAST
    for state, color in STATE_COLORS.items():
        # A job's state is read in its row, selected or not.
        assert contrast(QColor(color), QColor(SELECTION)) >= LEAST_CONTRAST, state
        assert contrast(QColor(color), QColor("white")) >= LEAST_CONTRAST, state

    with app_theme(qapp):
        palette = qapp.palette()
        for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
            text = palette.color(group, QPalette.ColorRole.HighlightedText)
            back = palette.color(group, QPalette.ColorRole.Highlight)
            assert contrast(text, back) >= LEAST_CONTRAST, group
