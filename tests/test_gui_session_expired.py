"""A session that expires while a report runs: one question, and it goes on.

The real window built by app.gui, against a sandbox and engine of the tests'
own (processes on loopback): the engine's jobs take several seconds, and
the sandbox is told, through PUT /api/sandbox/faults, to end sessions a
moment after their sign-in while a job is running. The local demo, whose
password the app knows, signs in again without asking.
"""

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import qasync
from keyring.backend import KeyringBackend
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from support.dialogs import ShowCounter
from support.own_gateway import OwnGateway, own_gateway
from support.window import WAIT_MS, open_report, sign_in, workspace_on

from app.gui import Workspace
from app.local_stack import DemoStack

pytestmark = pytest.mark.slow

JOB_DELAY = 8.0
# Sessions end this long after their sign-in while the fault is on: the
# window's session is older, a token the test signs in for is not.
SHORT_SESSION = 2.0
JOB_WAIT_MS = 120_000


@pytest.fixture
def own(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OwnGateway]:
    folder = tmp_path_factory.mktemp("expiring-gateway")
    with own_gateway(folder, job_delay=JOB_DELAY) as running:
        yield running


def start_a_job(qtbot: QtBot, workspace: Workspace, own: OwnGateway) -> int:
    """Sign in with the password, run Fleet Status; its job id, once running."""
    window = workspace.window
    sign_in(qtbot, workspace, own.url, own.username, own.password)
    signed_in_at = time.monotonic()
    qtbot.waitUntil(lambda: window.connection_state == "online", timeout=WAIT_MS)
    qtbot.waitUntil(lambda: workspace.catalog.catalog is not None, timeout=WAIT_MS)
    open_report(qtbot, workspace, "Fleet status", "Fleet Status")
    page = window.report_page
    page.form.set_values({**page.values(), "vehicles": [1], "formats": ["csv"]})
    qtbot.waitUntil(page.run_button.isEnabled, timeout=WAIT_MS)
    qtbot.mouseClick(page.run_button, Qt.MouseButton.LeftButton)

    panel = window.jobs_panel
    qtbot.waitUntil(lambda: panel.model.rowCount() == 1, timeout=WAIT_MS)
    job_id = panel.model.rows[0].job.id
    qtbot.waitUntil(lambda: panel.job_state(job_id) == "running", timeout=WAIT_MS)
    # Until the window's token is older than a short session.
    older = signed_in_at + SHORT_SESSION + 0.5 - time.monotonic()
    qtbot.wait(max(0, int(older * 1000)))
    return job_id


def expire_sessions(own: OwnGateway) -> None:
    own.set_faults(token_ttl=SHORT_SESSION)


def test_a_job_running_when_the_session_expires_finishes_after_signing_in_again(
    qtbot: QtBot,
    workspace: Workspace,
    own: OwnGateway,
    memory_keyring: KeyringBackend,
) -> None:
    window = workspace.window
    dialog = window.sign_in_dialog
    job_id = start_a_job(qtbot, workspace, own)
    first = workspace.session.session
    assert first is not None
    old_token = first.gateway.token
    shows = ShowCounter(dialog)

    expire_sessions(own)

    qtbot.waitUntil(dialog.isVisible, timeout=WAIT_MS)
    assert "expired" in dialog.reason_label.text()
    assert dialog.url_edit.text() == first.gateway.site_url
    assert dialog.user_edit.text() == own.username
    assert dialog.password_edit.text() == ""
    assert window.connection_state == "error"
    assert window.jobs_panel.job_state(job_id) == "running"

    own.set_faults(token_ttl=None)
    qtbot.keyClicks(dialog.password_edit, own.password)
    qtbot.mouseClick(dialog.sign_in_button, Qt.MouseButton.LeftButton)

    panel = window.jobs_panel
    qtbot.waitUntil(lambda: panel.job_state(job_id) == "done", timeout=JOB_WAIT_MS)
    assert shows.count == 1
    assert not dialog.isVisible()
    # The same session went on: the same row, followed without a new run.
    assert workspace.session.session is first
    renewed = first.gateway.token != old_token
    assert renewed, "the session goes on with the expired token"
    assert [row.job.id for row in panel.model.rows] == [job_id]
    assert window.connection_state == "online"
    assert "Lost track" not in window.banner.text


def test_cancelling_the_question_fails_the_waiting_calls_with_the_usual_words(
    qtbot: QtBot,
    workspace: Workspace,
    own: OwnGateway,
    memory_keyring: KeyringBackend,
) -> None:
    window = workspace.window
    dialog = window.sign_in_dialog
    job_id = start_a_job(qtbot, workspace, own)
    shows = ShowCounter(dialog)

    expire_sessions(own)
    qtbot.waitUntil(dialog.isVisible, timeout=WAIT_MS)
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: "sign in again" in window.banner.text, timeout=WAIT_MS)
    assert f"job {job_id}" in window.banner.text
    assert window.connection_state == "error"
    assert "sign in again" in window.connection_label.text()
    # Asked once: nothing asks again by itself.
    qtbot.wait(1000)
    assert shows.count == 1
    assert not dialog.isVisible()


@pytest.fixture
def own_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoStack]:
    """A demo of this test's own: its sessions are made short here."""
    stack = DemoStack(folder=tmp_path_factory.mktemp("expiring-demo"))
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()


def test_the_demo_signs_in_again_without_asking(
    qtbot: QtBot,
    loop: qasync.QEventLoop,
    own_demo: DemoStack,
    tmp_path: Path,
) -> None:
    demo = OwnGateway(
        url=own_demo.gateway_url,
        password=own_demo.password,
        username=own_demo.username,
    )
    with workspace_on(loop, qtbot, own_demo, tmp_path) as workspace:
        window = workspace.window
        shows = ShowCounter(window.sign_in_dialog)
        window.demo_action.trigger()
        qtbot.waitUntil(lambda: window.connection_state == "online", timeout=WAIT_MS)
        qtbot.waitUntil(lambda: workspace.catalog.catalog is not None, timeout=WAIT_MS)
        session = workspace.session.session
        assert session is not None
        assert session.demo
        old_token = session.gateway.token
        qtbot.wait(int((SHORT_SESSION + 0.5) * 1000))
        demo.set_faults(token_ttl=SHORT_SESSION)

        with qtbot.waitSignal(workspace.catalog.catalog_loaded, timeout=WAIT_MS):
            window.reload_action.trigger()

        assert shows.count == 0
        renewed = session.gateway.token != old_token
        assert renewed, "the demo's session goes on with the expired token"
        assert window.connection_state == "online"
        assert workspace.session.session is session
