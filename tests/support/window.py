"""Steps a person takes in the window, for the GUI tests."""

import contextlib
from collections.abc import Iterator

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.gui import Workspace
from app.local_stack import DemoStack
from widgets.theme import apply_theme

WAIT_MS = 30_000


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
