"""No password or token anywhere the app writes, after a whole session.

The real window, offscreen, with logging as --debug sets it up (every debug
line of ours, to stderr) and the window's own log file: sign in with a
password to a sandbox of the test's own (a process on loopback, with a
password drawn for this test), list its engines, open a report, run it,
download its file, sign out, quit. Then neither the password nor the token
the sandbox answered to the window's sign-in may be found in the log file,
the settings, the history or any other file of the data folder, the
downloaded files, what was printed, nor in any log message as it was
written by the code (before the log's filter masks what looks secret).
"""

import logging
import logging.handlers
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import qasync
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from support.own_gateway import OwnGateway, own_gateway
from support.window import WAIT_MS, open_report, sign_in, workspace_on

from app.gui import LOG_FILE, _log_to_file
from app.history import HISTORY_FILE
from app.local_stack import DemoStack
from app.logs import CHATTY_LOGGERS, setup_logging

pytestmark = pytest.mark.slow

JOB_WAIT_MS = 120_000


class RawMessages(logging.Handler):
    """Every message as the code wrote it, before any handler's filter."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.messages: list[tuple[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        where = f"{record.name}:{record.lineno}"
        self.messages.append((where, record.getMessage()))

    def places_of(self, secret: str) -> list[str]:
        """Where messages holding secret were logged (never the messages)."""
        return [where for where, message in self.messages if secret in message]


@pytest.fixture
def debug_log(
    capfd: pytest.CaptureFixture[str], data_dir: Path
) -> Iterator[RawMessages]:
    """Logging as `python -m app --debug` has it; the raw messages."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    # To the process's stderr itself (file descriptor 2, which capfd reads),
    # not to the stand-in for sys.stderr of this moment of the test.
    setup_logging(logging.DEBUG, sys.__stderr__)
    _log_to_file()
    raw = RawMessages()
    # First: the handlers after it mask secrets in the record itself.
    root.handlers.insert(0, raw)
    try:
        yield raw
    finally:
        for handler in root.handlers:
            if handler not in handlers:
                handler.close()
        root.handlers[:] = handlers
        root.setLevel(level)
        for name in CHATTY_LOGGERS:
            logging.getLogger(name).setLevel(logging.NOTSET)


@pytest.fixture(params=["memory_keyring", "no_keyring"])
def keyring_kind(request: pytest.FixtureRequest) -> str:
    """A keyring that keeps the token, and a machine without any."""
    request.getfixturevalue(request.param)
    return str(request.param)


@pytest.fixture(scope="module")
def own(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OwnGateway]:
    with own_gateway(tmp_path_factory.mktemp("secret-gateway")) as running:
        yield running


def test_a_whole_session_leaves_no_password_or_token_behind(
    qtbot: QtBot,
    loop: qasync.QEventLoop,
    demo_stack: DemoStack,
    own: OwnGateway,
    keyring_kind: str,
    debug_log: RawMessages,
    capfd: pytest.CaptureFixture[str],
    data_dir: Path,
    tmp_path: Path,
) -> None:
    downloads = tmp_path / "reports"
    with workspace_on(loop, qtbot, demo_stack, data_dir) as workspace:
        window = workspace.window
        sign_in(qtbot, workspace, own.url, own.username, own.password)
        qtbot.waitUntil(lambda: window.connection_state == "online", timeout=WAIT_MS)
        session = workspace.session.session
        assert session is not None
        token = session.gateway.token
        # What the sandbox answered to the window's sign-in, and still takes.
        assert token is not None
        assert re.fullmatch(r"[0-9a-f]{56}", token)
        assert httpx.get(
            f"{own.url}/api/user", headers={"Authenticate": token}, timeout=30
        ).is_success

        qtbot.waitUntil(lambda: workspace.catalog.catalog is not None, timeout=WAIT_MS)
        open_report(qtbot, workspace, "Fleet status", "Fleet Status")
        page = window.report_page
        page.form.set_values({**page.values(), "vehicles": [1], "formats": ["csv"]})
        qtbot.waitUntil(page.run_button.isEnabled, timeout=WAIT_MS)
        qtbot.mouseClick(page.run_button, Qt.MouseButton.LeftButton)
        panel = window.jobs_panel
        qtbot.waitUntil(lambda: panel.model.rowCount() == 1, timeout=WAIT_MS)
        job_id = panel.model.rows[0].job.id
        qtbot.waitUntil(lambda: panel.job_state(job_id) == "done", timeout=JOB_WAIT_MS)

        window.download_folder_chosen.emit(downloads)
        (name,) = panel.model.rows[0].job.files
        button = panel.file_button(job_id, name)
        assert button is not None
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(
            lambda: getattr(panel.file_state(job_id, name), "state", "") == "saved",
            timeout=WAIT_MS,
        )

        window.sign_out_action.trigger()
        qtbot.waitUntil(lambda: window.connection_state == "offline", timeout=WAIT_MS)
        qtbot.waitUntil(lambda: not workspace.session.busy, timeout=WAIT_MS)
        workspace.save_layout()

    secrets = {"password": own.password, "token": token}
    log_file = data_dir / LOG_FILE
    history = data_dir / HISTORY_FILE
    settings = data_dir / "settings.ini"
    # The places looked into hold what they should: the check means something.
    assert " DEBUG app." in log_file.read_text(encoding="utf-8")
    assert own.username in settings.read_text(encoding="utf-8")
    assert history.is_file()
    assert any(downloads.iterdir())

    printed = capfd.readouterr()
    assert " DEBUG app." in printed.err
    # Failures name where a secret was found, never the secret itself.
    for what, secret in secrets.items():
        found = _files_holding(secret, data_dir, downloads)
        assert found == [], f"the {what} is in {found}"
        was_printed = secret in printed.out or secret in printed.err
        assert not was_printed, f"the {what} was printed"
        logged = debug_log.places_of(secret)
        assert logged == [], f"the {what} was logged by {logged}"


def _files_holding(secret: str, *folders: Path) -> list[Path]:
    found = []
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and secret.encode() in path.read_bytes():
                found.append(path)
    return found
