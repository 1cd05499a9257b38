"""What the window tells: banners that come and go, the status bar, menus.

Offscreen, in the real main window; the status bar test runs a real job on
the demo servers and lets it fail on the engine.
"""

import re
from typing import Any

import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtWidgets import QMenu, QWidget
from pytestqt.qtbot import QtBot
from support.window import (
    WAIT_MS,
    app_theme,
    open_report,
    show_report_page,
    shown_window,
    sign_in_to_demo,
)

from app.gui import Workspace
from app.local_stack import DemoStack
from widgets.banner import AUTO_HIDE_MS
from widgets.main_window import MainWindow

JOB_WAIT_MS = 120_000


def place_in(widget: QWidget, page: QWidget) -> QRect:
    return QRect(widget.mapTo(page, QPoint(0, 0)), widget.size())


# --- Banners -------------------------------------------------------------------


@pytest.mark.parametrize("level", ["success", "info"])
def test_good_news_goes_away_by_itself(qtbot: QtBot, level: str) -> None:
    window = shown_window(qtbot)
    banner = window.banner
    assert banner.auto_hide_ms == AUTO_HIDE_MS
    # Shortened for the test; the window's own is some eight seconds.
    banner.auto_hide_ms = 50

    window.show_info("Downloaded to /tmp/idling.csv", level)
    assert banner.isVisible()

    qtbot.waitUntil(lambda: not banner.isVisible())
    assert banner.text == ""


@pytest.mark.parametrize("level", ["error", "warning"])
def test_problems_stay_until_closed_with_the_close_button(
    qtbot: QtBot, level: str
) -> None:
    window = shown_window(qtbot)
    banner = window.banner
    banner.auto_hide_ms = 50
    window.show_info("Good news first", "success")

    window.show_info("Could not download idling.csv: the disk is full.", level)
    qtbot.wait(200)

    assert banner.isVisible()
    assert not banner.hide_timer.isActive()
    assert banner.close_button.isVisible()
    qtbot.mouseClick(banner.close_button, Qt.MouseButton.LeftButton)
    assert not banner.isVisible()


@pytest.mark.parametrize("size", [(1200, 780), (800, 600)])
def test_a_banner_never_covers_the_report_title(
    qtbot: QtBot, qapp, size: tuple[int, int]
) -> None:
    with app_theme(qapp):
        window = shown_window(qtbot, size)
        window.show_info("Downloaded to " + "/home/ana/Downloads/" * 6, "success")
        show_report_page(qtbot, window, "idling")

        page, banner = window.report_page, window.banner
        assert banner.isVisible()
        for part in (page.title_label, page.category_label, page.icon_label):
            assert not place_in(part, page).intersects(banner.geometry()), part
        # Still over the top of the form, where it is seen.
        assert banner.geometry().top() < place_in(page.form, page).top() + 20

        page.show_nothing()
        qtbot.wait(20)
        assert banner.geometry().top() < place_in(page.title_label, page).bottom()


# --- The status bar ---------------------------------------------------------------


@pytest.mark.slow
def test_the_status_bar_says_when_a_job_failed(
    qtbot: QtBot, workspace: Workspace, demo_stack: DemoStack
) -> None:
    window = workspace.window
    sign_in_to_demo(qtbot, workspace, demo_stack)
    open_report(qtbot, workspace, "Vehicle metrics", "Idling Usage")
    form: Any = window.report_page.form
    # A vehicle the gateway does not list: only the engine finds that out,
    # so the job is created, then fails.
    form.set_values({**form.values(), "vehicles": [999]})
    qtbot.waitUntil(window.report_page.run_button.isEnabled, timeout=WAIT_MS)

    qtbot.mouseClick(window.report_page.run_button, Qt.MouseButton.LeftButton)
    panel = window.jobs_panel
    qtbot.waitUntil(lambda: panel.model.rowCount() == 1, timeout=WAIT_MS)
    job_id = panel.model.rows[0].job.id
    qtbot.waitUntil(lambda: panel.job_state(job_id) == "error", timeout=JOB_WAIT_MS)

    status = window.statusBar()
    qtbot.waitUntil(
        lambda: status.currentMessage() == f"Idling Usage failed (job {job_id}).",
        timeout=WAIT_MS,
    )
    assert window.banner.level == "error"
    assert window.banner.text.startswith("Idling Usage failed:")


# --- Menus ---------------------------------------------------------------------


def mnemonics(menu: QWidget) -> list[str]:
    """The underlined letter of each entry ("&&" is a plain ampersand)."""
    letters = []
    for action in menu.actions():
        found = re.search(r"(?<!&)&([^&])", action.text().replace("&&", ""))
        if found:
            letters.append(found.group(1).lower())
    return letters


def test_every_menu_entry_has_its_own_letter(qtbot: QtBot) -> None:
    window: MainWindow = shown_window(qtbot)
    menus = [a.menu() for a in window.menuBar().actions()]

    assert mnemonics(window.menuBar()) == ["f", "r", "v", "h"]
    for menu in menus:
        assert isinstance(menu, QMenu)
        entries = [a for a in menu.actions() if not a.isSeparator()]
        letters = mnemonics(menu)
        assert len(letters) == len(entries), menu.title()
        assert len(set(letters)) == len(letters), menu.title()
