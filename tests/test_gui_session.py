"""Signing in from the window: success, failures in plain words, and a crash.

Uses the fixtures and steps of test_gui_e2e.py: the real window built by
app.gui's build_workspace, on a qasync loop, against real servers.
"""

import sys
from pathlib import Path

import httpx
import pytest
import qasync
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot
from support.servers import closed_port
from support.window import WAIT_MS, sign_in

from app.controllers.icons import loopback_only
from app.gui import CRASH_EXIT_CODE, Workspace, build_workspace, install_crash_handler
from app.local_stack import DemoStack
from app.settings import Settings

pytestmark = pytest.mark.slow


def test_a_gateway_that_cannot_be_reached_is_told_in_plain_words(
    qtbot: QtBot, workspace: Workspace
) -> None:
    url = f"http://127.0.0.1:{closed_port()}"

    sign_in(qtbot, workspace, url, "ana", "secret words")

    dialog = workspace.window.sign_in_dialog
    qtbot.waitUntil(lambda: not dialog.error_label.isHidden(), timeout=WAIT_MS)
    message = dialog.error_label.text()
    assert "could not reach" in message.lower()
    assert "127.0.0.1" in message
    assert "Traceback" not in message
    assert "secret words" not in message
    assert workspace.window.connection_state == "error"
    assert dialog.isVisible()


def test_a_refused_password_is_told_in_plain_words(
    qtbot: QtBot, workspace: Workspace, demo_stack: DemoStack
) -> None:
    sign_in(qtbot, workspace, demo_stack.gateway_url, demo_stack.username, "wrong")

    dialog = workspace.window.sign_in_dialog
    qtbot.waitUntil(lambda: not dialog.error_label.isHidden(), timeout=WAIT_MS)
    assert "refused the user name or password" in dialog.error_label.text()
    assert workspace.session.session is None


def test_signing_in_with_a_token_shows_the_gateway_s_user(
    qtbot: QtBot, workspace: Workspace, demo_stack: DemoStack
) -> None:
    token = login(demo_stack)
    workspace.window.sign_in_action.trigger()
    dialog = workspace.window.sign_in_dialog
    qtbot.waitUntil(dialog.isVisible)

    dialog.url_edit.clear()
    qtbot.keyClicks(dialog.url_edit, demo_stack.gateway_url + "/api/")
    qtbot.mouseClick(dialog.token_choice, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(dialog.token_edit, token)
    qtbot.mouseClick(dialog.sign_in_button, Qt.MouseButton.LeftButton)

    window = workspace.window
    qtbot.waitUntil(lambda: window.connection_state == "online", timeout=WAIT_MS)
    assert demo_stack.username in window.connection_label.text()
    assert not dialog.isVisible()
    assert dialog.token_edit.text() == ""
    assert token not in workspace.settings.path.read_text()


def test_a_refused_token_is_told_in_plain_words(
    qtbot: QtBot, workspace: Workspace, demo_stack: DemoStack
) -> None:
    workspace.window.sign_in_action.trigger()
    dialog = workspace.window.sign_in_dialog
    qtbot.waitUntil(dialog.isVisible)
    dialog.url_edit.clear()
    qtbot.keyClicks(dialog.url_edit, demo_stack.gateway_url)
    qtbot.mouseClick(dialog.token_choice, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(dialog.token_edit, "not-a-token")
    qtbot.mouseClick(dialog.sign_in_button, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: not dialog.error_label.isHidden(), timeout=WAIT_MS)
    message = dialog.error_label.text()
    # The core's words: which call refused it, and what to do instead.
    assert message == (
        f"Could not sign in to {demo_stack.gateway_url}: the gateway did not "
        "accept this token (GET /api/user); check the token, or sign in with a "
        "user name and password."
    )
    # The gateway's random port may hold "401"; the status itself is not said.
    assert "401" not in message.replace(demo_stack.gateway_url, "")
    assert "not-a-token" not in message


def test_a_crash_stops_the_demo_it_started_and_says_so_plainly(
    qtbot: QtBot, loop: qasync.QEventLoop, tmp_path: Path
) -> None:
    workspace = build_workspace(
        Settings.open(tmp_path / "settings.ini"), icon_hosts=loopback_only
    )
    qtbot.addWidget(workspace.window)
    workspace.window.show()
    exits: list[int] = []
    previous_hook = sys.excepthook
    try:
        workspace.window.demo_action.trigger()
        qtbot.waitUntil(
            lambda: workspace.window.connection_state == "online", timeout=60_000
        )
        stack = workspace.session.demo_stack
        assert stack is not None
        assert stack.engine is not None
        assert stack.sandbox is not None
        assert stack.engine.returncode is None

        install_crash_handler(workspace, exits.append)
        sys.excepthook(RuntimeError, RuntimeError("a bug"), None)

        assert stack.engine.returncode is not None
        assert stack.sandbox.returncode is not None
        box = workspace.window.findChild(QMessageBox)
        assert box is not None
        assert box.isVisible()
        assert "cannot recover" in box.text()
        assert "a bug" not in box.text()
        box.done(0)
        # The process ends with a failure status, for scripts and supervisors.
        assert exits == [CRASH_EXIT_CODE]
        assert CRASH_EXIT_CODE != 0
    finally:
        sys.excepthook = previous_hook
        closing = loop.create_task(workspace.aclose())
        qtbot.waitUntil(closing.done, timeout=WAIT_MS)
        workspace.stop_children()


def test_a_password_typed_into_the_address_is_never_shown(
    qtbot: QtBot,
    loop: qasync.QEventLoop,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    workspace = build_workspace(
        Settings.open(tmp_path / "settings.ini"), icon_hosts=loopback_only
    )
    qtbot.addWidget(workspace.window)
    workspace.window.show()
    window, dialog = workspace.window, workspace.window.sign_in_dialog
    # Everything the window is told to show, even for a moment.
    shown: list[str] = []
    for owner, name in (
        (dialog, "set_busy"),
        (dialog, "show_error"),
        (window, "set_connection"),
        (window, "show_info"),
        (window, "show_error"),
        (window, "show_status"),
    ):
        passed_on = getattr(owner, name)
        monkeypatch.setattr(
            owner,
            name,
            lambda *args, passed_on=passed_on: (
                shown.extend(str(a) for a in args),
                passed_on(*args),
            ),
        )
    try:
        # As given with --gateway: the dialog opens without the password.
        workspace.session.ask_to_sign_in("http://ana:hunter2@127.0.0.1:9/api")
        assert dialog.url_edit.text() == "http://127.0.0.1:9/api"
        dialog.reject()

        sign_in(qtbot, workspace, "http://ana:hunter2@127.0.0.1:9", "ana", "pw")
        qtbot.waitUntil(lambda: not dialog.error_label.isHidden(), timeout=WAIT_MS)

        assert "Signing in to http://127.0.0.1:9…" in shown
        assert "user name or password in it" in dialog.error_label.text()
        assert not [text for text in shown if "hunter2" in text]
        assert "hunter2" not in dialog.error_label.text()
        assert "hunter2" not in window.connection_label.text()
        workspace.settings.sync()
        path = workspace.settings.path
        assert "hunter2" not in (path.read_text() if path.exists() else "")
    finally:
        closing = loop.create_task(workspace.aclose())
        qtbot.waitUntil(closing.done, timeout=WAIT_MS)


def login(stack: DemoStack) -> str:
    response = httpx.post(
        f"{stack.gateway_url}/api/login",
        json={"username": stack.username, "password": stack.password},
        timeout=30,
    )
    response.raise_for_status()
    return str(response.json()["auth"])
