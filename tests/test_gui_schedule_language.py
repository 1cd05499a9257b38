"""Schedules are described in the signed-in user's language.

The sandbox's user has Spanish as their saved language; the task editor's
cron editor then words a schedule in Spanish, as `python -m app cron
--lang es` does for the same expression.
"""

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import qasync
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from support.window import WAIT_MS, open_report, sign_in_to_demo, workspace_on

from app.local_stack import DemoStack
from app.schedule.description import describe
from app.schedule.expression import parse_cron

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def spanish_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoStack]:
    prefs = json.dumps({"language": "es"})
    stack = DemoStack(
        folder=tmp_path_factory.mktemp("spanish-demo"),
        extra_sandbox_args=[
            "--user-prefs",
            prefs,
            "--clock-start",
            "2024-01-01T00:00",
            "--clock-rate",
            "0",
        ],
    )
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()


def test_a_spanish_user_reads_schedules_in_spanish(
    loop: qasync.QEventLoop, qtbot: QtBot, spanish_stack: DemoStack, tmp_path: Path
) -> None:
    with workspace_on(loop, qtbot, spanish_stack, tmp_path) as workspace:
        sign_in_to_demo(qtbot, workspace, spanish_stack)
        open_report(qtbot, workspace, "Vehicle metrics", "Idling Usage")
        button = workspace.window.report_page.schedule_button
        qtbot.waitUntil(button.isEnabled, timeout=WAIT_MS)
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: workspace.schedules.editor is not None, timeout=WAIT_MS)
        editor = workspace.schedules.editor
        assert editor is not None

        editor.cron.set_expression("30 7 * * 1")

        spanish = describe(parse_cron("30 7 * * 1"), "es")
        assert spanish is not None
        assert "lunes" in spanish.lower()
        assert editor.cron.status_label.text() == spanish
