"""Signing in a second time, and the words of a sign-in that fails.

The real window built by app.gui, on a qasync loop, against the session's
demo servers or a small loopback gateway of the test's own.
"""

from pathlib import Path
from typing import Any

import pytest
import qasync
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from starlette.requests import Request
from starlette.responses import JSONResponse
from support.servers import closed_port, serving_in_thread
from support.window import WAIT_MS, open_report, sign_in, sign_in_to_demo

from app.controllers.icons import loopback_only
from app.gui import Workspace, build_workspace
from app.local_stack import DemoStack
from app.settings import Settings

pytestmark = pytest.mark.slow

JOB_WAIT_MS = 120_000


def error_shown(qtbot: QtBot, workspace: Workspace) -> str:
    dialog = workspace.window.sign_in_dialog
    qtbot.waitUntil(lambda: not dialog.error_label.isHidden(), timeout=WAIT_MS)
    return dialog.error_label.text()


def test_the_dialog_opens_without_the_last_error_and_password(
    qtbot: QtBot, workspace: Workspace, demo_stack: DemoStack
) -> None:
    sign_in(qtbot, workspace, demo_stack.gateway_url, demo_stack.username, "wrong")
    assert "refused" in error_shown(qtbot, workspace)
    dialog = workspace.window.sign_in_dialog
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.isVisible())

    workspace.window.sign_in_action.trigger()
    qtbot.waitUntil(dialog.isVisible)

    assert dialog.error_label.isHidden()
    assert dialog.error_label.text() == ""
    assert dialog.password_edit.text() == ""
    assert dialog.token_edit.text() == ""
    # What is worth keeping is kept: where, and who.
    assert dialog.url_edit.text() == demo_stack.gateway_url
    assert dialog.user_edit.text() == demo_stack.username


def test_the_demo_s_own_address_is_never_the_remembered_gateway(
    qtbot: QtBot,
    loop: qasync.QEventLoop,
    workspace: Workspace,
    demo_stack: DemoStack,
    tmp_path: Path,
) -> None:
    # Typed by hand into the dialog, as a newcomer does.
    sign_in_to_demo(qtbot, workspace, demo_stack)
    assert workspace.session.session is not None
    assert workspace.session.session.demo
    workspace.settings.sync()

    # The next start of the app, on the same settings file.
    again = build_workspace(
        Settings.open(workspace.settings.path), icon_hosts=loopback_only
    )
    try:
        again.session.ask_to_sign_in()
        shown = again.window.sign_in_dialog.url_edit.text()
        assert demo_stack.gateway_url not in shown
        port = demo_stack.gateway_url.rsplit(":", 1)[1]
        assert port not in shown
        assert again.settings.gateway_url == ""
    finally:
        again.window.sign_in_dialog.reject()
        closing = loop.create_task(again.aclose())
        qtbot.waitUntil(closing.done, timeout=WAIT_MS)
        # Deleted by Qt here, not by Python's collector in a server thread.
        again.window.deleteLater()


def test_signing_in_again_as_the_same_user_keeps_the_jobs(
    qtbot: QtBot, workspace: Workspace, demo_stack: DemoStack
) -> None:
    window = workspace.window
    sign_in_to_demo(qtbot, workspace, demo_stack)
    open_report(qtbot, workspace, "Fleet status", "Fleet Status")
    page = window.report_page
    page.form.set_values({**page.values(), "vehicles": [1], "formats": ["csv"]})
    qtbot.waitUntil(page.run_button.isEnabled, timeout=WAIT_MS)
    qtbot.mouseClick(page.run_button, Qt.MouseButton.LeftButton)
    panel = window.jobs_panel
    qtbot.waitUntil(lambda: panel.model.rowCount() == 1, timeout=WAIT_MS)
    job_id = panel.model.rows[0].job.id
    qtbot.waitUntil(lambda: panel.job_state(job_id) == "done", timeout=JOB_WAIT_MS)
    (name,) = panel.model.rows[0].job.files
    first = workspace.session.session

    sign_in_to_demo(qtbot, workspace, demo_stack)
    qtbot.waitUntil(lambda: workspace.session.session is not first, timeout=WAIT_MS)

    assert [row.job.id for row in panel.model.rows] == [job_id]
    assert panel.job_state(job_id) == "done"
    button = panel.file_button(job_id, name)
    assert button is not None
    assert button.isVisible()


def test_an_unreachable_gateway_is_named_once(
    qtbot: QtBot, workspace: Workspace
) -> None:
    url = f"http://127.0.0.1:{closed_port()}"

    sign_in(qtbot, workspace, url, "ana", "secret words")

    message = error_shown(qtbot, workspace)
    assert "could not reach" in message.lower()
    assert message.count("127.0.0.1") == 1


async def login(_request: Request) -> JSONResponse:
    return JSONResponse({"auth": "a-fresh-token"})


async def user_refused(_request: Request) -> JSONResponse:
    return JSONResponse({"message": "Unauthorized"}, status_code=401)


def test_a_401_while_signing_in_is_a_refused_sign_in(
    qtbot: QtBot, workspace: Workspace
) -> None:
    routes: dict[str, Any] = {"/api/login": login, "/api/user": user_refused}
    with serving_in_thread(routes) as url:
        sign_in(qtbot, workspace, url, "ana", "secret words")
        message = error_shown(qtbot, workspace)

    assert message == (
        f"Could not sign in to {url}: the gateway refused the user name or password."
    )
    assert "no longer" not in message
    assert workspace.session.session is None
