"""The Schedule button, the task editor's checks and the task list, in the window.

The window signs in to a demo stack of this module whose sandbox clock is
stopped, so no task it holds fires by itself: every job seen is one the
test asked for. Tasks are made through the editor, or sent directly to the
sandbox where the test is about the list.
"""

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import qasync
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QMessageBox
from pytestqt.qtbot import QtBot
from support.sandbox_engine import sign_in
from support.window import WAIT_MS, open_report, sign_in_to_demo, workspace_on

from app.controllers.schedules import NO_PAUSE, NOT_SCHEDULABLE
from app.gui import Workspace
from app.local_stack import DemoStack
from app.sandbox.fleet import FLEET_TZ
from app.schedule.runs import zone_named
from widgets.task_editor import TaskEditor

pytestmark = pytest.mark.slow

JOB_WAIT_MS = 120_000


@pytest.fixture(scope="module")
def still_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoStack]:
    """A demo whose task runner's clock never moves: nothing fires."""
    stack = DemoStack(
        folder=tmp_path_factory.mktemp("tasks-demo"),
        extra_sandbox_args=["--clock-start", "2024-01-01T00:00", "--clock-rate", "0"],
    )
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()


@pytest.fixture
def signed_in(
    loop: qasync.QEventLoop, qtbot: QtBot, still_stack: DemoStack, tmp_path: Path
) -> Iterator[Workspace]:
    with workspace_on(loop, qtbot, still_stack, tmp_path) as built:
        sign_in_to_demo(qtbot, built, still_stack)
        yield built


@pytest.fixture
def gateway(still_stack: DemoStack) -> Iterator[httpx.Client]:
    """The sandbox as the test sees it, with its tasks removed afterwards."""
    with sign_in(still_stack.gateway_url) as client:
        yield client
        for task in client.get("/api/tasks").json()["data"]:
            client.delete(f"/api/tasks/{task['id']}")


def open_editor(qtbot: QtBot, workspace: Workspace) -> TaskEditor:
    open_report(qtbot, workspace, "Vehicle metrics", "Idling Usage")
    button = workspace.window.report_page.schedule_button
    qtbot.waitUntil(button.isEnabled, timeout=WAIT_MS)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: workspace.schedules.editor is not None, timeout=WAIT_MS)
    editor = workspace.schedules.editor
    assert editor is not None
    return editor


def idling_task(engine: str, name: str = "Weekly idling") -> dict[str, Any]:
    """A task as the second documented example writes it: flat, `user`."""
    return {
        "name": name,
        "processes": [
            {
                "name": "Idling Usage",
                "script": "idling",
                "tz": FLEET_TZ,
                "engine": engine,
            },
            {
                "vehicles": [3],
                "groups": [],
                "min_idle": 7,
                "recipients": ["ops@example.com"],
                "user": [2],
                "back": {"days": 2, "hours": 6},
                "tz": FLEET_TZ,
            },
        ],
        "schedule": "0-15 9 * * 1",
    }


def test_schedule_is_offered_only_where_the_manifest_allows_it(
    qtbot: QtBot, signed_in: Workspace
) -> None:
    button = signed_in.window.report_page.schedule_button

    open_report(qtbot, signed_in, "Fleet status", "Fleet Status")
    assert not button.isEnabled()
    assert button.toolTip() == NOT_SCHEDULABLE

    open_report(qtbot, signed_in, "Vehicle metrics", "Idling Usage")
    assert button.isEnabled()


def test_the_editor_says_what_stops_a_task_and_sends_nothing(
    qtbot: QtBot, signed_in: Workspace, gateway: httpx.Client
) -> None:
    editor = open_editor(qtbot, signed_in)

    # A recipient that is not an address is refused at the field, as typed,
    # and Save waits for it to be fixed.
    qtbot.keyClicks(editor.recipients_edit, "ops@example.com, boss@example")
    assert editor.recipients_error.isVisible()
    assert editor.recipients_error.text() == (
        "'boss@example' is not an email address; give addresses like "
        "ops@example.com, separated by commas"
    )
    assert not editor.save_button.isEnabled()
    qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    editor.recipients_edit.setText("not an email")
    assert editor.recipients_error.text().startswith("'not' is not an email")
    assert not editor.save_button.isEnabled()
    qtbot.keyClick(editor.recipients_edit, Qt.Key.Key_Return)
    assert signed_in.schedules.editor is editor
    assert gateway.get("/api/tasks").json()["data"] == []

    editor.recipients_edit.setText("ops@example.com")
    assert not editor.recipients_error.isVisible()
    assert editor.save_button.isEnabled()
    editor.cron.expression_edit.setText("0 0 31 2 *")
    assert editor.schedules() == ["0 0 31 2 *"]
    assert editor.cron.status_label.text().startswith("Not a schedule: ")
    qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    assert editor.problem_label.text().startswith("Schedule 1: '0 0 31 2 *' never runs")

    editor.cron.expression_edit.setText("@daily")
    editor.days_spin.setValue(0)
    qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    assert editor.problem_label.text() == (
        "Back: the period is empty; give some days or hours."
    )
    assert gateway.get("/api/tasks").json()["data"] == []

    cancel = editor.buttons.button(QDialogButtonBox.StandardButton.Cancel)
    qtbot.mouseClick(cancel, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: signed_in.schedules.editor is None, timeout=WAIT_MS)
    assert gateway.get("/api/tasks").json()["data"] == []


def test_two_schedules_are_sent_as_a_list(
    qtbot: QtBot, signed_in: Workspace, gateway: httpx.Client
) -> None:
    editor = open_editor(qtbot, signed_in)
    editor.cron.expression_edit.setText("@daily")
    qtbot.mouseClick(editor.add_button, Qt.MouseButton.LeftButton)
    editor.cron.expression_edit.setText("30 12 * * 1-5")
    # The sandbox lists its users: they are picked by name, not typed.
    users = editor.users_picker
    qtbot.waitUntil(users.is_loaded, timeout=WAIT_MS)
    assert not editor.users_edit.isVisibleTo(editor)
    qtbot.keyClicks(users.filter, "ops")
    assert users.visible_names() == ["Olivia Ortiz (ops)"]
    qtbot.mouseClick(users.select_button, Qt.MouseButton.LeftButton)

    with qtbot.waitSignal(signed_in.schedules.task_saved, timeout=WAIT_MS):
        qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)

    (task,) = gateway.get("/api/tasks").json()["data"]
    assert task["schedule"] == ["@daily", "30 12 * * 1-5"]
    assert task["processes"][0][1]["users"] == [2]
    assert task["processes"][0][1]["back"] == {"days": 7, "hours": 0}


def test_the_list_shows_edits_runs_and_deletes_a_task(
    qtbot: QtBot, signed_in: Workspace, gateway: httpx.Client, still_stack: DemoStack
) -> None:
    created = gateway.post("/api/tasks", json=idling_task(still_stack.engine_url))
    assert created.status_code == 201, created.text
    task_id = created.json()["id"]
    window = signed_in.window
    tasks = window.task_list

    window.tasks_action.trigger()
    qtbot.waitUntil(lambda: len(tasks.rows()) == 1, timeout=WAIT_MS)
    row = tasks.rows()[0]
    assert (row.name, row.report) == ("Weekly idling", "Idling Usage")
    assert row.schedule == "Every minute between 09:00 and 09:15, only on Monday"
    # A Monday between 09:00 and 09:15 in the fleet's zone, with its offset.
    shown = re.fullmatch(r"(\S+) 09:(\d\d) \(UTC-0[45]:00\)", row.next_run)
    assert shown is not None, row.next_run
    assert dt.date.fromisoformat(shown.group(1)).weekday() == 0
    assert int(shown.group(2)) <= 15
    assert (row.last_run, row.outcome) == ("not yet", "")
    assert not tasks.pause_button.isEnabled()
    assert tasks.pause_button.toolTip() == NO_PAUSE

    # Edit: the task comes back in the editor as stored; a new name is PUT.
    tasks.select_task(task_id)
    qtbot.mouseClick(tasks.edit_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: signed_in.schedules.editor is not None, timeout=WAIT_MS)
    editor = signed_in.schedules.editor
    assert editor is not None
    assert editor.recipients_edit.text() == "ops@example.com"
    assert (editor.days_spin.value(), editor.hours_spin.value()) == (2, 6)
    assert editor.schedules() == ["0-15 9 * * 1"]
    assert editor.zone() == FLEET_TZ
    assert editor.form.values()["min_idle"] == 7
    assert len(editor.cron.run_lines()) == 10
    editor.name_edit.setText("Idling, Mondays")
    with qtbot.waitSignal(signed_in.schedules.task_saved, timeout=WAIT_MS):
        qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    stored = gateway.get(f"/api/tasks/{task_id}").json()
    assert stored["name"] == "Idling, Mondays"
    assert stored["processes"][0][1]["users"] == [2]
    qtbot.waitUntil(
        lambda: [r.name for r in tasks.rows()] == ["Idling, Mondays"], timeout=WAIT_MS
    )

    # Run now: a job over the 2 days 6 hours before this minute.
    zone = zone_named(FLEET_TZ)
    before = dt.datetime.now(zone).replace(second=0, microsecond=0, tzinfo=None)
    tasks.select_task(task_id)
    qtbot.mouseClick(tasks.run_button, Qt.MouseButton.LeftButton)
    panel = window.jobs_panel
    qtbot.waitUntil(lambda: panel.model.rowCount() == 1, timeout=WAIT_MS)
    job = panel.model.rows[0].job
    after = dt.datetime.now(zone).replace(second=0, microsecond=0, tzinfo=None)
    end = dt.datetime.fromisoformat(job.params["to"])
    assert before <= end <= after
    assert dt.datetime.fromisoformat(job.params["from"]) == end - dt.timedelta(
        days=2, hours=6
    )
    assert (job.params["vehicles"], job.params["min_idle"]) == ([3], 7)
    assert "recipients" not in job.params
    qtbot.waitUntil(
        lambda: panel.job_state(job.id) in ("done", "error"), timeout=JOB_WAIT_MS
    )
    assert panel.job_state(job.id) == "done"

    # Delete, after saying yes.
    tasks.select_task(task_id)
    qtbot.mouseClick(tasks.delete_button, Qt.MouseButton.LeftButton)
    box = tasks.confirmation
    assert box is not None
    delete = next(
        b
        for b in box.buttons()
        if box.buttonRole(b) == QMessageBox.ButtonRole.DestructiveRole
    )
    qtbot.mouseClick(delete, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tasks.rows() == [], timeout=WAIT_MS)
    assert gateway.get("/api/tasks").json()["data"] == []
