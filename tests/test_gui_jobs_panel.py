"""The jobs panel's file buttons: what opens, and what fits a narrow window.

Opening a file goes through Qt's desktop services; the `opened` fixture
(tests/support/desktop.py) notes what the panel asks the desktop to open,
so nothing is really opened.
"""

from collections.abc import Iterator
from pathlib import Path

import pytest
import qasync
from PySide6.QtCore import QPoint, Qt
from pytestqt.qtbot import QtBot
from support.desktop import OpenedUrls
from support.window import WAIT_MS, app_theme

from app.controllers.icons import loopback_only
from app.gui import Workspace, build_workspace
from app.jobs import Job
from app.settings import Settings
from widgets.jobs_panel import JobsPanel
from widgets.main_window import MainWindow

PROGRAMS = [
    "setup.exe",
    "run.bat",
    "run.cmd",
    "install.sh",
    "launcher.desktop",
    "start.command",
    "Report.app",
    "macro.js",
    "macro.vbs",
    "fix.ps1",
    "package.msi",
    "saver.scr",
    "shortcut.lnk",
    "tool.jar",
    "SHOUTING.EXE",
    "trailing.exe.",
    "report.csv.exe",
]
THREE_FILES = ["fleet_status.json", "fleet_status.csv", "fleet_status.xlsx"]


def done_job(job_id: int, files: list[str]) -> Job:
    return Job.from_json(
        {
            "id": job_id,
            "script": "fleet_status",
            "name": "Fleet Status",
            "state": "done",
            "progress": {"percentage": 100},
            "result": {"files": files},
        }
    )


def saved(panel: JobsPanel, job_id: int, name: str, folder: Path) -> Path:
    """The file as the controller leaves it once downloaded."""
    path = folder / name.rstrip(".")
    path.write_bytes(b"MZ")
    panel.file_downloaded(job_id, name, path)
    return path


def menu_action(panel: JobsPanel, job_id: int, name: str, text: str) -> None:
    button = panel.file_button(job_id, name)
    assert button is not None
    menu = button.menu()
    assert menu is not None
    next(a for a in menu.actions() if a.text() == text).trigger()


# --- Program files ------------------------------------------------------------


@pytest.mark.parametrize("name", PROGRAMS)
def test_a_program_file_is_never_opened(
    qtbot: QtBot, opened: OpenedUrls, tmp_path: Path, name: str
) -> None:
    panel = JobsPanel()
    qtbot.addWidget(panel)
    panel.show_job(done_job(1, [name]))
    path = saved(panel, 1, name, tmp_path)
    refused: list[str] = []
    panel.open_refused.connect(refused.append)

    button = panel.file_button(1, name)
    assert button is not None
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    menu_action(panel, 1, name, "Open")

    assert opened.urls == []
    assert (
        refused
        == [f"Pegasus Reports does not open program files; it is saved at {path}"] * 2
    )


def test_a_report_file_is_opened_and_a_program_s_folder_is_shown(
    qtbot: QtBot, opened: OpenedUrls, tmp_path: Path
) -> None:
    panel = JobsPanel()
    qtbot.addWidget(panel)
    panel.show_job(done_job(1, ["report.csv", "tool.exe"]))
    report = saved(panel, 1, "report.csv", tmp_path)
    saved(panel, 1, "tool.exe", tmp_path)

    qtbot.mouseClick(panel.file_button(1, "report.csv"), Qt.MouseButton.LeftButton)
    menu_action(panel, 1, "tool.exe", "Show in folder")

    assert opened.urls == [str(report), str(tmp_path)]


@pytest.fixture
def bare_workspace(
    loop: qasync.QEventLoop, qtbot: QtBot, tmp_path: Path
) -> Iterator[Workspace]:
    built = build_workspace(
        Settings.open(tmp_path / "settings.ini"),
        icon_hosts=loopback_only,
        download_dir=tmp_path,
    )
    qtbot.addWidget(built.window)
    built.window.show()
    try:
        yield built
    finally:
        closing = loop.create_task(built.aclose())
        qtbot.waitUntil(closing.done, timeout=WAIT_MS)


def test_the_banner_says_where_a_program_file_is_saved(
    qtbot: QtBot, bare_workspace: Workspace, opened: OpenedUrls, tmp_path: Path
) -> None:
    window = bare_workspace.window
    panel = window.jobs_panel
    panel.show_job(done_job(4, ["cleanup.bat"]))
    path = saved(panel, 4, "cleanup.bat", tmp_path)

    qtbot.mouseClick(panel.file_button(4, "cleanup.bat"), Qt.MouseButton.LeftButton)

    assert window.banner.text == (
        f"Pegasus Reports does not open program files; it is saved at {path}"
    )
    assert window.banner.level == "warning"
    assert opened.urls == []


# --- A narrow window ----------------------------------------------------------


def test_at_800_px_every_file_button_is_reachable_without_scrolling_sideways(
    qtbot: QtBot, qapp
) -> None:
    with app_theme(qapp):
        window = MainWindow()
        qtbot.addWidget(window)
        window.resize(800, 600)
        window.show()
        qtbot.waitExposed(window)
        panel = window.jobs_panel
        panel.show_job(done_job(1, THREE_FILES))
        panel.show_job(done_job(2, ["trips.csv"]))
        qtbot.wait(50)

        table = panel.table
        assert window.width() == 800
        qtbot.waitUntil(lambda: table.horizontalScrollBar().maximum() == 0)
        viewport = table.viewport()
        for job_id, names in ((1, THREE_FILES), (2, ["trips.csv"])):
            row = panel.model.row_of(job_id)
            assert row is not None
            for name in names:
                button = panel.file_button(job_id, name)
                assert button is not None
                assert button.isVisible()
                left = button.mapTo(viewport, QPoint(0, 0)).x()
                assert left >= 0
                assert left + button.width() <= viewport.width(), name
                # The whole name shows, and the row is tall enough for it.
                assert name in button.text()
                assert button.width() >= button.sizeHint().width()
                top = button.mapTo(viewport, QPoint(0, 0)).y()
                assert table.rowViewportPosition(row) <= top
                bottom = table.rowViewportPosition(row) + table.rowHeight(row)
                assert top + button.height() <= bottom, name


def test_a_name_too_long_for_a_line_is_shortened_in_the_middle(
    qtbot: QtBot, qapp
) -> None:
    name = "fleet_status_for_every_vehicle_of_the_north_depot_2026-11.xlsx"
    with app_theme(qapp):
        window = MainWindow()
        qtbot.addWidget(window)
        window.resize(800, 600)
        window.show()
        qtbot.waitExposed(window)
        panel = window.jobs_panel
        panel.show_job(done_job(1, [name]))
        qtbot.wait(50)

        button = panel.file_button(1, name)
        assert button is not None
        qtbot.waitUntil(lambda: panel.table.horizontalScrollBar().maximum() == 0)
        assert "…" in button.text()
        assert button.text().startswith("⤓ fleet_st")
        assert button.text().endswith(".xlsx")
        assert name in button.toolTip()
        viewport = panel.table.viewport()
        left = button.mapTo(viewport, QPoint(0, 0)).x()
        assert left + button.width() <= viewport.width()
