"""Who gets the height of the main window: the form, the jobs, the JSON body.

Offscreen at the default size (1200x780), with the app's look: the form
has the room while there are no jobs, the jobs panel grows to show the
jobs that come, a split the user dragged stays, the JSON body opens tall
enough to read, and the vehicle list shows whole rows.
"""

from collections.abc import Iterator

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from support.window import app_theme, finished_job, show_report_page, shown_window

from widgets.resource_picker import ResourcePicker


@pytest.fixture
def themed(qapp: QApplication) -> Iterator[None]:
    with app_theme(qapp):
        yield


def test_the_form_has_the_room_until_jobs_come(qtbot: QtBot, themed: None) -> None:
    window = shown_window(qtbot)
    show_report_page(qtbot, window, "idling")
    page, jobs = window.report_page, window.jobs_panel

    # Only "No reports run yet" below the form: a line, not a third.
    assert jobs.height() < 120
    assert page.height() > 5 * jobs.height()
    assert window.report_page.form.height() > 420

    jobs.show_job(finished_job(1, ["fleet.csv"]))
    qtbot.wait(50)
    # The job is shown whole, without scrolling, and the form keeps the rest.
    table = jobs.table
    row = table.visualRect(jobs.model.index(0, 0))
    assert row.height() > 0
    assert row.bottom() <= table.viewport().height()
    assert page.height() > 2 * jobs.height()

    # Three more: the panel grows, up to a share, to show them.
    before = jobs.height()
    for job_id in (2, 3, 4):
        jobs.show_job(finished_job(job_id, ["fleet.csv"]))
    qtbot.wait(50)
    assert jobs.height() > before
    assert page.height() > jobs.height()


def test_a_split_the_user_dragged_stays(qtbot: QtBot, themed: None) -> None:
    window = shown_window(qtbot)
    show_report_page(qtbot, window, "idling")
    splitter = window.jobs_splitter

    splitter.moveSplitter(400, 1)
    dragged = splitter.sizes()
    window.jobs_panel.show_job(finished_job(1, ["fleet.csv"]))
    window.jobs_panel.show_job(finished_job(2, ["fleet.csv"]))
    qtbot.wait(50)

    assert splitter.sizes() == dragged
    assert window.saved_layout().jobs_split


def test_the_json_body_opens_tall_enough_to_read(qtbot: QtBot, themed: None) -> None:
    window = shown_window(qtbot)
    show_report_page(qtbot, window, "idling")
    page = window.report_page

    page.body_action.setChecked(True)
    page.set_request_body("POST /api/jobs", "{\n" + '  "a": 1,\n' * 40 + "}")
    qtbot.wait(50)

    text = page.body_view.text
    lines = text.viewport().height() // text.fontMetrics().lineSpacing()
    assert lines >= 10
    # The form above, which the user fills in, keeps at least as much room.
    assert page.views.height() >= page.body_view.height()

    # A height the user chose comes back the next time the body is opened.
    page.center.moveSplitter(page.center.sizes()[0] + 60, 1)
    chosen = page.center.sizes()
    page.body_action.setChecked(False)
    page.body_action.setChecked(True)
    qtbot.wait(50)
    assert abs(page.center.sizes()[1] - chosen[1]) <= 2


def test_the_vehicle_list_shows_whole_rows(qtbot: QtBot, themed: None) -> None:
    window = shown_window(qtbot)
    show_report_page(qtbot, window, "idling")
    editor = window.report_page.form.editor("vehicles")
    assert editor is not None
    picker = editor.findChild(ResourcePicker)
    assert picker is not None

    view = picker.view
    row = view.sizeHintForRow(0)
    shown = view.viewport().height()
    # 20 trucks: eight whole rows, none cut at the bottom.
    assert shown % row == 0
    assert shown // row == 8
    last = view.visualRect(picker.proxy.index(7, 0))
    assert last.bottom() < shown

    # Three groups: a list as tall as its rows, no empty strip below them.
    groups = window.report_page.form.editor("groups")
    assert groups is not None
    small = groups.findChild(ResourcePicker)
    assert small is not None
    assert small.view.viewport().height() == 4 * small.view.sizeHintForRow(0)
