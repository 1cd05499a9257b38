"""The jobs panel's file buttons: what opens, and what fits a narrow window.

Opening a file goes through Qt's desktop services; the `opened` fixture
(tests/support/desktop.py) notes what the panel asks the desktop to open,
so nothing is really opened. Only report files are opened: every other
type stays in its folder, however the desktop would treat it.
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

# Programs, scripts, launchers, shortcuts, installers, disk images and
# documents with macros: what a desktop runs, or lets run, when opened.
NOT_OPENED = [
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
    "report.xll",
    "report.msc",
    "report.pyz",
    "report.pyc",
    "report.appinstaller",
    "report.msix",
    "report.settingcontent-ms",
    "report.jnlp",
    "report.terminal",
    "report.wsb",
    "report.chm",
    "report.iso",
    "report.img",
    "report.vhd",
    "report.scf",
    "report.inf",
    "report.library-ms",
    "report.search-ms",
    "report.slk",
    "report.iqy",
    "report.xlam",
    "report.xlsm",
    "report.docm",
    "report.website",
    "report.rdp",
    "report.csv.",
    "report.csv ",
    "README",
    ".csv",
]
REPORT_FILES = [
    "trips.json",
    "trips.csv",
    "trips.tsv",
    "notes.txt",
    "trips.xlsx",
    "trips.pdf",
    "map.png",
    "map.jpg",
    "map.jpeg",
    "map.gif",
    "map.svg",
    "summary.html",
    "summary.htm",
    "trips.xml",
    "route.kml",
    "route.geojson",
    "SHOUTING.CSV",
    "fleet.status.Json",
]
BIG_IDS = [3_000_000_000, 2**63 - 1]
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
    path = folder / name
    path.write_bytes(b"MZ")
    panel.file_downloaded(job_id, name, path)
    return path


def menu_action(panel: JobsPanel, job_id: int, name: str, text: str) -> None:
    button = panel.file_button(job_id, name)
    assert button is not None
    menu = button.menu()
    assert menu is not None
    next(a for a in menu.actions() if a.text() == text).trigger()


def not_opened_text(path: Path) -> str:
    return (
        f"{path.name} was not opened: Pegasus Reports opens only report files "
        "(data, documents and pictures such as .csv, .xlsx, .pdf or .png). It is "
        f"saved at {path}"
    )


# --- What is opened -------------------------------------------------------------


@pytest.mark.parametrize("name", NOT_OPENED)
def test_a_file_that_is_not_a_report_file_is_never_opened(
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
    assert refused == [not_opened_text(path)] * 2

    # Its folder is still shown.
    menu_action(panel, 1, name, "Show in folder")
    assert opened.urls == [str(tmp_path)]


@pytest.mark.parametrize("name", REPORT_FILES)
def test_report_files_are_opened(
    qtbot: QtBot, opened: OpenedUrls, tmp_path: Path, name: str
) -> None:
    panel = JobsPanel()
    qtbot.addWidget(panel)
    panel.show_job(done_job(1, [name]))
    path = saved(panel, 1, name, tmp_path)
    refused: list[str] = []
    panel.open_refused.connect(refused.append)

    qtbot.mouseClick(panel.file_button(1, name), Qt.MouseButton.LeftButton)

    assert opened.urls == [str(path)]
    assert refused == []


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


def test_the_banner_says_where_a_file_not_opened_is_saved(
    qtbot: QtBot, bare_workspace: Workspace, opened: OpenedUrls, tmp_path: Path
) -> None:
    window = bare_workspace.window
    panel = window.jobs_panel
    panel.show_job(done_job(4, ["cleanup.bat"]))
    path = saved(panel, 4, "cleanup.bat", tmp_path)

    qtbot.mouseClick(panel.file_button(4, "cleanup.bat"), Qt.MouseButton.LeftButton)

    assert window.banner.text == not_opened_text(path)
    assert window.banner.level == "warning"
    assert opened.urls == []


# --- Job ids the gateway chooses ---------------------------------------------------


@pytest.mark.parametrize("job_id", BIG_IDS)
def test_a_job_id_beyond_32_bits_reaches_every_file_action(
    qtbot: QtBot, opened: OpenedUrls, tmp_path: Path, job_id: int
) -> None:
    panel = JobsPanel()
    qtbot.addWidget(panel)
    panel.show()
    # Built directly: the id exactly as the gateway gave it.
    panel.show_job(Job(id=job_id, script="trips", state="done", files=["a.csv"]))
    asked: list[tuple[object, str]] = []
    panel.download_requested.connect(lambda jid, name: asked.append((jid, name)))

    qtbot.mouseClick(panel.file_button(job_id, "a.csv"), Qt.MouseButton.LeftButton)
    menu_action(panel, job_id, "a.csv", "Download")
    panel.table.setFocus()
    panel.table.setCurrentIndex(panel.model.index(0, 0))
    qtbot.keyClick(panel.table, Qt.Key.Key_Return)
    assert panel.file_menu is not None
    next(a for a in panel.file_menu.actions() if a.text() == "Download a.csv").trigger()
    assert asked == [(job_id, "a.csv")] * 3

    # Saved: the click is answered by opening it, and its folder is shown.
    path = saved(panel, job_id, "a.csv", tmp_path)
    menu_action(panel, job_id, "a.csv", "Show in folder")
    assert opened.urls == [str(path), str(tmp_path)]


@pytest.mark.parametrize("job_id", BIG_IDS)
def test_a_big_job_id_reaches_the_controller(
    qtbot: QtBot, bare_workspace: Workspace, job_id: int
) -> None:
    window = bare_workspace.window
    panel = window.jobs_panel
    panel.show_job(Job(id=job_id, script="trips", state="done", files=["a.csv"]))

    qtbot.mouseClick(panel.file_button(job_id, "a.csv"), Qt.MouseButton.LeftButton)

    # No session here: the controller got the request, and says what to do.
    assert window.banner.text == ("Sign in again to download the files of this job.")


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
