"""Steps a person takes in the window, for the GUI tests."""

import contextlib
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.forms import FormContext
from app.gui import Workspace
from app.jobs import Job
from app.local_stack import DemoStack
from app.manifest import Script, load_manifest
from widgets.main_window import MainWindow
from widgets.theme import apply_theme

WAIT_MS = 30_000


@contextlib.contextmanager
def workspace_on(
    loop: Any,
    qtbot: QtBot,
    stack: DemoStack,
    folder: Path,
    *,
    stop_children: bool = False,
) -> Iterator[Workspace]:
    """The main window and its controllers on a demo stack, shown, then closed
    as the app closes them (stop_children: also the processes it started)."""
    from app.controllers.icons import loopback_only
    from app.gui import build_workspace
    from app.settings import Settings

    settings = Settings.open(folder / "settings.ini")
    built = build_workspace(settings, demo_stack=stack, icon_hosts=loopback_only)
    built.window.show()
    try:
        yield built
    finally:
        closing = loop.create_task(built.aclose())
        qtbot.waitUntil(closing.done, timeout=WAIT_MS)
        if stop_children:
            built.stop_children()
        closing.result()
        # Deleted only now: qtbot would delete it before this teardown, while
        # closing the session still tells the window it is offline.
        built.window.close()
        built.window.deleteLater()


ENGINE_MANIFEST = Path(__file__).parents[2] / "app" / "engine" / "manifest.json"
# A user in the demo fleet's zone, on a fixed day.
FORM_CONTEXT = FormContext(tz="America/New_York", today=dt.date(2026, 12, 4))


def engine_script(name: str) -> Script:
    """One report of the embedded engine's manifest."""
    manifest = load_manifest(ENGINE_MANIFEST.read_text(), source="engine")
    script = manifest.script(name)
    assert script is not None, name
    return script


def shown_window(qtbot: QtBot, size: tuple[int, int] = (1200, 780)) -> MainWindow:
    """A main window of that size, on screen, with no controllers."""
    window = MainWindow()
    qtbot.addWidget(window)
    window.resize(*size)
    window.show()
    qtbot.waitExposed(window)
    return window


def show_report_page(qtbot: QtBot, window: MainWindow, name: str) -> None:
    """Show an engine report's form, with a small fleet to pick from."""
    page = window.report_page
    page.show_script(engine_script(name), FORM_CONTEXT)
    page.set_resource_choices("vehicles", [(n, f"Truck {n:02d}") for n in range(1, 21)])
    page.set_resource_choices("groups", [(n, f"Depot {n}") for n in range(1, 5)])
    # Layouts settle on the next turn of the event loop.
    qtbot.wait(50)


def finished_job(job_id: int, files: list[str], state: str = "done") -> Job:
    """A Fleet Status job as the gateway describes it once it has ended."""
    return Job.from_json(
        {
            "id": job_id,
            "script": "fleet_status",
            "name": "Fleet Status",
            "state": state,
            "progress": {"percentage": 100},
            "result": {"files": files},
        }
    )


def sign_in(
    qtbot: QtBot, workspace: Workspace, url: str, user: str, password: str
) -> None:
    """Open the sign-in dialog, type the credentials and press Sign in."""
    workspace.window.sign_in_action.trigger()
    dialog = workspace.window.sign_in_dialog
    qtbot.waitUntil(dialog.isVisible)

    dialog.url_edit.clear()
    qtbot.keyClicks(dialog.url_edit, url)
    dialog.user_edit.clear()
    qtbot.keyClicks(dialog.user_edit, user)
    qtbot.keyClicks(dialog.password_edit, password)
    qtbot.mouseClick(dialog.sign_in_button, Qt.MouseButton.LeftButton)


def sign_in_to_demo(qtbot: QtBot, workspace: Workspace, stack: DemoStack) -> None:
    sign_in(qtbot, workspace, stack.gateway_url, stack.username, stack.password)
    qtbot.waitUntil(
        lambda: workspace.window.connection_state == "online", timeout=WAIT_MS
    )
    qtbot.waitUntil(lambda: workspace.catalog.catalog is not None, timeout=WAIT_MS)


def open_report(qtbot: QtBot, workspace: Workspace, category: str, title: str) -> None:
    """Click a report under its category header in the catalog."""
    view = workspace.window.catalog
    index = view.index_of(category, title)
    assert index.isValid(), f"{title!r} is not listed under {category!r}"
    view.tree.scrollTo(index)
    position = view.tree.visualRect(index).center()
    qtbot.mouseClick(view.tree.viewport(), Qt.MouseButton.LeftButton, pos=position)

    page = workspace.window.report_page
    qtbot.waitUntil(lambda: page.title_label.text() == title, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not workspace.report.loading, timeout=WAIT_MS)


@contextlib.contextmanager
def app_theme(app: QApplication) -> Iterator[None]:
    """The app's look (style, palette, font, stylesheet), undone afterwards."""
    style, palette, font = app.style().name(), app.palette(), app.font()
    sheet = app.styleSheet()
    apply_theme(app)
    try:
        yield
    finally:
        app.setStyleSheet(sheet)
        app.setFont(font)
        app.setPalette(palette)
        app.setStyle(style)
