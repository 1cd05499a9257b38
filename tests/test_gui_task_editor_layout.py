"""The task editor and the task list as they are drawn, offscreen, with the
app's look: spacing, headings, help lines, columns."""

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QPoint, QRect
from PySide6.QtWidgets import QApplication, QLabel, QScrollArea, QWidget
from pytestqt.qtbot import QtBot
from support.window import FORM_CONTEXT, app_theme, engine_script

from app.task_shapes import TaskSummary
from widgets.task_editor import SCHEDULES_HEADING, TaskEditor
from widgets.task_list import TaskList


@pytest.fixture
def themed(qapp: QApplication) -> Iterator[None]:
    with app_theme(qapp):
        yield


def place(widget: QWidget) -> QRect:
    return QRect(widget.mapTo(widget.window(), QPoint(0, 0)), widget.size())


def shown_editor(qtbot: QtBot) -> TaskEditor:
    editor = TaskEditor(engine_script("idling"), FORM_CONTEXT)
    qtbot.addWidget(editor)
    editor.set_resource_choices("vehicles", [(n, f"Truck {n:02d}") for n in range(20)])
    editor.set_resource_choices("groups", [(1, "North"), (2, "South")])
    editor.set_users([(1, "Ann"), (2, "Bob")])
    editor.show()
    qtbot.waitExposed(editor)
    qtbot.wait(50)
    return editor


def test_the_two_columns_are_apart_and_the_heading_is_plain(
    qtbot: QtBot, themed: None
) -> None:
    editor = shown_editor(qtbot)

    left_edge = max(place(editor.form).right(), place(editor.recipients_edit).right())
    right_edge = place(editor.schedule_list).left()
    assert right_edge - left_edge >= 16

    texts = [label.text() for label in editor.findChildren(QLabel)]
    assert SCHEDULES_HEADING == "Schedules"
    assert SCHEDULES_HEADING in texts
    assert not any("one run at each time of each" in text for text in texts)


def test_help_lines_under_the_pickers_are_whole(qtbot: QtBot, themed: None) -> None:
    editor = shown_editor(qtbot)
    scroll = editor.form.findChild(QScrollArea)
    assert scroll is not None

    for path in ("vehicles", "groups"):
        row = editor.form.rows.row(path)
        assert row is not None
        hint = next(
            label
            for label in editor.form.findChildren(QLabel)
            if label.text() == row.spec.description
        )
        # Every line of it is drawn: as tall as its wrapped text needs.
        assert hint.height() >= hint.heightForWidth(hint.width())
        if path == "vehicles":
            # The first picker and its help fit the form as it opens.
            top = hint.mapTo(scroll.viewport(), QPoint(0, 0)).y()
            assert top >= 0
            assert top + hint.height() <= scroll.viewport().height()


def test_the_task_list_columns_fill_its_width(qtbot: QtBot, themed: None) -> None:
    tasks = TaskList()
    qtbot.addWidget(tasks)
    tasks.show()
    qtbot.waitExposed(tasks)
    tasks.show_tasks(
        [
            TaskSummary(
                1,
                "Morning idling",
                "Idling Usage",
                "Every day at 07:00",
                "Sat 2026-12-05 07:00",
                "Fri 2026-12-04 07:00",
                "Done",
            ),
            TaskSummary(2, "Trips", "Trips", "Every Monday at 06:30", "", "", ""),
        ]
    )
    qtbot.wait(20)

    table = tasks.table
    widths = [table.columnWidth(c) for c in range(table.columnCount())]
    assert sum(widths) == table.viewport().width()
    # Each column shows its title and its text whole, none takes half.
    for column, width in enumerate(widths):
        title = table.horizontalHeaderItem(column).text()
        assert width >= table.fontMetrics().horizontalAdvance(title)
        assert width < table.viewport().width() // 2
    schedule = table.item(0, 2).text()
    assert widths[2] > table.fontMetrics().horizontalAdvance(schedule)

    # A column the user widens stays so when the list is shown again.
    table.setColumnWidth(0, 200)
    tasks.show_tasks(tasks.rows())
    assert table.columnWidth(0) == 200
