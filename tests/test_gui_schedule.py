"""Scheduling a report from the window, run by the sandbox on a test clock.

The window (app.gui's build_workspace, offscreen) signs in to a demo stack
of its own whose sandbox has a stopped test clock three days back; Idling
Usage is scheduled every day at 07:00 for the day before, through the
report page's Schedule button and the task editor. The test then moves
the sandbox's clock across two fire times, as the passing of a day and a
half, and the jobs panel must show the two jobs the schedule started,
marked with their task, done, each over the day `back` gives.
"""

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import qasync
from PySide6.QtCore import Qt, QTime
from pytestqt.qtbot import QtBot
from support.sandbox_engine import sign_in
from support.window import WAIT_MS, open_report, sign_in_to_demo, workspace_on

from app.gui import Workspace
from app.local_stack import DemoStack
from app.sandbox.fleet import FLEET_TZ
from app.schedule.runs import zone_named
from widgets.cron_editor import DAILY
from widgets.jobs_model import REPORT

pytestmark = pytest.mark.slow

JOB_WAIT_MS = 120_000
TASK_NAME = "Morning idling"
OPS_USER = 2  # ops@example.com in the demo fleet
OPS_NAME = "Olivia Ortiz (ops)"


@pytest.fixture
def first_fire_day() -> dt.datetime:
    """01:00 three days ago in the fleet's zone: the engine reports only on
    periods that have begun, so the runs must be in the past."""
    zone = zone_named(FLEET_TZ)
    today = dt.datetime.now(zone).date()
    return dt.datetime.combine(today - dt.timedelta(days=3), dt.time(1), zone)


@pytest.fixture
def clock_stack(tmp_path: Path, first_fire_day: dt.datetime) -> Iterator[DemoStack]:
    stack = DemoStack(
        folder=tmp_path / "demo",
        extra_sandbox_args=[
            "--clock-start",
            first_fire_day.isoformat(),
            "--clock-rate",
            "0",
        ],
    )
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()


@pytest.fixture
def clock_workspace(
    loop: qasync.QEventLoop, qtbot: QtBot, clock_stack: DemoStack, tmp_path: Path
) -> Iterator[Workspace]:
    with workspace_on(loop, qtbot, clock_stack, tmp_path) as built:
        yield built


def fill_in_the_task(qtbot: QtBot, workspace: Workspace) -> None:
    """Name, a daily 07:00 schedule, a day back, the fleet's zone, recipients."""
    editor = workspace.schedules.editor
    assert editor is not None

    editor.name_edit.clear()
    qtbot.keyClicks(editor.name_edit, TASK_NAME)
    qtbot.keyClicks(editor.recipients_edit, "ops@example.com")
    editor.zone_combo.setCurrentText(FLEET_TZ)
    editor.days_spin.setValue(1)
    editor.hours_spin.setValue(0)
    editor.cron.preset.setCurrentIndex(editor.cron.preset.findData(DAILY))
    editor.cron.time_edit.setTime(QTime(7, 0))

    # Users picked by name from the sandbox's list (GET /api/users).
    users = editor.users_picker
    qtbot.waitUntil(users.is_loaded, timeout=WAIT_MS)
    assert not editor.users_edit.isVisibleTo(editor)
    qtbot.keyClicks(users.filter, "ops")
    assert users.visible_names() == [OPS_NAME]
    qtbot.mouseClick(users.select_button, Qt.MouseButton.LeftButton)
    assert users.selected_ids() == [OPS_USER]

    vehicles = editor.form.editor("vehicles")
    assert vehicles is not None
    picker = vehicles.picker  # type: ignore[attr-defined]
    qtbot.waitUntil(picker.is_loaded, timeout=WAIT_MS)
    picker.set_selected_ids([1, 2])


def stored_task(stack: DemoStack) -> dict[str, Any]:
    with sign_in(stack.gateway_url) as client:
        tasks = client.get("/api/tasks").json()["data"]
    assert len(tasks) == 1
    task: dict[str, Any] = tasks[0]
    return task


def move_clock(stack: DemoStack, to: dt.datetime) -> list[int]:
    with sign_in(stack.gateway_url) as client:
        response = client.post("/api/sandbox/clock", json={"to": to.isoformat()})
    assert response.status_code == 200, response.text
    started: list[int] = response.json()["started"]
    return started


def test_a_report_scheduled_in_the_window_runs_at_two_fire_times(
    qtbot: QtBot,
    clock_workspace: Workspace,
    clock_stack: DemoStack,
    first_fire_day: dt.datetime,
) -> None:
    workspace, window = clock_workspace, clock_workspace.window
    sign_in_to_demo(qtbot, workspace, clock_stack)
    open_report(qtbot, workspace, "Vehicle metrics", "Idling Usage")
    page = window.report_page
    qtbot.waitUntil(page.schedule_button.isEnabled, timeout=WAIT_MS)
    qtbot.mouseClick(page.schedule_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: workspace.schedules.editor is not None, timeout=WAIT_MS)
    editor = workspace.schedules.editor
    assert editor is not None
    # The period comes from `back`, the zone from the task: not in the form.
    assert {spec.name for spec in editor.form.specs()} >= {"vehicles", "min_idle"}
    assert not {"from", "to", "tz"} & {spec.name for spec in editor.form.specs()}

    fill_in_the_task(qtbot, workspace)
    with qtbot.waitSignal(workspace.schedules.task_saved, timeout=WAIT_MS):
        qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    assert workspace.schedules.editor is None

    task = stored_task(clock_stack)
    configuration, parameters = task["processes"][0]
    assert task["name"] == TASK_NAME
    assert task["schedule"] == ["0 7 * * *"]
    assert (configuration["script"], configuration["tz"]) == ("idling", FLEET_TZ)
    assert parameters["back"] == {"days": 1, "hours": 0}
    assert parameters["recipients"] == ["ops@example.com"]
    assert parameters["users"] == [OPS_USER]
    assert (parameters["vehicles"], parameters["tz"]) == ([1, 2], FLEET_TZ)
    assert not {"from", "to"} & set(parameters)

    # A day and a half on the sandbox's clock: 07:00 today-3 and today-2.
    noon_next_day = first_fire_day.replace(hour=12) + dt.timedelta(days=1)
    started = move_clock(clock_stack, noon_next_day)
    assert len(started) == 2

    # The task list looks for the jobs its schedules started.
    window.tasks_action.trigger()
    panel = window.jobs_panel
    qtbot.waitUntil(lambda: panel.model.rowCount() == 2, timeout=WAIT_MS)
    qtbot.waitUntil(
        lambda: all(panel.job_state(i) in ("done", "error") for i in started),
        timeout=JOB_WAIT_MS,
    )

    jobs = sorted((row.job for row in panel.model.rows), key=lambda job: job.id)
    assert [job.id for job in jobs] == sorted(started)
    first_end = first_fire_day.replace(hour=7, tzinfo=None)
    ends = [first_end, first_end + dt.timedelta(days=1)]
    assert [(job.params["from"], job.params["to"]) for job in jobs] == [
        ((end - dt.timedelta(days=1)).isoformat(), end.isoformat()) for end in ends
    ]
    for job in jobs:
        assert job.state == "done", job.error
        assert job.task_name == TASK_NAME
    shown = [
        panel.model.index(row, REPORT).data() for row in range(panel.model.rowCount())
    ]
    assert shown == [f"Idling Usage · scheduled: {TASK_NAME}"] * 2

    # The list shows the task, its schedule in words and how its last run went.
    qtbot.waitUntil(lambda: len(window.task_list.rows()) == 1, timeout=WAIT_MS)
    row = window.task_list.rows()[0]
    assert (row.name, row.report) == (TASK_NAME, "Idling Usage")
    assert row.schedule == "At 07:00"
    assert not window.task_list.pause_button.isEnabled()
