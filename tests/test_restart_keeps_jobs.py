"""Six reports running when the app is killed are all there after a restart.

The sandbox gateway and the engine run as processes of the test's own, the
engine holding each job "running" for a while (--job-delay). The app runs
as a process of its own too (tests/support/app_process.py: the real window,
offscreen, with the real controllers): it signs in with a password given
on its standard input and starts six jobs through the report page's Run
action. Once the six are running and in the history file, it is killed
with SIGKILL: nothing of it gets to close or save. The app is then started
again here, on the same data folder, as the real window: the six jobs are
shown at once, before signing in; once signed in, all six finish, their
files are downloaded from the panel as a user would, and are the engine's
files byte for byte. The gateway holds exactly six jobs: none was created
twice. A third start shows the files as saved, and asking for one again
does not fetch it a second time.
"""

import hashlib
import json
import os
import secrets
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import qasync
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from support.window import WAIT_MS, sign_in

from app.addresses import normalize_site_url
from app.children import LocalServer, app_command
from app.controllers.icons import loopback_only
from app.gui import Workspace, build_workspace
from app.history import HISTORY_FILE, History, Identity
from app.local_stack import SANDBOX_PASSWORD_ENV
from app.paths import DATA_DIR_ENV
from app.settings import Settings

# Three starts of the app and six jobs of JOB_DELAY_S each: more than the
# suite's usual limit on a busy machine.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

USER = "fleet.manager"
RUNS = 6
# Long enough for six jobs to start and the app to die and come back
# while they still run; each job then takes about this long.
JOB_DELAY_S = 20
JOB_WAIT_MS = 120_000
APP_START_MS = 120_000
DRIVER = Path(__file__).parent / "support" / "app_process.py"
FORM_VALUES = {"vehicles": [1], "formats": ["csv"]}


@dataclass
class Servers:
    gateway_url: str
    engine_files: Path
    password: str


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[Servers]:
    """An engine whose jobs stay running a while, and a sandbox that knows it."""
    files = tmp_path / "engine-files"
    password = secrets.token_urlsafe(12)
    engine = LocalServer(
        "engine",
        app_command(
            "engine",
            "--port",
            "0",
            "--files",
            str(files),
            "--job-delay",
            str(JOB_DELAY_S),
            # They end with the test's process, however it ends.
            "--watch-stdin",
        ),
    )
    sandbox = LocalServer(
        "sandbox",
        app_command("sandbox", "--port", "0", "--db", str(tmp_path / "sandbox.sqlite3"))
        + ["--user", USER, "--watch-stdin"],
        env={SANDBOX_PASSWORD_ENV: password},
    )
    try:
        engine_url = engine.start()
        sandbox.command += ["--engine", engine_url]
        yield Servers(sandbox.start(), files, password)
    finally:
        sandbox.stop()
        engine.stop()


@pytest.fixture
def app_process(
    servers: Servers, data_dir: Path, tmp_path: Path
) -> Iterator[subprocess.Popen[str]]:
    """The app as a process, signing in and starting RUNS jobs."""
    log = (tmp_path / "app-process.log").open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            str(DRIVER),
            servers.gateway_url,
            USER,
            "fleet_status",
            "--runs",
            str(RUNS),
            "--values",
            json.dumps(FORM_VALUES),
        ],
        stdin=subprocess.PIPE,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, DATA_DIR_ENV: str(data_dir), "QT_QPA_PLATFORM": "offscreen"},
    )
    assert process.stdin is not None
    # On its standard input: never on a command line, or in its log.
    process.stdin.write(servers.password + "\n")
    process.stdin.flush()
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(30)
        process.stdin.close()
        log.close()


def kept_jobs(data_dir: Path, who: Identity) -> dict[int, str]:
    """The jobs in the history file, as another program reads it: id -> state."""
    if not (data_dir / HISTORY_FILE).exists():
        return {}
    history = History(data_dir / HISTORY_FILE)
    try:
        return {entry.job.id: entry.job.state for entry in history.jobs(who)}
    finally:
        history.close()


def gateway_jobs(servers: Servers) -> list[dict[str, object]]:
    """Every job the gateway holds for the user, asked with a session of ours."""
    with httpx.Client(
        base_url=servers.gateway_url, trust_env=False, timeout=30
    ) as client:
        login = client.post(
            "/api/login", json={"username": USER, "password": servers.password}
        )
        client.headers["Authenticate"] = login.json()["auth"]
        answer = client.get("/api/job_manager", params={"set": 1000}).json()
    assert answer["total"] == len(answer["data"])
    return answer["data"]


def restarted(data_dir: Path) -> Workspace:
    """The window as the app builds it at start, on the same data folder."""
    workspace = build_workspace(
        Settings.open(data_dir / "settings.ini"), icon_hosts=loopback_only
    )
    workspace.window.show()
    return workspace


def closed(qtbot: QtBot, loop: qasync.QEventLoop, workspace: Workspace) -> None:
    closing = loop.create_task(workspace.aclose())
    qtbot.waitUntil(closing.done, timeout=WAIT_MS)
    workspace.window.close()
    workspace.window.deleteLater()
    closing.result()


def download_every_file(
    qtbot: QtBot, workspace: Workspace
) -> dict[tuple[int, str], Path]:
    """Click each file's button in the panel; where each was saved."""
    panel = workspace.window.jobs_panel
    saved = {}
    for job in panel.jobs():
        for name in job.files:
            button = panel.file_button(job.id, name)
            assert button is not None, (job.id, name)
            qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
            qtbot.waitUntil(
                lambda job=job, name=name: (
                    (state := panel.file_state(job.id, name)) is not None
                    and state.state in ("saved", "failed")
                ),
                timeout=WAIT_MS,
            )
            state = panel.file_state(job.id, name)
            assert state is not None
            assert state.state == "saved", state.message
            assert state.path is not None
            saved[job.id, name] = state.path
    return saved


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_six_running_jobs_outlive_a_killed_app_and_finish_with_their_files(
    qtbot: QtBot,
    loop: qasync.QEventLoop,
    servers: Servers,
    app_process: subprocess.Popen[str],
    data_dir: Path,
    tmp_path: Path,
) -> None:
    who = Identity(normalize_site_url(servers.gateway_url), USER)

    # The six jobs started by the app, and seen running by it.
    qtbot.waitUntil(
        lambda: (
            (
                len(kept := kept_jobs(data_dir, who)) == RUNS
                and set(kept.values()) == {"running"}
            )
            or app_process.poll() is not None
        ),
        timeout=APP_START_MS,
    )
    assert app_process.poll() is None, (tmp_path / "app-process.log").read_text()
    started = sorted(kept_jobs(data_dir, who))
    os.kill(app_process.pid, signal.SIGKILL)
    assert app_process.wait(30) == -signal.SIGKILL
    written = [tmp_path / "app-process.log", *data_dir.iterdir()]
    assert not [f for f in written if servers.password.encode() in f.read_bytes()]

    # Started again: the six are there at once, before signing in.
    workspace = restarted(data_dir)
    try:
        panel = workspace.window.jobs_panel
        assert workspace.session.session is None
        assert sorted(job.id for job in panel.jobs()) == started
        assert {panel.job_state(job_id) for job_id in started} == {"running"}

        sign_in(qtbot, workspace, servers.gateway_url, USER, servers.password)
        qtbot.waitUntil(
            lambda: all(panel.job_state(job_id) == "done" for job_id in started),
            timeout=JOB_WAIT_MS,
        )
        folder = tmp_path / "reports"
        workspace.window.download_folder_chosen.emit(folder)
        saved = download_every_file(qtbot, workspace)
    finally:
        closed(qtbot, loop, workspace)

    # Every file, byte for byte the engine's.
    assert sorted({job_id for job_id, _name in saved}) == started
    for (job_id, name), path in saved.items():
        (made,) = servers.engine_files.glob(f"*/{job_id}/{name}")
        assert sha256(path) == sha256(made), name
        assert path.parent == folder
    assert list(folder.glob("*.part")) == []
    # None created twice.
    on_gateway = gateway_jobs(servers)
    assert sorted(int(str(job["id"])) for job in on_gateway) == started

    # A third start: the files show as saved, and are not fetched again.
    workspace = restarted(data_dir)
    try:
        panel = workspace.window.jobs_panel
        for (job_id, name), path in saved.items():
            state = panel.file_state(job_id, name)
            assert state is not None
            assert (state.state, state.path) == ("saved", path)
        assert {panel.job_state(job_id) for job_id in started} == {"done"}

        sign_in(qtbot, workspace, servers.gateway_url, USER, servers.password)
        qtbot.waitUntil(lambda: workspace.session.session is not None, timeout=WAIT_MS)
        (job_id, name), path = next(iter(saved.items()))
        panel.download_requested.emit(job_id, name)
        state = panel.file_state(job_id, name)
        assert state is not None
        assert (state.state, state.path) == ("saved", path)
    finally:
        closed(qtbot, loop, workspace)
    assert sorted(folder.iterdir()) == sorted(saved.values())
