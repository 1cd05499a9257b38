"""Fixtures shared by the whole suite.

Every test gets its own data folder, so nothing touches the user's files.
`demo_stack` starts the real sandbox gateway and embedded engine as child
processes on loopback, once per session, through the same code the app uses.
`loop` and `workspace` give the GUI tests a qasync loop driven by qtbot's
waits and the real main window built by app.gui.
"""

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import qasync
import shiboken6
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from support.window import WAIT_MS, workspace_on

from app.gui import Workspace
from app.local_stack import SANDBOX_PASSWORD_ENV, DemoStack
from app.paths import DATA_DIR_ENV

pytest_plugins = ["support.engine_fixtures", "support.desktop", "support.keyrings"]

# A password in the developer's shell would become the password of every
# sandbox a test starts without one of its own.
os.environ.pop(SANDBOX_PASSWORD_ENV, None)
# No test, nor any app it starts, reaches the keyring of the person running
# the tests: keyring's backend of a machine without one (tokens then stay in
# memory); tests that keep tokens choose a keyring of their own.
os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private data folder for each test."""
    folder = tmp_path / "data"
    folder.mkdir()
    monkeypatch.setenv(DATA_DIR_ENV, str(folder))
    return folder


@pytest.fixture(scope="session")
def demo_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoStack]:
    """The sandbox gateway and the embedded engine, running for the session."""
    stack = DemoStack(folder=tmp_path_factory.mktemp("demo"))
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()


@pytest.fixture
def loop(qapp: QApplication, qtbot: QtBot) -> Iterator[qasync.QEventLoop]:
    """A qasync loop over the test's Qt loop: qtbot's waits run its tasks."""
    event_loop = qasync.QEventLoop(qapp, already_running=True)
    asyncio.set_event_loop(event_loop)
    try:
        yield event_loop
    finally:
        leftovers = [t for t in asyncio.all_tasks(event_loop) if not t.done()]
        for task in leftovers:
            task.cancel()
        qtbot.waitUntil(lambda: all(t.done() for t in leftovers), timeout=WAIT_MS)

        # WORKAROUND(qasync 0.28): stop() on an already_running loop calls
        # QApplication.exit(), after which pytest-qt's waits no longer run
        # Qt events in the tests that follow; mark it stopped instead.
        event_loop._QEventLoop__is_running = False  # type: ignore[attr-defined]
        asyncio.events._set_running_loop(None)
        event_loop.close()
        asyncio.set_event_loop(None)
        # WORKAROUND(qasync 0.28): close() leaves the Qt timers of call_later
        # handles that never fired (cancelled timeouts) running. Collected by
        # Python in another thread (a server's output reader), the loop's
        # timer object could not stop them there, and Qt would later fire one
        # on freed memory (a segfault): delete it here, in the Qt thread.
        shiboken6.delete(event_loop._timer)  # type: ignore[attr-defined]


@pytest.fixture
def workspace(
    loop: qasync.QEventLoop, qtbot: QtBot, demo_stack: DemoStack, tmp_path: Path
) -> Iterator[Workspace]:
    """The main window and its controllers, with the session's demo stack."""
    with workspace_on(loop, qtbot, demo_stack, tmp_path) as built:
        yield built
