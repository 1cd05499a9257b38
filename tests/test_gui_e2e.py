"""The real window, offscreen, against real sandbox and engine processes.

The window is built by the same code as `python -m app` (app.gui's
build_workspace) and driven as a person would: sign in through the dialog,
click the report in the catalog, pick vehicles by typing their names, set
the dates, press Run, download the CSV. The idling figures in the CSV are
then recomputed here from the sandbox's raw data, with the definition of
the report written out below, independently of the engine's code.
"""

import csv
import datetime as dt
import math
from fractions import Fraction
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from support.window import WAIT_MS, open_report, sign_in_to_demo

from app.gui import Workspace
from app.local_stack import DemoStack
from widgets.jobs_model import FILES

pytestmark = pytest.mark.slow

WEEK_START = dt.datetime(2026, 11, 2)
WEEK_END = dt.datetime(2026, 11, 9)
PICKED_COUNT = 2
JOB_WAIT_MS = 120_000


# -- steps a person takes -----------------------------------------------------


def pick_by_name(qtbot: QtBot, workspace: Workspace, field: str, name: str) -> None:
    """Type a name into the picker's search line and tick the row found."""
    editor = workspace.window.report_page.form.editor(field)
    assert editor is not None, f"the form has no {field!r} field"
    picker = editor.picker  # type: ignore[attr-defined]

    picker.filter.clear()
    qtbot.keyClicks(picker.filter, name)
    assert picker.visible_names() == [name]
    picker.view.setFocus()
    picker.view.setCurrentIndex(picker.proxy.index(0, 0))
    qtbot.keyClick(picker.view, Qt.Key.Key_Space)
    picker.filter.clear()


def set_moment(
    qtbot: QtBot, workspace: Workspace, field: str, moment: dt.datetime
) -> None:
    """Type a date and time over what a date field shows."""
    editor = workspace.window.report_page.form.editor(field)
    assert editor is not None, f"the form has no {field!r} field"
    edit = editor.edit  # type: ignore[attr-defined]
    edit.setFocus()
    edit.selectAll()
    qtbot.keyClicks(edit, moment.strftime("%Y-%m-%d %H:%M:%S"))


# -- the tests ----------------------------------------------------------------


def test_idling_run_from_the_window_matches_the_raw_data(
    qtbot: QtBot, workspace: Workspace, demo_stack: DemoStack, tmp_path: Path
) -> None:
    window = workspace.window
    sign_in_to_demo(qtbot, workspace, demo_stack)
    token = workspace.session.session.gateway.token  # type: ignore[union-attr]
    assert token
    assert token not in workspace.settings.path.read_text()

    vehicles = list_vehicles(demo_stack, token)
    picked = sorted(vehicles, key=lambda v: v["name"])[:PICKED_COUNT]
    open_report(qtbot, workspace, "Vehicle metrics", "Idling Usage")
    for vehicle in picked:
        pick_by_name(qtbot, workspace, "vehicles", vehicle["name"])
    set_moment(qtbot, workspace, "from", WEEK_START)
    set_moment(qtbot, workspace, "to", WEEK_END)

    page = window.report_page
    qtbot.waitUntil(page.run_button.isEnabled, timeout=WAIT_MS)
    assert page.values()["vehicles"] == sorted(v["id"] for v in picked)
    qtbot.mouseClick(page.run_button, Qt.MouseButton.LeftButton)

    panel = window.jobs_panel
    qtbot.waitUntil(lambda: panel.model.rowCount() == 1, timeout=WAIT_MS)
    job_id = panel.model.rows[0].job.id
    qtbot.waitUntil(
        lambda: panel.job_state(job_id) in ("done", "error"), timeout=JOB_WAIT_MS
    )
    job = panel.model.rows[0].job
    assert job.state == "done", job.error
    csv_name = next(name for name in job.files if name.endswith(".csv"))

    folder = tmp_path / "reports"
    window.download_folder_chosen.emit(folder)
    button = panel.file_button(job_id, csv_name)
    assert button is not None
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: (
            (state := panel.file_state(job_id, csv_name)) is not None
            and state.state in ("saved", "failed")
        ),
        timeout=WAIT_MS,
    )
    saved = panel.file_state(job_id, csv_name)
    assert saved is not None
    assert saved.state == "saved", saved.message
    assert saved.path is not None
    assert saved.path.parent == folder
    assert list(folder.glob("*.part")) == []
    assert str(saved.path) in window.banner.text

    # Recompute with the period, zone and minimum the job was given.
    rows = read_csv(saved.path)
    start = dt.datetime.fromisoformat(job.params["from"])
    end = dt.datetime.fromisoformat(job.params["to"])
    assert (start, end) == (WEEK_START, WEEK_END)
    tz = str(job.params.get("tz") or "UTC")
    min_idle = int(job.params.get("min_idle", 5))
    expected = []
    for vehicle in picked:
        events = fetch_events(demo_stack, token, vehicle["id"], start, end, tz)
        expected.append(idling_row(vehicle, events, start, end, tz, min_idle))
    assert len(rows) == PICKED_COUNT
    assert {row["vid"] for row in rows} == {str(row["vid"]) for row in expected}
    assert sum(int(row["idle_count"]) for row in rows) > 0, "no idling to compare"
    by_vid = {row["vid"]: row for row in rows}
    for want in expected:
        got = by_vid[str(want["vid"])]
        assert got == {key: str(value) for key, value in want.items()}


def test_run_stays_disabled_with_the_reason_while_from_is_after_to(
    qtbot: QtBot, workspace: Workspace, demo_stack: DemoStack
) -> None:
    sign_in_to_demo(qtbot, workspace, demo_stack)
    open_report(qtbot, workspace, "Vehicle metrics", "Idling Usage")

    set_moment(qtbot, workspace, "from", WEEK_END)
    set_moment(qtbot, workspace, "to", WEEK_START)

    page = workspace.window.report_page
    qtbot.waitUntil(lambda: "'To'" in page.reason_label.text(), timeout=WAIT_MS)
    assert not page.run_button.isEnabled()
    assert not page.run_action.isEnabled()
    assert "after the start" in page.reason_label.text()

    set_moment(qtbot, workspace, "to", WEEK_END + dt.timedelta(days=1))
    qtbot.waitUntil(page.run_button.isEnabled, timeout=WAIT_MS)
    assert "Ready" in page.reason_label.text()


def test_an_engine_error_is_shown_on_the_job_and_in_the_banner(
    qtbot: QtBot, workspace: Workspace, demo_stack: DemoStack
) -> None:
    sign_in_to_demo(qtbot, workspace, demo_stack)
    open_report(qtbot, workspace, "Vehicle metrics", "Idling Usage")
    page = workspace.window.report_page
    # An id the gateway does not know, as a saved form from elsewhere might hold.
    page.form.set_values({**page.values(), "vehicles": [987654]})

    qtbot.waitUntil(page.run_button.isEnabled, timeout=WAIT_MS)
    # Shortcuts reach only the active window.
    workspace.window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is workspace.window)
    qtbot.keyClick(page.form, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)

    panel = workspace.window.jobs_panel
    qtbot.waitUntil(lambda: panel.model.rowCount() == 1, timeout=WAIT_MS)
    job_id = panel.model.rows[0].job.id
    qtbot.waitUntil(lambda: panel.job_state(job_id) == "error", timeout=JOB_WAIT_MS)

    files_cell = panel.model.index(0, FILES).data()
    assert "987654" in files_cell
    assert "not found" in files_cell
    banner = workspace.window.banner
    assert banner.level == "error"
    assert banner.text.startswith("Idling Usage failed:")
    assert "987654" in banner.text


# -- the sandbox's data, and idling computed from it ---------------------------


def list_vehicles(stack: DemoStack, token: str) -> list[dict[str, Any]]:
    response = httpx.get(
        f"{stack.gateway_url}/api/vehicles",
        params={"set": 1000, "page": 1},
        headers={"Authenticate": token},
        timeout=30,
    )
    response.raise_for_status()
    return [{"id": v["id"], "name": v["name"]} for v in response.json()["data"]]


def fetch_events(
    stack: DemoStack,
    token: str,
    vehicle_id: int,
    start: dt.datetime,
    end: dt.datetime,
    tz: str,
) -> list[dict[str, Any]]:
    response = httpx.get(
        f"{stack.gateway_url}/api/rawdata",
        params={
            "vehicles": vehicle_id,
            "from": start.isoformat(),
            "to": end.isoformat(),
            "tz": tz,
            "fields": "event_time,vid,io_ign,kph",
        },
        headers={"Authenticate": token},
        timeout=60,
    )
    response.raise_for_status()
    return response.json()["events"]


def idling_row(
    vehicle: dict[str, Any],
    events: list[dict[str, Any]],
    first: dt.datetime,
    last: dt.datetime,
    tz: str,
    min_idle: int,
) -> dict[str, Any]:
    """Idling of one vehicle in [first, last), from the report's definition.

    Events are ordered by event_time; each one's state holds until the next
    event, the last one's until `to`. Ignition-on time is the time whose
    state has io_ign true. An idle period is a maximal run of consecutive
    events with io_ign true and kph == 0, from its first event to the next
    event after it (or `to`); it counts when it lasts min_idle minutes or more.
    """
    zone = ZoneInfo(tz)
    start, end = aware(first, zone), aware(last, zone)
    timeline = sorted(
        (
            (aware(dt.datetime.fromisoformat(e["event_time"]), zone), e)
            for e in events
            if start <= aware(dt.datetime.fromisoformat(e["event_time"]), zone) < end
        ),
        key=lambda pair: pair[0],
    )

    ignition_on = Fraction(0)
    kept: list[Fraction] = []
    run_start: dt.datetime | None = None
    for position, (moment, event) in enumerate(timeline):
        until = timeline[position + 1][0] if position + 1 < len(timeline) else end
        ignition = event.get("io_ign") is True
        if ignition:
            ignition_on += Fraction((until - moment).total_seconds())

        idle = ignition and event.get("kph") == 0
        if idle and run_start is None:
            run_start = moment
        if run_start is not None and (not idle or until == end):
            run_end = moment if not idle else until
            length = Fraction((run_end - run_start).total_seconds())
            if length >= min_idle * 60:
                kept.append(length)
            run_start = None

    idle_total = sum(kept, Fraction(0))
    percent = half_up(idle_total * 100 / ignition_on) if ignition_on else 0
    return {
        "vid": vehicle["id"],
        "name": vehicle["name"],
        "from": first.isoformat(),
        "to": last.isoformat(),
        "idleTime": half_up(idle_total),
        "idle_count": len(kept),
        "percent_idle": percent,
    }


def aware(moment: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """A wall time in zone as an aware UTC moment (durations stay right)."""
    return moment.replace(tzinfo=zone).astimezone(dt.UTC)


def half_up(value: Fraction) -> int:
    return math.floor(value + Fraction(1, 2))


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))
