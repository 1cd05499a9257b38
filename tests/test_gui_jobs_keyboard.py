"""Reaching a job's files with the keyboard alone, offscreen.

Every step after the first focus is a key press sent to the widget that
has the focus, as a keyboard user's would be: Tab from Run into the jobs,
the arrows to a job, Enter or the Menu key for its files, then the menu.
"""

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMenu, QWidget
from pytestqt.qtbot import QtBot
from support.desktop import OpenedUrls
from support.window import finished_job, show_report_page, shown_window

from widgets.main_window import MainWindow

CSV, JSON = "fleet_status.csv", "fleet_status.json"


def press(qtbot: QtBot, key: Qt.Key, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    """Press a key where Qt sends it: an open menu, else the focus widget."""
    focused = QApplication.activePopupWidget() or QApplication.focusWidget()
    assert focused is not None
    qtbot.keyClick(focused, key, modifier)


def window_with_jobs(qtbot: QtBot) -> MainWindow:
    """Fleet Status ready to run, with two finished jobs below it."""
    window = shown_window(qtbot)
    show_report_page(qtbot, window, "fleet_status")
    window.report_page.set_run_state(True, "")
    window.jobs_panel.show_job(finished_job(1, [JSON, CSV]))
    window.jobs_panel.show_job(finished_job(2, ["trips.csv"]))
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    window.report_page.run_button.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(window.report_page.run_button.hasFocus)
    return window


def open_menu(qtbot: QtBot) -> QMenu:
    """The menu the keys opened: the popup that now takes the keyboard."""
    qtbot.waitUntil(lambda: isinstance(QApplication.activePopupWidget(), QMenu))
    menu = QApplication.activePopupWidget()
    assert isinstance(menu, QMenu)
    return menu


def menu_texts(menu: QMenu) -> list[str]:
    return [a.text() for a in menu.actions() if not a.isSeparator()]


def test_tab_stops_once_on_the_jobs_with_a_row_shown_then_goes_on(qtbot):
    window = window_with_jobs(qtbot)
    table, panel = window.jobs_panel.table, window.jobs_panel

    press(qtbot, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is table
    # The row the keys act on is shown: the newest job, selected.
    assert [i.row() for i in table.selectionModel().selectedRows()] == [0]

    press(qtbot, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is panel.change_button
    press(qtbot, Qt.Key.Key_Tab, Qt.KeyboardModifier.ShiftModifier)
    assert QApplication.focusWidget() is table
    press(qtbot, Qt.Key.Key_Tab, Qt.KeyboardModifier.ShiftModifier)
    assert QApplication.focusWidget() is window.report_page.run_button


@pytest.mark.parametrize(
    ("key", "modifier"),
    [
        (Qt.Key.Key_Return, Qt.KeyboardModifier.NoModifier),
        (Qt.Key.Key_Enter, Qt.KeyboardModifier.KeypadModifier),
        (Qt.Key.Key_Menu, Qt.KeyboardModifier.NoModifier),
        (Qt.Key.Key_F10, Qt.KeyboardModifier.ShiftModifier),
    ],
)
def test_enter_or_the_menu_key_on_a_job_lists_what_can_be_done_with_its_files(
    qtbot, key, modifier
):
    window = window_with_jobs(qtbot)
    requested: list[tuple[int, str]] = []
    window.jobs_panel.download_requested.connect(
        lambda job_id, name: requested.append((job_id, name))
    )

    press(qtbot, Qt.Key.Key_Tab)
    press(qtbot, Qt.Key.Key_Down)  # the older job, with two files
    press(qtbot, key, modifier)

    menu = open_menu(qtbot)
    assert menu_texts(menu) == [
        f"Open {JSON}",
        f"Download {JSON}",
        f"Show {JSON} in folder",
        f"Open {CSV}",
        f"Download {CSV}",
        f"Show {CSV} in folder",
    ]
    for _ in range(5):  # down to "Download fleet_status.csv"
        press(qtbot, Qt.Key.Key_Down)
    press(qtbot, Qt.Key.Key_Return)

    qtbot.waitUntil(lambda: requested == [(1, CSV)])
    qtbot.waitUntil(lambda: not menu.isVisible())


def test_a_saved_file_is_opened_from_the_row_menu(
    qtbot: QtBot, opened: OpenedUrls, tmp_path: Path
) -> None:
    window = window_with_jobs(qtbot)
    path = tmp_path / "trips.csv"
    path.write_text("id\n1\n")
    window.jobs_panel.file_downloaded(2, "trips.csv", path)

    press(qtbot, Qt.Key.Key_Tab)
    press(qtbot, Qt.Key.Key_Menu)
    menu = open_menu(qtbot)
    assert menu_texts(menu)[0] == "Open trips.csv"
    press(qtbot, Qt.Key.Key_Down)
    press(qtbot, Qt.Key.Key_Return)

    qtbot.waitUntil(lambda: opened.urls == [str(path)])


def test_a_job_without_files_says_so_in_its_menu(qtbot):
    window = shown_window(qtbot)
    window.jobs_panel.show_job(finished_job(7, [], state="error"))
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    window.jobs_panel.change_button.setFocus(Qt.FocusReason.TabFocusReason)

    press(qtbot, Qt.Key.Key_Tab, Qt.KeyboardModifier.ShiftModifier)
    assert QApplication.focusWidget() is window.jobs_panel.table
    press(qtbot, Qt.Key.Key_Return)

    menu = open_menu(qtbot)
    (only,) = menu.actions()
    assert only.text() == "No files"
    assert not only.isEnabled()
    press(qtbot, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not menu.isVisible())


def test_file_buttons_are_no_tab_stops_of_their_own(qtbot):
    window = window_with_jobs(qtbot)
    buttons = [window.jobs_panel.file_button(1, name) for name in (JSON, CSV)]
    assert all(buttons)

    stops: list[QWidget | None] = []
    for _ in range(40):
        press(qtbot, Qt.Key.Key_Tab)
        stops.append(QApplication.focusWidget())
        if stops[-1] is window.report_page.run_button:
            break

    assert stops[-1] is window.report_page.run_button
    assert not [b for b in buttons if b in stops]
