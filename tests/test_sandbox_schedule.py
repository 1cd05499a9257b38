"""The sandbox runs stored tasks at their cron times, by a test clock.

The sandbox is a child process with a test clock (`--clock-start`,
`--clock-rate`); the engine is the recording engine of
tests/support/sandbox_engine.py, so the test sees each job a run sends it.
The clock is stopped (rate 0) and moved with POST /api/sandbox/clock, or
runs a day a second: a week of schedule takes seconds, without sleeping.
"""

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from support.sandbox_engine import RecordingEngine, sign_in, wait_for, wait_for_state

from app.children import LocalServer, app_command
from app.local_stack import DemoStack
from app.sandbox.fleet import FLEET_TZ
from app.schedule.runs import zone_named

AMSTERDAM = "Europe/Amsterdam"
ONE_DAY = 86_400.0


@pytest.fixture(scope="module")
def engine() -> Iterator[RecordingEngine]:
    recorder = RecordingEngine()
    recorder.start()
    try:
        yield recorder
    finally:
        recorder.stop()


def start_sandbox(db: Path, engine: str, *clock: str) -> LocalServer:
    server = LocalServer(
        "sandbox",
        app_command(
            "sandbox", "--port", "0", "--db", str(db), "--engine", engine, *clock
        ),
    )
    server.start()
    return server


def stopped_clock(start: str) -> tuple[str, ...]:
    return ("--clock-start", start, "--clock-rate", "0")


def idling_task(
    engine: str, schedule: str, back: dict[str, int], name: str = "Morning idling"
) -> dict[str, Any]:
    return {
        "name": name,
        "processes": [
            [
                {
                    "name": "Idling",
                    "script": "idling",
                    "tz": AMSTERDAM,
                    "engine": engine,
                },
                {
                    "vehicles": [1, 2],
                    "groups": [],
                    "min_idle": 5,
                    "users": [1],
                    "recipients": ["ops@example.com"],
                    "back": back,
                    "tz": AMSTERDAM,
                },
            ]
        ],
        "schedule": [schedule],
    }


def create_task(client: httpx.Client, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/api/tasks", json=body)
    assert response.status_code == 201, response.text
    task: dict[str, Any] = response.json()
    return task


def move_clock(client: httpx.Client, to: str) -> list[int]:
    response = client.post("/api/sandbox/clock", json={"to": to})
    assert response.status_code == 200, response.text
    started: list[int] = response.json()["started"]
    return started


def jobs_of_task(client: httpx.Client, task_id: int) -> list[dict[str, Any]]:
    jobs = client.get("/api/job_manager", params={"set": 1000}).json()["data"]
    return sorted(
        (job for job in jobs if job["task"] and job["task"]["id"] == task_id),
        key=lambda job: job["id"],
    )


def amsterdam_epoch(text: str) -> float:
    return dt.datetime.fromisoformat(text).timestamp()


def test_a_task_runs_at_each_fire_time_with_its_back(
    tmp_path: Path, engine: RecordingEngine
) -> None:
    server = start_sandbox(
        tmp_path / "sandbox.sqlite3", engine.url, *stopped_clock("2024-10-25T12:00Z")
    )
    try:
        assert server.url
        with sign_in(server.url) as client:
            task = create_task(
                client, idling_task(engine.url, "30 2 * * *", {"days": 1, "hours": 6})
            )
            before = move_clock(client, "2024-10-26T02:00+02:00")
            # Across two fire times, the second on the night clocks go back.
            started = move_clock(client, "2024-10-27T12:00+01:00")
            jobs = jobs_of_task(client, task["id"])
            sent = [engine.job(client, job["id"]) for job in jobs]
            task_after = client.get(f"/api/tasks/{task['id']}").json()
    finally:
        server.stop()

    assert before == []
    assert started == [job["id"] for job in jobs]
    assert [(job["params"]["from"], job["params"]["to"]) for job in jobs] == [
        ("2024-10-24T20:30:00", "2024-10-26T02:30:00"),
        ("2024-10-25T20:30:00", "2024-10-27T02:30:00"),
    ]
    for job, order in zip(jobs, sent, strict=True):
        assert job["task"] == {"id": task["id"], "name": "Morning idling"}
        assert (job["script"], job["name"], job["owner"]) == ("idling", "Idling", 1)
        assert job["params"] == {
            "vehicles": [1, 2],
            "groups": [],
            "min_idle": 5,
            "tz": AMSTERDAM,
            "from": job["params"]["from"],
            "to": job["params"]["to"],
        }
        assert order["parameters"] == job["params"]
        assert order["configuration"]["tz"] == AMSTERDAM
    assert task_after["last_run"] == {
        "fired_at": amsterdam_epoch("2024-10-27T02:30+02:00"),
        "job_id": jobs[-1]["id"],
    }


def test_a_running_test_clock_runs_a_week_of_a_daily_task(
    tmp_path: Path, engine: RecordingEngine
) -> None:
    # A day a second; the schedule counts from the task's creation.
    clock = ("--clock-start", "2024-11-01T00:00Z", "--clock-rate", str(ONE_DAY))
    server = start_sandbox(tmp_path / "sandbox.sqlite3", engine.url, *clock)
    try:
        assert server.url
        with sign_in(server.url) as client:
            task = create_task(
                client, idling_task(engine.url, "0 7 * * *", {"days": 1, "hours": 0})
            )
            wait_for(
                lambda: len(jobs_of_task(client, task["id"])) >= 3,
                "three daily runs",
            )
            jobs = jobs_of_task(client, task["id"])[:3]
    finally:
        server.stop()

    # Each run reports the day before its fire time, at 07:00 in Amsterdam.
    periods = [
        (dt.datetime.fromisoformat(start), dt.datetime.fromisoformat(end))
        for start, end in ((job["params"]["from"], job["params"]["to"]) for job in jobs)
    ]
    assert all(end.time() == dt.time(7, 0) for _, end in periods)
    assert all(end - start == dt.timedelta(days=1) for start, end in periods)
    assert sorted({end for _, end in periods}) == [end for _, end in periods]


def test_runs_missed_while_stopped_start_once_on_restart(
    tmp_path: Path, engine: RecordingEngine
) -> None:
    db = tmp_path / "sandbox.sqlite3"
    server = start_sandbox(db, engine.url, *stopped_clock("2024-11-04T06:00+01:00"))
    try:
        assert server.url
        with sign_in(server.url) as client:
            task = create_task(
                client, idling_task(engine.url, "0 7 * * *", {"days": 1, "hours": 0})
            )
            first = move_clock(client, "2024-11-04T08:00+01:00")
    finally:
        server.stop()

    # Down through 07:00 on the 5th, 6th and 7th.
    server = start_sandbox(db, engine.url, *stopped_clock("2024-11-07T12:00+01:00"))
    try:
        assert server.url
        with sign_in(server.url) as client:
            wait_for(lambda: len(jobs_of_task(client, task["id"])) >= 2, "a run")
            # Whatever was due has been started once the clock answers a move.
            again = move_clock(client, "2024-11-07T12:00:01+01:00")
            jobs = jobs_of_task(client, task["id"])
            task_after = client.get(f"/api/tasks/{task['id']}").json()
    finally:
        server.stop()

    assert len(first) == 1
    assert again == []
    assert [job["id"] for job in jobs][0] == first[0]
    assert len(jobs) == 2
    assert (jobs[1]["params"]["from"], jobs[1]["params"]["to"]) == (
        "2024-11-06T07:00:00",
        "2024-11-07T07:00:00",
    )
    assert task_after["last_run"] == {
        "fired_at": amsterdam_epoch("2024-11-07T07:00+01:00"),
        "job_id": jobs[1]["id"],
    }


def test_a_run_whose_engine_is_not_listed_ends_in_error(
    tmp_path: Path, engine: RecordingEngine
) -> None:
    unlisted = "http://127.0.0.1:9/jobs-engine"
    server = start_sandbox(
        tmp_path / "sandbox.sqlite3", engine.url, *stopped_clock("2024-11-04T05:00Z")
    )
    try:
        assert server.url
        with sign_in(server.url) as client:
            task = create_task(
                client, idling_task(unlisted, "0 7 * * *", {"days": 1, "hours": 0})
            )
            started = move_clock(client, "2024-11-04T08:00Z")
            job = client.get(f"/api/job_manager/{started[0]}").json()
    finally:
        server.stop()

    assert job["state"] == "error"
    assert job["task"]["id"] == task["id"]
    assert job["result"]["error"] == (
        f"the task's engine {unlisted} is not one of this gateway's engines "
        f"(listed: {engine.url})"
    )


@pytest.fixture(scope="module")
def real_clock_sandbox(
    tmp_path_factory: pytest.TempPathFactory, engine: RecordingEngine
) -> Iterator[LocalServer]:
    server = start_sandbox(
        tmp_path_factory.mktemp("schedule") / "sandbox.sqlite3", engine.url
    )
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"schedule": ["0 0 31 2 *"]}, "schedule: '0 0 31 2 *' never runs"),
        ({"schedule": ["0 */5 * * * *"]}, "schedule: '0 */5 * * * *' has six"),
        ({"schedule": "@reboot"}, "schedule: @reboot runs when a server starts"),
        ({"schedule": ["* * banana * *"]}, "schedule: day of month: 'banana'"),
    ],
)
def test_a_task_with_a_schedule_the_editor_refuses_is_a_400(
    real_clock_sandbox: LocalServer,
    engine: RecordingEngine,
    change: dict[str, Any],
    words: str,
) -> None:
    body = {**idling_task(engine.url, "@daily", {"days": 1}), **change}
    assert real_clock_sandbox.url
    with sign_in(real_clock_sandbox.url) as client:
        response = client.post("/api/tasks", json=body)

    assert response.status_code == 400
    assert response.json()["message"].startswith(words)


@pytest.mark.parametrize(
    ("tz", "back", "words"),
    [
        ("Mars/Olympus_Mons", {"days": 1}, "processes[0]: 'Mars/Olympus_Mons' is not"),
        (AMSTERDAM, {"days": -2}, "processes[0]: back/days"),
    ],
)
def test_a_task_with_a_bad_zone_or_back_is_a_400(
    real_clock_sandbox: LocalServer,
    engine: RecordingEngine,
    tz: str,
    back: dict[str, int],
    words: str,
) -> None:
    body = idling_task(engine.url, "@daily", back)
    body["processes"][0][1]["tz"] = tz
    assert real_clock_sandbox.url
    with sign_in(real_clock_sandbox.url) as client:
        response = client.post("/api/tasks", json=body)

    assert response.status_code == 400
    assert response.json()["message"].startswith(words)


def test_the_real_clock_cannot_be_moved(real_clock_sandbox: LocalServer) -> None:
    assert real_clock_sandbox.url
    with sign_in(real_clock_sandbox.url) as client:
        response = client.post("/api/sandbox/clock", json={"advance": 3600})

    assert response.status_code == 404


def test_a_test_clock_only_moves_forward(
    tmp_path: Path, engine: RecordingEngine
) -> None:
    server = start_sandbox(
        tmp_path / "sandbox.sqlite3", engine.url, *stopped_clock("2024-11-04T06:00Z")
    )
    try:
        assert server.url
        with sign_in(server.url) as client:
            back = client.post("/api/sandbox/clock", json={"to": "2024-11-01T00:00Z"})
            now = client.get("/api/sandbox/clock").json()
    finally:
        server.stop()

    assert back.status_code == 400
    assert now == {"now": "2024-11-04T06:00:00+00:00", "rate": 0.0}


def test_the_demo_engine_finishes_two_scheduled_runs(tmp_path: Path) -> None:
    # Days already past: the engine reports only on periods that have begun.
    fleet_zone = zone_named(FLEET_TZ)
    today = dt.datetime.now(fleet_zone).date()
    day = dt.datetime.combine(today - dt.timedelta(days=3), dt.time(1), fleet_zone)
    stack = DemoStack(
        folder=tmp_path / "demo",
        extra_sandbox_args=list(stopped_clock(day.isoformat())),
    )
    stack.start()
    try:
        with sign_in(stack.gateway_url) as client:
            body = idling_task(stack.engine_url, "0 7 * * *", {"days": 1, "hours": 0})
            for part in body["processes"][0]:
                part["tz"] = FLEET_TZ
            task = create_task(client, body)
            noon_next_day = day.replace(hour=12) + dt.timedelta(days=1)
            started = move_clock(client, noon_next_day.isoformat())
            jobs = [wait_for_state(client, job_id, "done") for job_id in started]
    finally:
        stack.stop()

    first_end = day.replace(hour=7, tzinfo=None)
    ends = [first_end, first_end + dt.timedelta(days=1)]
    assert [(job["params"]["from"], job["params"]["to"]) for job in jobs] == [
        ((end - dt.timedelta(days=1)).isoformat(), end.isoformat()) for end in ends
    ]
    assert all(job["task"]["id"] == task["id"] for job in jobs)
    assert all(job["result"]["files"] for job in jobs)
