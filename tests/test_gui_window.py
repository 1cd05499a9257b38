"""The main window's own behaviour, offscreen, without servers.

The window is shown with the embedded engine's real reports and jobs as the
gateway describes them; each test checks what a person sees: where things
are, what is cut off, what takes the keyboard, what is asked on quitting.
"""

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QMessageBox,
    QStyle,
    QStyleOptionSpinBox,
    QWidget,
)
from pytestqt.qtbot import QtBot
from support.window import app_theme

from app.forms import FormContext, form_fields
from app.gui import Workspace, build_workspace
from app.jobs import Job
from app.manifest import Script, load_manifest
from app.settings import Settings
from widgets.catalog import CatalogView
from widgets.fields.numbers import NumberSpinBox, number_bounds
from widgets.main_window import MainWindow

ENGINE_MANIFEST = Path(__file__).parent.parent / "app" / "engine" / "manifest.json"
CONTEXT = FormContext(tz="America/New_York", today=dt.date(2026, 12, 4))
SMALL = (800, 600)


def engine_scripts() -> list[Script]:
    return load_manifest(ENGINE_MANIFEST.read_text(), source="engine").scripts


def engine_script(name: str) -> Script:
    script = next(s for s in engine_scripts() if s.script == name)
    return script


def make_window(qtbot: QtBot, size: tuple[int, int] | None = None) -> MainWindow:
    window = MainWindow()
    qtbot.addWidget(window)
    if size is not None:
        window.resize(*size)
    window.show()
    qtbot.waitExposed(window)
    return window


def show_report(qtbot: QtBot, window: MainWindow, name: str) -> None:
    window.report_page.show_script(engine_script(name), CONTEXT)
    window.report_page.set_resource_choices("vehicles", [(1, "Truck 01")])
    window.report_page.set_resource_choices("groups", [(1, "North Depot")])
    # Layouts settle on the next turn of the event loop.
    qtbot.wait(50)


def job(job_id: int, state: str, files: list[str] | None = None) -> Job:
    return Job.from_json(
        {
            "id": job_id,
            "script": "fleet_status",
            "name": "Fleet Status",
            "state": state,
            "progress": {"percentage": 100 if state == "done" else 40},
            "result": {"files": files or []},
        }
    )


def top_left(widget: QWidget) -> QPoint:
    return widget.mapTo(widget.window(), QPoint(0, 0))


# --- Layout ----------------------------------------------------------------------


def test_the_banner_floats_over_the_page_and_moves_nothing(qtbot):
    window = make_window(qtbot)
    show_report(qtbot, window, "idling")
    watched = [window.catalog.tree, window.report_page.form, window.jobs_panel]
    before = [top_left(w) for w in watched]

    window.show_error("Could not load the vehicles: the gateway is not reachable.")
    qtbot.wait(50)

    assert window.banner.isVisible()
    assert [top_left(w) for w in watched] == before
    page = window.report_page
    banner = window.banner.geometry()
    assert page.rect().contains(banner)
    assert banner.top() < page.form.mapTo(page, QPoint(0, 0)).y() + banner.height()


@pytest.mark.parametrize("name", ["idling", "trips", "fleet_status"])
def test_at_800_by_600_the_form_needs_no_sideways_scrolling(qtbot, name):
    window = make_window(qtbot, SMALL)
    assert window.size().width() == SMALL[0]
    show_report(qtbot, window, name)

    form = window.report_page.form
    assert not form.scroll_area.horizontalScrollBar().isVisible()
    content = form.scroll_area.widget()
    assert content.width() <= form.scroll_area.viewport().width()
    assert form.scroll_area.viewport().height() >= 200
    for row in form.rows.rows:
        if row.label is not None:
            # The whole title shows, on one line or two.
            label = row.label
            assert label.height() >= label.heightForWidth(label.width()), row.spec


def test_the_window_has_a_minimum_size_that_fits_the_form(qtbot):
    window = make_window(qtbot, (300, 200))

    minimum = window.minimumSize()
    assert 640 <= minimum.width() <= SMALL[0]
    assert 480 <= minimum.height() <= SMALL[1]
    assert window.width() >= minimum.width()


def test_the_jobs_panel_shows_four_jobs_and_whole_file_names(qtbot):
    window = make_window(qtbot)
    panel = window.jobs_panel
    names = ["fleet_status.json", "fleet_status.csv", "fleet_status.xlsx"]
    for job_id in range(1, 5):
        panel.show_job(job(job_id, "done", names))
    qtbot.wait(50)

    row_height = panel.table.rowHeight(0)
    assert panel.table.viewport().height() >= 4 * row_height
    for job_id in range(1, 5):
        for name in names:
            button = panel.file_button(job_id, name)
            assert button is not None
            assert button.width() >= button.sizeHint().width(), name


# --- Focus and keys ---------------------------------------------------------------


def test_keyboard_focus_is_visible_on_every_stop(qtbot, qapp):
    with app_theme(qapp):
        window = make_window(qtbot)
        window.catalog.show_catalog([("Trip analysis", engine_scripts())], [])
        show_report(qtbot, window, "idling")
        window.activateWindow()
        qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
        window.catalog.search.setFocus(Qt.FocusReason.TabFocusReason)

        seen = []
        for _ in range(10):
            widget = QApplication.focusWidget()
            assert widget is not None
            focused = widget.grab().toImage()
            widget.clearFocus()
            qtbot.waitUntil(lambda w=widget: not w.hasFocus())
            unfocused = widget.grab().toImage()
            seen.append(widget.accessibleName() or type(widget).__name__)
            assert focused != unfocused, f"no visible focus on {seen[-1]}"

            widget.setFocus(Qt.FocusReason.TabFocusReason)
            qtbot.keyClick(widget, Qt.Key.Key_Tab)
        assert "Report period" in seen
        assert "From (required)" in seen


def test_tab_goes_from_the_catalog_through_the_form_to_run(qtbot):
    window = make_window(qtbot)
    show_report(qtbot, window, "fleet_status")
    page = window.report_page
    page.set_run_state(True, "")
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    window.catalog.tree.setFocus(Qt.FocusReason.TabFocusReason)

    visited: list[QWidget] = []
    while page.run_button not in visited and len(visited) < 40:
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        visited.append(QApplication.focusWidget())

    controls = [
        w for w in page.form.rows.focus_chain() if w.isVisible() and w.isEnabled()
    ]
    assert visited == [*controls, page.run_button]


def test_enter_in_the_catalog_search_opens_the_one_report_found(qtbot):
    view = CatalogView()
    qtbot.addWidget(view)
    view.show()
    view.show_catalog([("Reports", engine_scripts())], [])
    opened: list[str] = []
    view.script_selected.connect(lambda script: opened.append(script.script))

    qtbot.keyClicks(view.search, "i")  # Idling, Trips, Fleet Status all match
    qtbot.keyClick(view.search, Qt.Key.Key_Return)
    assert opened == []

    view.search.clear()
    qtbot.keyClicks(view.search, "trip")
    qtbot.keyClick(view.search, Qt.Key.Key_Return)
    assert opened == ["trips"]


# --- Quitting ------------------------------------------------------------------


def quit_box(window: MainWindow) -> QMessageBox | None:
    boxes = [b for b in window.findChildren(QMessageBox) if b.isVisible()]
    assert len(boxes) <= 1
    return boxes[0] if boxes else None


def test_quitting_while_jobs_run_asks_once_and_cancel_is_the_default(qtbot):
    window = make_window(qtbot)
    window.jobs_panel.show_job(job(1, "running"))
    window.jobs_panel.show_job(job(2, "running"))
    window.jobs_panel.show_job(job(3, "done"))

    window.quit_action.trigger()
    box = quit_box(window)
    assert box is not None
    assert box.text() == (
        "2 reports are still running on the gateway; they will finish there, "
        "but this window stops following them. Quit anyway?"
    )
    assert box.defaultButton() is box.button(QMessageBox.StandardButton.Cancel)
    window.quit_action.trigger()
    assert quit_box(window) is box

    qtbot.keyClick(box, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: quit_box(window) is None)
    assert window.isVisible()

    window.close()
    box = quit_box(window)
    assert box is not None
    quit_button = next(b for b in box.buttons() if b.text() == "Quit")
    qtbot.mouseClick(quit_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.isVisible())


def test_quitting_with_nothing_running_asks_nothing(qtbot):
    window = make_window(qtbot)
    window.jobs_panel.show_job(job(1, "done"))
    window.jobs_panel.show_job(job(2, "error"))

    window.quit_action.trigger()

    assert not window.isVisible()
    assert quit_box(window) is None


# --- The download folder ------------------------------------------------------------


def test_the_folder_dialog_opens_in_the_download_folder(qtbot, tmp_path):
    folder = tmp_path / "reports"
    folder.mkdir()
    window = make_window(qtbot)
    window.jobs_panel.set_download_folder(folder)

    window.folder_action.trigger()

    dialog = window.findChild(QFileDialog)
    assert dialog is not None
    assert Path(dialog.directory().absolutePath()) == folder
    dialog.reject()


# --- Number boxes ---------------------------------------------------------------


def arrow_drawn(image: QImage, area: Any) -> bool:
    """True if the middle of area holds a dark stroke (an arrow)."""
    centre = area.center()
    for dx in range(-3, 4):
        for dy in range(-2, 3):
            colour = image.pixelColor(centre.x() + dx, centre.y() + dy)
            if colour.lightness() < 160:
                return True
    return False


def test_number_boxes_show_their_up_and_down_arrows(qtbot, qapp):
    specs = form_fields(engine_script("trips").schema)
    shortest = next(s for s in specs if s.name == "min_distance")
    with app_theme(qapp):
        spin = NumberSpinBox(number_bounds(shortest))
        qtbot.addWidget(spin)
        spin.resize(200, spin.sizeHint().height())
        spin.setValue(2.5)
        spin.show()
        qtbot.waitExposed(spin)

        option = QStyleOptionSpinBox()
        spin.initStyleOption(option)
        style = spin.style()
        control = QStyle.ComplexControl.CC_SpinBox
        up = style.subControlRect(control, option, QStyle.SubControl.SC_SpinBoxUp, spin)
        down = style.subControlRect(
            control, option, QStyle.SubControl.SC_SpinBoxDown, spin
        )
        image = spin.grab().toImage()
        assert arrow_drawn(image, up)
        assert arrow_drawn(image, down)


def test_the_splits_of_the_window_are_kept_for_the_next_run(qtbot, loop, tmp_path):
    settings_file = tmp_path / "settings.ini"

    def build() -> Workspace:
        workspace = build_workspace(Settings.open(settings_file))
        qtbot.addWidget(workspace.window)
        if not settings_file.exists():
            # Within the offscreen screen (800x600), so its place is kept as is.
            workspace.window.resize(780, 560)
        workspace.window.show()
        qtbot.waitExposed(workspace.window)
        return workspace

    def close(workspace: Workspace) -> None:
        closing = loop.create_task(workspace.aclose())
        qtbot.waitUntil(closing.done)

    first = build()
    first.window.splitter.setSizes([300, 450])
    # Dragged, as a user does: a split made for "no jobs yet" is not kept.
    first.window.jobs_splitter.moveSplitter(330, 1)
    wanted = (first.window.splitter.sizes(), first.window.jobs_splitter.sizes())
    first.save_layout()
    close(first)

    again = build()
    try:
        got = (again.window.splitter.sizes(), again.window.jobs_splitter.sizes())
        assert got == wanted
    finally:
        close(again)
