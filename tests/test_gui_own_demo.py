"""The local demo the window starts itself: quitting it, losing it, its password.

Each test builds the real window without a demo stack, chooses File → Use
the demo, and so starts the real engine and sandbox as the app does; they
are stopped when the test ends. The demo's password is handed to the
sandbox in its environment: a command line is readable by anyone on the
computer.
"""

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
import qasync
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot
from support.window import WAIT_MS, finished_job

from app.controllers.icons import loopback_only
from app.gui import Workspace, build_workspace
from app.jobs import Job
from app.local_stack import DemoStack
from app.settings import Settings

pytestmark = pytest.mark.slow

START_MS = 60_000


@pytest.fixture
def own_demo(
    qtbot: QtBot, loop: qasync.QEventLoop, tmp_path: Path
) -> Iterator[Workspace]:
    """The window, signed in to a demo it started itself."""
    workspace = build_workspace(
        Settings.open(tmp_path / "settings.ini"), icon_hosts=loopback_only
    )
    window = workspace.window
    window.show()
    try:
        window.demo_action.trigger()
        qtbot.waitUntil(lambda: window.connection_state == "online", timeout=START_MS)
        qtbot.waitUntil(lambda: workspace.catalog.catalog is not None, timeout=WAIT_MS)
        yield workspace
    finally:
        closing = loop.create_task(workspace.aclose())
        qtbot.waitUntil(closing.done, timeout=WAIT_MS)
        workspace.stop_children()
        window.close()
        window.deleteLater()


def stack_of(workspace: Workspace) -> DemoStack:
    stack = workspace.session.demo_stack
    assert stack is not None
    assert stack.engine is not None
    assert stack.sandbox is not None
    return stack


def running_job(job_id: int) -> Job:
    return Job.from_json(
        {
            "id": job_id,
            "script": "trips",
            "name": "Trips",
            "state": "running",
            "progress": {"percentage": 40},
        }
    )


def test_quitting_the_demo_says_its_reports_will_not_finish(
    qtbot: QtBot, own_demo: Workspace
) -> None:
    window = own_demo.window
    # Shown as the gateway last described them: two still running.
    window.jobs_panel.show_job(running_job(1))
    window.jobs_panel.show_job(running_job(2))
    window.jobs_panel.show_job(finished_job(3, ["trips.csv"]))

    window.quit_action.trigger()

    boxes = [b for b in window.findChildren(QMessageBox) if b.isVisible()]
    assert len(boxes) == 1
    assert boxes[0].text() == (
        "2 reports are still running on the local demo; quitting stops the demo, "
        "and they will not finish. Quit anyway?"
    )
    qtbot.keyClick(boxes[0], Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not boxes[0].isVisible())
    assert window.isVisible()


def test_a_demo_engine_that_dies_is_told_with_the_way_back(
    qtbot: QtBot, own_demo: Workspace
) -> None:
    window = own_demo.window
    stack = stack_of(own_demo)
    engine = stack.engine
    assert engine is not None
    assert engine.pid is not None
    dead_pid = engine.pid

    os.kill(dead_pid, getattr(signal, "SIGKILL", signal.SIGTERM))

    qtbot.waitUntil(lambda: "demo engine" in window.banner.text, timeout=WAIT_MS)
    code = engine.returncode
    assert code is not None
    assert window.banner.level == "error"
    assert window.banner.text == (
        f"The demo engine stopped (exit code {code}). File → Use the demo restarts it."
    )
    assert window.connection_state == "error"
    assert window.connection_dot.property("state") == "error"

    window.demo_action.trigger()
    qtbot.waitUntil(lambda: window.connection_state == "online", timeout=START_MS)
    again = stack_of(own_demo)
    assert again.engine is not None
    assert again.engine.returncode is None
    assert again.engine.pid != dead_pid
    assert not window.banner.isVisible()


def test_an_exit_code_beyond_32_bits_is_told(qtbot: QtBot, own_demo: Workspace) -> None:
    window = own_demo.window
    stack = stack_of(own_demo)
    assert stack.on_unexpected_exit is not None

    # How Windows reports a crash (0xC0000005): more than a Qt int holds.
    stack.on_unexpected_exit("sandbox", 3_221_225_477)

    qtbot.waitUntil(lambda: "demo gateway" in window.banner.text, timeout=WAIT_MS)
    assert window.banner.text == (
        "The demo gateway stopped (exit code 3221225477). "
        "File → Use the demo restarts it."
    )


def test_the_demo_password_is_never_on_a_command_line(
    qtbot: QtBot, loop: qasync.QEventLoop, tmp_path: Path
) -> None:
    password = "kept-off-the-command-line-4711"
    stack = DemoStack(folder=tmp_path / "demo", password=password).start()
    workspace = build_workspace(
        Settings.open(tmp_path / "settings.ini"),
        demo_stack=stack,
        icon_hosts=loopback_only,
    )
    try:
        for server in (stack.engine, stack.sandbox):
            assert server is not None
            assert server.pid is not None
            command = psutil.Process(server.pid).cmdline()
            assert not [word for word in command if password in word]
            assert "--password" not in command

        # The sandbox took it all the same: signing in with it works.
        workspace.window.demo_action.trigger()
        qtbot.waitUntil(
            lambda: workspace.window.connection_state == "online", timeout=START_MS
        )
        assert workspace.session.session is not None
        assert workspace.session.session.demo
    finally:
        closing = loop.create_task(workspace.aclose())
        qtbot.waitUntil(closing.done, timeout=WAIT_MS)
        workspace.window.close()
        workspace.window.deleteLater()
        stack.stop()
