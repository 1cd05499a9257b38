"""The report form keeps still while it is filled in, at two window sizes.

Offscreen, with the app's look, in the real main window: what is checked is
where things are drawn, as a person aiming the mouse would see them.
"""

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtWidgets import QApplication, QTableView, QWidget
from pytestqt.qtbot import QtBot
from support.window import app_theme, show_report_page, shown_window

from widgets.main_window import MainWindow
from widgets.resource_picker import ResourcePicker

SIZES = [(1200, 780), (800, 600)]
FROM, TO = "2024-01-01 00:00:00", "2026-01-03 00:00:00"


@pytest.fixture
def themed(qapp: QApplication) -> Iterator[None]:
    with app_theme(qapp):
        yield


def place(widget: QWidget) -> QRect:
    """Where widget is drawn, in its window's coordinates."""
    return QRect(widget.mapTo(widget.window(), QPoint(0, 0)), widget.size())


def type_slowly(qtbot: QtBot, window: MainWindow, path: str, text: str) -> list[Any]:
    """Type over a date field key by key; where the fields are after each key."""
    editor: Any = window.report_page.form.editor(path)
    edit = editor.edit
    edit.setFocus(Qt.FocusReason.MouseFocusReason)
    qtbot.waitUntil(edit.hasFocus)
    qtbot.keyClick(edit, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    seen = []
    for character in text:
        qtbot.keyClicks(edit, character)
        qtbot.wait(1)
        seen.append(layout_of(window))
    return seen


def layout_of(window: MainWindow) -> list[QRect]:
    form = window.report_page.form
    return [place(e) for e in form.rows.editors() if e.isVisible()]


def pickers(window: MainWindow) -> list[ResourcePicker]:
    return window.report_page.form.findChildren(ResourcePicker)


def overlaps(picker: ResourcePicker) -> list[str]:
    """The parts of a picker drawn over its list."""
    listed = picker.stack.geometry()
    parts = {"search": picker.filter, "count": picker.count}
    parts["clear"] = picker.clear_button
    return [name for name, part in parts.items() if part.geometry().intersects(listed)]


@pytest.mark.usefixtures("themed")
@pytest.mark.parametrize("size", SIZES)
def test_typing_dates_moves_no_field(qtbot: QtBot, size: tuple[int, int]) -> None:
    window = shown_window(qtbot, size)
    show_report_page(qtbot, window, "idling")
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    before = layout_of(window)

    seen = type_slowly(qtbot, window, "from", FROM)
    seen += type_slowly(qtbot, window, "to", TO)
    qtbot.wait(50)
    seen.append(layout_of(window))

    # Half-typed dates were said to be wrong on the way, in place.
    assert [moved for moved in seen if moved != before] == []
    assert window.report_page.values()["from"] == FROM.replace(" ", "T")


@pytest.mark.usefixtures("themed")
@pytest.mark.parametrize("size", SIZES)
def test_the_picker_summary_never_overlaps_its_list(
    qtbot: QtBot, size: tuple[int, int]
) -> None:
    window = shown_window(qtbot, size)
    show_report_page(qtbot, window, "idling")
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    assert len(pickers(window)) == 2

    type_slowly(qtbot, window, "from", FROM)
    type_slowly(qtbot, window, "to", TO)
    qtbot.wait(50)
    for picker in pickers(window):
        assert overlaps(picker) == [], picker.noun

    # A long error under the list, and a failed list, do not squeeze it.
    window.report_page.set_errors({"vehicles": "must have at least one item " * 8})
    window.report_page.set_resource_failed("groups", "Could not load the groups.")
    qtbot.wait(50)
    for picker in pickers(window):
        assert overlaps(picker) == [], picker.noun


def test_another_report_opens_at_its_top(qtbot: QtBot) -> None:
    window = shown_window(qtbot, (800, 600))
    show_report_page(qtbot, window, "idling")
    form = window.report_page.form
    bar = form.scroll_area.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0)
    bar.setValue(bar.maximum())

    show_report_page(qtbot, window, "trips")

    # Each report has a form of its own (kept built for the way back).
    form = window.report_page.form
    bar = form.scroll_area.verticalScrollBar()
    assert bar.value() == 0
    viewport = form.scroll_area.viewport()
    assert form.period is not None
    for control in (form.period.combo, form.editor("from"), form.editor("to")):
        assert control is not None
        top_left = control.mapTo(viewport, QPoint(0, 0))
        assert viewport.rect().contains(QRect(top_left, control.size()))


@pytest.mark.usefixtures("themed")
def test_the_period_list_shows_every_choice_without_scrolling(qtbot: QtBot) -> None:
    window = shown_window(qtbot)
    show_report_page(qtbot, window, "idling")
    combo = window.report_page.form.period.combo  # type: ignore[union-attr]

    combo.showPopup()
    view = combo.view()
    qtbot.waitUntil(view.isVisible)
    try:
        shown = view.viewport().rect()
        model = combo.model()
        rows = [view.visualRect(model.index(i, 0)) for i in range(combo.count())]
        assert combo.count() == 6
        assert all(shown.contains(row) for row in rows)
        assert view.verticalScrollBar().maximum() == 0
    finally:
        combo.hidePopup()


@pytest.mark.usefixtures("themed")
def test_the_calendar_shows_every_week_whole(qtbot: QtBot) -> None:
    window = shown_window(qtbot)
    show_report_page(qtbot, window, "idling")
    edit: Any = window.report_page.form.editor("from")

    edit.edit.open_calendar()
    popup = edit.edit.calendar()
    qtbot.waitUntil(popup.isVisible)
    table = popup.findChild(QTableView)
    assert table is not None

    # The day names and six weeks, each whole inside the calendar.
    assert table.model().rowCount() == 7
    assert table.verticalHeader().length() <= table.viewport().height()
    assert table.horizontalHeader().length() <= table.viewport().width()
    qtbot.keyClick(popup, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not popup.isVisible())
