"""The window's jobs after a restart: expired, gone, half downloaded, broken.

The real window built by app.gui, on the session's demo servers, with a
history file in the test's own data folder. What an earlier run of the app
left is written there first through app.history, as that run would have.
"""

import hashlib
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import qasync
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from support.window import WAIT_MS, finished_job, open_report, sign_in_to_demo

from app.controllers.icons import loopback_only
from app.controllers.jobs import SHOWN_ENDED
from app.gui import Workspace, build_workspace
from app.history import DEMO_SITE, EXPIRED, GONE, HISTORY_FILE, History, Identity
from app.jobs import Job
from app.local_stack import DemoStack
from app.settings import MODE_DEMO, Settings
from widgets.jobs_model import FILES, STATE

pytestmark = pytest.mark.slow

JOB_WAIT_MS = 120_000
HOUR = 3600.0
# No sandbox gives out ids this large before the test ends.
UNKNOWN_JOB = 987_654_321


@pytest.fixture
def history(data_dir: Path) -> Iterator[History]:
    """The history file as an earlier run of the app left it."""
    kept = History(data_dir / HISTORY_FILE)
    yield kept
    kept.close()


@pytest.fixture
def on_demo(data_dir: Path, demo_stack: DemoStack) -> Identity:
    """The demo was the last place signed in to."""
    settings = Settings.open(data_dir / "settings.ini")
    settings.mode = MODE_DEMO
    settings.sync()
    return Identity(DEMO_SITE, demo_stack.username)


@pytest.fixture
def start_app(
    qtbot: QtBot, loop: qasync.QEventLoop, data_dir: Path, demo_stack: DemoStack
) -> Iterator[list[Workspace]]:
    """Windows built as the app does at start, with the demo as their own;
    each is closed at the end."""
    built: list[Workspace] = []
    yield built
    for workspace in built:
        closing = loop.create_task(workspace.aclose())
        qtbot.waitUntil(closing.done, timeout=WAIT_MS)
        workspace.window.close()
        workspace.window.deleteLater()
        closing.result()


def started(built: list[Workspace], data_dir: Path, stack: DemoStack) -> Workspace:
    workspace = build_workspace(
        Settings.open(data_dir / "settings.ini"),
        demo_stack=stack,
        icon_hosts=loopback_only,
    )
    workspace.window.show()
    built.append(workspace)
    return workspace


def running_job(job_id: int, created_at: float) -> Job:
    return Job.from_json(
        {
            "id": job_id,
            "script": "fleet_status",
            "name": "Fleet Status",
            "state": "running",
            "progress": {"percentage": 30},
            "created_at": created_at,
        }
    )


def cell_text(workspace: Workspace, job_id: int, column: int) -> str:
    model = workspace.window.jobs_panel.model
    position = model.row_of(job_id)
    assert position is not None
    return str(model.data(model.index(position, column)))


def test_a_job_past_its_expiry_shows_expired_and_is_not_asked_about(
    qtbot: QtBot,
    start_app: list[Workspace],
    data_dir: Path,
    history: History,
    on_demo: Identity,
    demo_stack: DemoStack,
) -> None:
    # Unknown to the gateway too: asking about it would show it gone.
    job = running_job(UNKNOWN_JOB, created_at=time.time() - 3 * HOUR)
    history.record_job(on_demo, job, lifetime=HOUR)
    history.close()

    workspace = started(start_app, data_dir, demo_stack)
    panel = workspace.window.jobs_panel
    assert panel.job_state(UNKNOWN_JOB) == "running"
    sign_in_to_demo(qtbot, workspace, demo_stack)
    qtbot.waitUntil(lambda: panel.job_state(UNKNOWN_JOB) == EXPIRED, timeout=WAIT_MS)

    assert cell_text(workspace, UNKNOWN_JOB, STATE) == "Expired"
    assert "no longer followed" in cell_text(workspace, UNKNOWN_JOB, FILES)
    # Not gone: it was set aside before anybody asked the gateway about it,
    # and an ended job is not followed.
    assert panel.running_count() == 0
    kept = {e.job.id: e.job.state for e in workspace.jobs.history.jobs(on_demo)}
    assert kept == {UNKNOWN_JOB: EXPIRED}


def test_a_job_the_gateway_no_longer_knows_shows_gone_and_stays_so(
    qtbot: QtBot,
    start_app: list[Workspace],
    data_dir: Path,
    history: History,
    on_demo: Identity,
    demo_stack: DemoStack,
) -> None:
    history.record_job(on_demo, running_job(UNKNOWN_JOB, time.time()), lifetime=HOUR)
    history.close()

    workspace = started(start_app, data_dir, demo_stack)
    panel = workspace.window.jobs_panel
    sign_in_to_demo(qtbot, workspace, demo_stack)
    qtbot.waitUntil(lambda: panel.job_state(UNKNOWN_JOB) == GONE, timeout=WAIT_MS)

    assert "no longer on the gateway" in workspace.window.banner.text
    assert cell_text(workspace, UNKNOWN_JOB, STATE) == "Gone"
    assert panel.running_count() == 0

    again = started(start_app, data_dir, demo_stack)
    assert again.window.jobs_panel.job_state(UNKNOWN_JOB) == GONE


def test_a_download_under_way_when_the_app_stopped_is_fetched_again(
    qtbot: QtBot,
    start_app: list[Workspace],
    data_dir: Path,
    on_demo: Identity,
    demo_stack: DemoStack,
    tmp_path: Path,
) -> None:
    workspace = started(start_app, data_dir, demo_stack)
    window, panel = workspace.window, workspace.window.jobs_panel
    sign_in_to_demo(qtbot, workspace, demo_stack)
    open_report(qtbot, workspace, "Fleet status", "Fleet Status")
    page = window.report_page
    page.form.set_values({**page.values(), "vehicles": [1], "formats": ["csv"]})
    qtbot.waitUntil(page.run_button.isEnabled, timeout=WAIT_MS)
    qtbot.mouseClick(page.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.model.rowCount() == 1, timeout=WAIT_MS)
    job_id = panel.model.rows[0].job.id
    qtbot.waitUntil(lambda: panel.job_state(job_id) == "done", timeout=JOB_WAIT_MS)
    (name,) = panel.model.rows[0].job.files
    # The app stopped just after the download began.
    folder = tmp_path / "reports"
    workspace.jobs.history.download_started(on_demo, job_id, name, folder)
    workspace.jobs.history.close()

    again = started(start_app, data_dir, demo_stack)
    panel = again.window.jobs_panel
    assert panel.job_state(job_id) == "done"
    sign_in_to_demo(qtbot, again, demo_stack)
    qtbot.waitUntil(
        lambda: (
            (state := panel.file_state(job_id, name)) is not None
            and state.state == "saved"
        ),
        timeout=WAIT_MS,
    )

    state = panel.file_state(job_id, name)
    assert state is not None
    assert state.path is not None
    assert state.path.parent == folder
    (made,) = (demo_stack.folder / "engine-files").glob(f"*/{job_id}/{name}")
    digest = hashlib.sha256(state.path.read_bytes()).hexdigest()
    assert digest == hashlib.sha256(made.read_bytes()).hexdigest()
    kept = again.jobs.history.download(on_demo, job_id, name)
    assert kept is not None
    assert (kept.state, kept.path, kept.sha256) == ("done", state.path, digest)


def test_a_history_file_that_cannot_be_read_is_said_once_and_replaced(
    start_app: list[Workspace],
    data_dir: Path,
    on_demo: Identity,
    demo_stack: DemoStack,
) -> None:
    (data_dir / HISTORY_FILE).write_bytes(b"\x00not a database\x00" * 64)

    workspace = started(start_app, data_dir, demo_stack)

    assert "could not be read" in workspace.window.banner.text
    assert workspace.window.jobs_panel.jobs() == []
    assert len(list(data_dir.glob(f"{HISTORY_FILE}.broken-*"))) == 1
    assert workspace.jobs.history.jobs(on_demo) == []


def test_at_start_every_open_job_and_the_newest_ended_ones_are_shown(
    start_app: list[Workspace],
    data_dir: Path,
    history: History,
    on_demo: Identity,
    demo_stack: DemoStack,
) -> None:
    total = SHOWN_ENDED + 50
    for job_id in range(1, total + 1):
        done = finished_job(job_id, [f"trips-{job_id}.csv"])
        history.record_job(on_demo, done)
        if job_id == 3:
            history.record_job(on_demo, running_job(10_000, time.time()))
    history.close()

    workspace = started(start_app, data_dir, demo_stack)
    panel = workspace.window.jobs_panel

    shown = [job.id for job in panel.jobs()]
    newest_ended = list(range(total, total - SHOWN_ENDED, -1))
    # The open job is older than every ended one shown: shown all the same.
    assert shown == newest_ended + [10_000]
    button = panel.file_button(total, f"trips-{total}.csv")
    assert button is not None
