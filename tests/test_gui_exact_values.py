"""Values from outside, through the whole window, kept exactly as they are.

The window signs in to a small gateway of the test's own (tests/support/
small_gateway.py) and runs a report whose form holds whole numbers beyond
32 and 64 bits and a date-time with a UTC offset: the gateway records what
the job was sent. The job's id, which the gateway chooses, is beyond 32
bits too, and its file is downloaded and opened through it.
"""

from collections.abc import Iterator
from pathlib import Path

import pytest
import qasync
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from support.desktop import OpenedUrls
from support.small_gateway import FILE_BYTES, small_gateway
from support.window import WAIT_MS, sign_in

from app.controllers.icons import loopback_only
from app.gui import Workspace, build_workspace
from app.settings import Settings

pytestmark = pytest.mark.slow

JOB_ID = 3_000_000_000
GIVEN = {
    "count": 3_000_000_000,
    "serial": 10**20,
    "huge": 2**70,
    "start": "2026-11-02T10:00:00+14:00",
}
MANIFEST = {
    "scripts": [
        {
            "script": "exact",
            "title": "Exact values",
            "category": "fleet_status",
            "parameters_schema": {
                "type": "object",
                "required": ["count", "serial", "huge", "start"],
                "properties": {
                    "count": {
                        "type": "integer",
                        "minimum": 3_000_000_000,
                        "default": GIVEN["count"],
                    },
                    "serial": {
                        "type": "integer",
                        "maximum": 1e308,
                        "multipleOf": 10_000_000_000,
                        "default": GIVEN["serial"],
                    },
                    "huge": {"type": "integer", "default": GIVEN["huge"]},
                    "start": {
                        "type": "string",
                        "format": "date-time",
                        "default": GIVEN["start"],
                    },
                },
            },
        }
    ]
}


@pytest.fixture
def window(
    loop: qasync.QEventLoop, qtbot: QtBot, tmp_path: Path
) -> Iterator[Workspace]:
    built = build_workspace(
        Settings.open(tmp_path / "settings.ini"),
        icon_hosts=loopback_only,
        download_dir=tmp_path / "downloads",
    )
    qtbot.addWidget(built.window)
    built.window.show()
    try:
        yield built
    finally:
        closing = loop.create_task(built.aclose())
        qtbot.waitUntil(closing.done, timeout=WAIT_MS)


def test_a_run_sends_the_values_as_given_and_its_big_id_fetches_its_file(
    qtbot: QtBot, window: Workspace, opened: OpenedUrls, tmp_path: Path
) -> None:
    with small_gateway(MANIFEST, job_id=JOB_ID, files=("idle.csv",)) as (url, log):
        sign_in(qtbot, window, url, "ana", "secret")
        qtbot.waitUntil(lambda: window.catalog.catalog is not None, timeout=WAIT_MS)
        assert window.window.catalog.select_script("exact")
        page = window.window.report_page
        assert page.form.editor("start").edit.text() == "2026-11-02 10:00:00 +14:00"
        qtbot.waitUntil(page.run_button.isEnabled, timeout=WAIT_MS)

        qtbot.mouseClick(page.run_button, Qt.MouseButton.LeftButton)
        panel = window.window.jobs_panel
        qtbot.waitUntil(lambda: panel.job_state(JOB_ID) == "done", timeout=WAIT_MS)
        (sent,) = log.job_args
        assert {name: sent[name] for name in GIVEN} == GIVEN
        assert all(type(sent[name]) is int for name in ("count", "serial", "huge"))

        qtbot.mouseClick(
            panel.file_button(JOB_ID, "idle.csv"), Qt.MouseButton.LeftButton
        )
        saved = tmp_path / "downloads" / "idle.csv"
        qtbot.waitUntil(lambda: opened.urls == [str(saved)], timeout=WAIT_MS)

    assert log.files == [f"/api/job_manager/{JOB_ID}/idle.csv"]
    assert saved.read_bytes() == FILE_BYTES
