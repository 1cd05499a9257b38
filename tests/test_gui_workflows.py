"""Longer walks through the real window, against the real demo servers.

Going from report to report and back, a session that ends on a gateway's
side (a sandbox of the test's own), and fetching a finished report's files:
each test drives the window built by app.gui as a person would and checks
what they would see.
"""

import datetime as dt
from pathlib import Path

import httpx
import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from support.own_gateway import own_gateway
from support.window import WAIT_MS, open_report, sign_in, sign_in_to_demo

from app.gui import Workspace
from app.local_stack import DemoStack

pytestmark = pytest.mark.slow

JOB_WAIT_MS = 120_000


def tick_by_name(qtbot: QtBot, workspace: Workspace, field: str, name: str) -> None:
    """Find a name in a picker and click it."""
    editor = workspace.window.report_page.form.editor(field)
    assert editor is not None
    picker = editor.picker  # type: ignore[attr-defined]
    picker.filter.clear()
    qtbot.keyClicks(picker.filter, name)
    assert picker.visible_names() == [name]
    rect = picker.view.visualRect(picker.proxy.index(0, 0))
    qtbot.mouseClick(
        picker.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center()
    )
    picker.filter.clear()


def choose_period(workspace: Workspace, label: str) -> None:
    combo = workspace.window.report_page.form.period.combo
    combo.setCurrentIndex(combo.findText(label))


def test_each_report_keeps_what_was_filled_in_for_the_session(
    qtbot: QtBot, workspace: Workspace, demo_stack: DemoStack
) -> None:
    sign_in_to_demo(qtbot, workspace, demo_stack)
    page = workspace.window.report_page
    open_report(qtbot, workspace, "Vehicle metrics", "Idling Usage")
    names = sorted(name for _, name in workspace.report.choices("vehicles"))[:2]
    for name in names:
        tick_by_name(qtbot, workspace, "vehicles", name)
    choose_period(workspace, "Last month")
    idling = page.values()

    open_report(qtbot, workspace, "Trip analysis", "Trips")
    assert "vehicles" not in page.values()
    choose_period(workspace, "Yesterday")
    trips = page.values()

    open_report(qtbot, workspace, "Vehicle metrics", "Idling Usage")
    assert page.values() == idling
    assert page.form.period.combo.currentText() == "Last month"
    picker = page.form.editor("vehicles").picker  # type: ignore[union-attr]
    assert picker.count.text() == "2 selected"

    open_report(qtbot, workspace, "Trip analysis", "Trips")
    assert page.values() == trips
    assert page.form.period.combo.currentText() == "Yesterday"


def test_lists_refused_after_sign_in_say_so_with_retry_and_run_waits(
    qtbot: QtBot, workspace: Workspace, tmp_path: Path
) -> None:
    # A gateway, not the demo (which signs in again by itself), whose session
    # ends on its side, as when it expires; asked to sign in again, the user
    # cancels.
    with own_gateway(tmp_path / "gateway") as own:
        sign_in(qtbot, workspace, own.url, own.username, own.password)
        qtbot.waitUntil(lambda: workspace.catalog.catalog is not None, timeout=WAIT_MS)
        token = workspace.session.session.gateway.token  # type: ignore[union-attr]
        httpx.post(
            f"{own.url}/api/logout", headers={"Authenticate": str(token)}, timeout=30
        ).raise_for_status()

        workspace.window.catalog.select_script("idling")
        dialog = workspace.window.sign_in_dialog
        qtbot.waitUntil(dialog.isVisible, timeout=WAIT_MS)
        qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: not workspace.report.loading, timeout=WAIT_MS)
        the_lists_refused_say_so(qtbot, workspace)


def the_lists_refused_say_so(qtbot: QtBot, workspace: Workspace) -> None:
    page = workspace.window.report_page
    picker = page.form.editor("vehicles").picker  # type: ignore[union-attr]
    assert picker.placeholder.isVisible()
    assert picker.placeholder.text().startswith("Could not load the vehicles")
    assert "sign in again" in picker.placeholder.text()
    assert "401" not in picker.placeholder.text()
    assert "permission" not in picker.placeholder.text()
    assert picker.retry_button.isVisible()
    assert not page.run_button.isEnabled()
    assert "Could not load the vehicles" in page.reason_label.text()
    assert "Retry" in page.reason_label.text()

    with qtbot.waitSignal(workspace.report.choices_loaded, timeout=WAIT_MS):
        qtbot.mouseClick(picker.retry_button, Qt.MouseButton.LeftButton)
        assert picker.placeholder.text() == "Loading vehicles…"
    assert picker.retry_button.isVisible()
    assert not page.run_button.isEnabled()


def test_a_file_is_fetched_then_opened_and_a_missing_launcher_is_told(
    qtbot: QtBot, workspace: Workspace, demo_stack: DemoStack, tmp_path: Path
) -> None:
    # The offscreen platform has no desktop launcher: nothing can open a file.
    window = workspace.window
    sign_in_to_demo(qtbot, workspace, demo_stack)
    open_report(qtbot, workspace, "Fleet status", "Fleet Status")
    page = window.report_page
    page.form.set_values({**page.values(), "vehicles": [1], "formats": ["csv", "json"]})
    qtbot.waitUntil(page.run_button.isEnabled, timeout=WAIT_MS)
    qtbot.mouseClick(page.run_button, Qt.MouseButton.LeftButton)

    panel = window.jobs_panel
    qtbot.waitUntil(lambda: panel.model.rowCount() == 1, timeout=WAIT_MS)
    job_id = panel.model.rows[0].job.id
    qtbot.waitUntil(lambda: panel.job_state(job_id) == "done", timeout=JOB_WAIT_MS)
    qtbot.waitUntil(
        lambda: "2 files to download" in window.statusBar().currentMessage()
    )

    window.download_folder_chosen.emit(tmp_path)
    first, second = sorted(panel.model.rows[0].job.files)
    button = panel.file_button(job_id, first)
    assert button is not None
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.banner.text.startswith("The file"), timeout=WAIT_MS)

    saved = tmp_path / first
    assert saved.is_file()
    assert window.banner.level == "error"
    assert window.banner.text == (
        f"The file {saved} could not be opened: no application on this computer "
        "is set up to open it."
    )
    assert "1 file to download" in window.statusBar().currentMessage()

    menu = panel.file_button(job_id, second).menu()  # type: ignore[union-attr]
    show_folder = next(a for a in menu.actions() if a.text() == "Show in folder")
    show_folder.trigger()
    qtbot.waitUntil(lambda: "folder" in window.banner.text, timeout=WAIT_MS)
    assert str(tmp_path / second) in window.banner.text
    assert (tmp_path / second).is_file()
    assert "every file is downloaded" in window.statusBar().currentMessage()


def test_the_period_quick_choices_end_at_midnight_after_the_last_day(
    qtbot: QtBot, workspace: Workspace, demo_stack: DemoStack
) -> None:
    sign_in_to_demo(qtbot, workspace, demo_stack)
    open_report(qtbot, workspace, "Trip analysis", "Trips")
    values = workspace.window.report_page.values()

    start = dt.datetime.fromisoformat(values["from"])
    end = dt.datetime.fromisoformat(values["to"])
    assert end - start == dt.timedelta(days=7)
    assert (start.time(), end.time()) == (dt.time(), dt.time())
