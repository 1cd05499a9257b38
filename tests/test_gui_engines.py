"""The Engines panel: a user's engine command started from the window.

The real window runs offscreen against a demo stack of its own (the
engine list it changes is not shared with other tests). The engine is
tests/support/broken_engine.py with no fault, started through the panel
the way a user types it; its report is run through the sandbox and its
file downloaded, then it is stopped, and a second one must end with the
app.
"""

import os
import shlex
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import qasync
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from support.window import WAIT_MS, open_report, sign_in_to_demo, workspace_on

from app.controllers.engines import EXITED, UP, LocalEngine
from app.gui import Workspace, build_workspace
from app.local_stack import DemoStack
from app.settings import Settings

ENGINE = Path(__file__).parent / "support" / "broken_engine.py"
JOB_WAIT_MS = 60_000


@pytest.fixture
def own_stack(tmp_path: Path) -> Iterator[DemoStack]:
    stack = DemoStack(folder=tmp_path / "demo").start()
    try:
        yield stack
    finally:
        stack.stop()


@pytest.fixture
def window_with_stack(
    loop: qasync.QEventLoop, qtbot: QtBot, own_stack: DemoStack, tmp_path: Path
) -> Iterator[Workspace]:
    with workspace_on(loop, qtbot, own_stack, tmp_path, stop_children=True) as built:
        yield built


def start_engine(qtbot: QtBot, workspace: Workspace, files: Path) -> LocalEngine:
    """Type the engine's command in the panel and press Start command."""
    panel = workspace.window.engines_panel
    known = set(workspace.engines.engines)
    command = shlex.join([sys.executable, str(ENGINE), "--files", str(files)])
    panel.command_edit.setText(command)
    panel.env_edit.setPlainText("# the engine ignores it, but gets it\nNOTE=a b")
    qtbot.mouseClick(panel.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: set(workspace.engines.engines) != known, timeout=WAIT_MS)
    (number,) = set(workspace.engines.engines) - known
    return workspace.engines.engines[number]


def is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_an_engine_command_runs_its_report_through_the_sandbox(
    qtbot: QtBot, window_with_stack: Workspace, own_stack: DemoStack, tmp_path: Path
) -> None:
    workspace, window = window_with_stack, window_with_stack.window
    sign_in_to_demo(qtbot, workspace, own_stack)
    window.engines_action.trigger()
    assert window.engines_dock.isVisible()

    engine = start_engine(qtbot, workspace, tmp_path / "engine-files")
    panel = window.engines_panel
    qtbot.waitUntil(lambda: engine.state == UP, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: engine.registered_at is not None, timeout=WAIT_MS)
    assert "broken engine listening on" in panel.log_view.toPlainText()
    assert f"up at {engine.known_url}" in panel.engine_list.item(0).text()

    # Its report joins the built-in ones in the catalog.
    qtbot.waitUntil(
        lambda: (
            workspace.catalog.catalog is not None
            and workspace.catalog.catalog.find("count") is not None
        ),
        timeout=WAIT_MS,
    )
    assert workspace.catalog.catalog.find("idling") is not None
    open_report(qtbot, workspace, "Fleet status", "Count")
    page = window.report_page
    page.form.set_values({**page.values(), "count": 4})
    qtbot.waitUntil(page.run_button.isEnabled, timeout=WAIT_MS)
    qtbot.mouseClick(page.run_button, Qt.MouseButton.LeftButton)

    jobs = window.jobs_panel
    qtbot.waitUntil(lambda: jobs.model.rowCount() == 1, timeout=WAIT_MS)
    job_id = jobs.model.rows[0].job.id
    qtbot.waitUntil(
        lambda: jobs.job_state(job_id) in ("done", "error"), timeout=JOB_WAIT_MS
    )
    job = jobs.model.rows[0].job
    assert job.state == "done", job.error
    assert job.files == ["count.csv"]

    folder = tmp_path / "reports"
    window.download_folder_chosen.emit(folder)
    button = jobs.file_button(job_id, "count.csv")
    assert button is not None
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: (
            (state := jobs.file_state(job_id, "count.csv")) is not None
            and state.state in ("saved", "failed")
        ),
        timeout=WAIT_MS,
    )
    saved = jobs.file_state(job_id, "count.csv")
    assert saved is not None
    assert saved.path is not None, saved.message
    assert saved.state == "saved", saved.message
    assert saved.path.read_text().split() == ["n", "1", "2", "3", "4"]

    # The conformance check, from the panel, on the running engine.
    qtbot.mouseClick(panel.check_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not workspace.engines.checking, timeout=JOB_WAIT_MS)
    report = panel.check_view.toPlainText().splitlines()
    assert any(line.startswith("passed") for line in report), report
    assert not any(line.startswith("FAILED") for line in report), report
    assert report[-1].endswith("checks passed")

    # Stopped: the panel says it exited, and the report leaves the catalog.
    panel.engine_list.setCurrentRow(0)
    qtbot.mouseClick(panel.stop_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: engine.state == EXITED, timeout=WAIT_MS)
    assert "exited with code" in panel.status_label.text()
    assert "exited with code" in panel.engine_list.item(0).text()
    assert not is_alive(engine.process.pid or 0)
    qtbot.waitUntil(
        lambda: (
            workspace.catalog.catalog is not None
            and workspace.catalog.catalog.find("count") is None
        ),
        timeout=WAIT_MS,
    )


def test_an_engine_that_exits_by_itself_is_shown_with_its_code_and_lines(
    qtbot: QtBot, window_with_stack: Workspace, tmp_path: Path
) -> None:
    panel = window_with_stack.window.engines_panel
    script = tmp_path / "short.py"
    script.write_text("print('no port for me')\nraise SystemExit(3)\n")
    panel.command_edit.setText(shlex.join([sys.executable, str(script)]))
    qtbot.mouseClick(panel.start_button, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(
        lambda: "exited with code 3" in panel.status_label.text(), timeout=WAIT_MS
    )
    assert "no port for me" in panel.status_label.text()


def test_engines_end_with_the_app(
    qtbot: QtBot, loop: qasync.QEventLoop, own_stack: DemoStack, tmp_path: Path
) -> None:
    settings = Settings.open(tmp_path / "settings.ini")
    workspace = build_workspace(settings, demo_stack=own_stack)
    workspace.window.show()
    engine = start_engine(qtbot, workspace, tmp_path / "engine-files")
    qtbot.waitUntil(lambda: engine.state == UP, timeout=WAIT_MS)
    pid = engine.process.pid
    assert pid is not None
    assert is_alive(pid)

    # What main() does as the app ends.
    closing = loop.create_task(workspace.aclose())
    qtbot.waitUntil(closing.done, timeout=WAIT_MS)
    closing.result()
    workspace.stop_children()
    workspace.window.close()
    workspace.window.deleteLater()

    assert engine.process.returncode is not None
    assert not is_alive(pid)


def test_the_sandbox_adds_only_loopback_engines_for_a_signed_in_user(
    own_stack: DemoStack,
) -> None:
    api = own_stack.gateway_url + "/api"
    with httpx.Client(trust_env=False, timeout=10.0) as client:
        anonymous = client.post(api + "/sandbox/engines", json={"url": "http://x"})
        assert anonymous.status_code == 401

        login = {"username": own_stack.username, "password": own_stack.password}
        token = client.post(api + "/login", json=login).json()["auth"]
        headers = {"Authenticate": token}
        far = client.post(
            api + "/sandbox/engines",
            json={"url": "http://192.0.2.1:8080"},
            headers=headers,
        )
        assert far.status_code == 400
        assert "not an http address on this computer" in far.json()["message"]

        url = "http://127.0.0.1:9/"
        added = client.post(
            api + "/sandbox/engines", json={"url": url}, headers=headers
        )
        assert added.status_code == 201
        listed = client.get(api + "/job_manager/engines", headers=headers).json()
        assert "http://127.0.0.1:9" in listed["engines"]
        assert own_stack.engine_url in listed["engines"]

        client.delete(api + "/sandbox/engines", params={"url": url}, headers=headers)
        listed = client.get(api + "/job_manager/engines", headers=headers).json()
        assert listed["engines"] == [own_stack.engine_url]


def test_the_embedded_engine_starts_and_stops_from_the_panel(
    qtbot: QtBot, window_with_stack: Workspace
) -> None:
    panel = window_with_stack.window.engines_panel
    qtbot.mouseClick(panel.embedded_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(window_with_stack.engines.engines), timeout=WAIT_MS)
    (engine,) = window_with_stack.engines.engines.values()
    qtbot.waitUntil(lambda: engine.state == UP, timeout=WAIT_MS)
    assert "is up at http://127.0.0.1:" in panel.status_label.text()

    panel.engine_list.setCurrentRow(0)
    qtbot.mouseClick(panel.stop_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: engine.state == EXITED, timeout=WAIT_MS)
    assert "embedded engine #1 exited with code" in panel.status_label.text()
    assert not panel.stop_button.isEnabled()
