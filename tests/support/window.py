"""Steps a person takes in the window, for the GUI tests."""

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.gui import Workspace
from app.local_stack import DemoStack

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
