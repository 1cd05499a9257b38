"""The sandbox's task runner at its limits, as real sandbox processes.

A task that holds too much is refused by name; a task that cannot run does
not stop the others; a test clock stays inside the calendar; a run
recorded under a clock set ahead does not silence a task; headers cannot
change who the client is.
"""

import json
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from support.sandbox_engine import RecordingEngine, sign_in, wait_for

from app.children import LocalServer, app_command
from app.schedule.expression import MOST_SCHEDULES
from app.serve import LOOPBACK

AMSTERDAM = "Europe/Amsterdam"


@pytest.fixture(scope="module")
def engine() -> Iterator[RecordingEngine]:
    recorder = RecordingEngine()
    recorder.start()
    try:
        yield recorder
    finally:
        recorder.stop()


def start_sandbox(
    db: Path, engine: str, *clock: str, lines: list[str] | None = None
) -> LocalServer:
    server = LocalServer(
        "sandbox",
        app_command(
            "sandbox", "--port", "0", "--db", str(db), "--engine", engine, *clock
        ),
    )
    if lines is not None:
        server.add_listener(lines.append)
    server.start()
    return server


def stopped_clock(start: str) -> tuple[str, ...]:
    return ("--clock-start", start, "--clock-rate", "0")


def task_body(
    engine: str,
    schedule: list[str],
    back: Any = None,
    name: str = "Idling",
    processes: int = 1,
) -> dict[str, Any]:
    parameters: dict[str, Any] = {"vehicles": [1], "tz": "UTC"}
    if back is not None:
        parameters["back"] = back
    process = [{"script": "idling", "engine": engine, "tz": "UTC"}, parameters]
    return {"name": name, "processes": [process] * processes, "schedule": schedule}


def create_task(client: httpx.Client, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/api/tasks", json=body)
    assert response.status_code == 201, response.text
    task: dict[str, Any] = response.json()
    return task


def move_clock(client: httpx.Client, **move: Any) -> list[int]:
    response = client.post("/api/sandbox/clock", json=move)
    assert response.status_code == 200, response.text
    started: list[int] = response.json()["started"]
    return started


@pytest.fixture(scope="module")
def test_clock_sandbox(
    tmp_path_factory: pytest.TempPathFactory, engine: RecordingEngine
) -> Iterator[LocalServer]:
    server = start_sandbox(
        tmp_path_factory.mktemp("limits") / "sandbox.sqlite3",
        engine.url,
        *stopped_clock("2024-11-04T06:00Z"),
    )
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (
            {"schedule": ["* * * * *"] * 5000},
            f"schedule: 5000 schedules in one task; give at most {MOST_SCHEDULES}",
        ),
        ({"processes": 101}, "processes: 101 processes in one task; give at most 100"),
        ({"schedule": [",".join(["5"] * 200) + " * * * *"]}, "schedule: the schedule"),
        ({"back": {"days": 1e10}}, "processes[0]: back/days: the period is longer"),
        ({"back": {"days": 10**30}}, "processes[0]: back/days: the period is longer"),
        ({"back": {"hours": 1e300}}, "processes[0]: back/hours: the period is longer"),
        ({"schedule": ["0 0 1-31/32 * *"]}, "schedule: day of month: a step of 32"),
        ({"tz": "localtime"}, "processes[0]: 'localtime' is not a time zone"),
    ],
)
def test_a_task_past_a_limit_is_a_400_naming_it(
    test_clock_sandbox: LocalServer,
    engine: RecordingEngine,
    change: dict[str, Any],
    words: str,
) -> None:
    body = task_body(
        engine.url,
        change.get("schedule", ["@daily"]),
        change.get("back", {"days": 1}),
        processes=change.get("processes", 1),
    )
    if "tz" in change:
        body["processes"][0][0]["tz"] = change["tz"]
    assert test_clock_sandbox.url
    with sign_in(test_clock_sandbox.url) as client:
        response = client.post("/api/tasks", json=body)

    assert response.status_code == 400
    assert response.json()["message"].startswith(words)


def test_a_task_with_the_most_schedules_runs_once_per_fire_time(
    tmp_path: Path, engine: RecordingEngine
) -> None:
    server = start_sandbox(
        tmp_path / "sandbox.sqlite3", engine.url, *stopped_clock("2024-11-04T06:00Z")
    )
    try:
        assert server.url
        with sign_in(server.url) as client:
            schedules = ["* * * * *"] * (MOST_SCHEDULES - 1) + ["*/5 * * * *"]
            create_task(client, task_body(engine.url, schedules, {"hours": 1}))
            started = move_clock(client, advance=600)
            jobs = [client.get(f"/api/job_manager/{job}").json() for job in started]
            # The runner still answers between passes.
            groups = client.get("/api/groups")
    finally:
        server.stop()

    assert [job["params"]["to"] for job in jobs] == [
        f"2024-11-04T06:{minute:02}:00" for minute in range(1, 11)
    ]
    assert groups.status_code == 200


def test_one_task_that_cannot_run_does_not_stop_the_others(
    tmp_path: Path, engine: RecordingEngine
) -> None:
    db = tmp_path / "sandbox.sqlite3"
    lines: list[str] = []
    server = start_sandbox(db, engine.url, *stopped_clock("0001-01-02T00:00Z"))
    try:
        assert server.url
        with sign_in(server.url) as client:
            too_early = create_task(
                client, task_body(engine.url, ["0 7 * * *"], {"days": 366}, "Year")
            )
            good = create_task(
                client, task_body(engine.url, ["0 7 * * *"], {"hours": 1}, "Hour")
            )
    finally:
        server.stop()

    # A task stored by an older version, in a shape nothing reads now.
    with sqlite3.connect(db) as database:
        broken = {"name": "Broken", "processes": "idling", "schedule": ["@daily"]}
        database.execute(
            "INSERT INTO tasks (owner, body, created_at, updated_at) "
            "VALUES (1, ?, 0, 0)",
            (json.dumps(broken),),
        )
    database.close()

    server = start_sandbox(
        db, engine.url, *stopped_clock("0001-01-02T00:00Z"), lines=lines
    )
    try:
        assert server.url
        with sign_in(server.url) as client:
            started = move_clock(client, to="0001-01-02T08:00+00:00")
            jobs = {
                job["task"]["id"]: job
                for job in (
                    client.get(f"/api/job_manager/{job_id}").json()
                    for job_id in started
                )
            }
            clock = client.get("/api/sandbox/clock")
    finally:
        server.stop()

    assert sorted(jobs) == sorted([too_early["id"], good["id"]])
    assert jobs[too_early["id"]]["state"] == "error"
    assert "would begin before year 1" in jobs[too_early["id"]]["result"]["error"]
    assert (jobs[good["id"]]["params"]["from"], jobs[good["id"]]["params"]["to"]) == (
        "0001-01-02T06:00:00",
        "0001-01-02T07:00:00",
    )
    assert clock.status_code == 200
    wait_for(lambda: any("sandbox gateway stopped" in line for line in lines), "stop")
    assert any("cannot run" in line for line in lines)


def test_a_test_clock_stops_at_the_calendar_end(
    tmp_path: Path, engine: RecordingEngine
) -> None:
    lines: list[str] = []
    # Slow enough that the task exists before the clock reaches its end,
    # even on a busy machine: a minute of test time is three seconds here.
    clock = ("--clock-start", "9999-12-30T23:59Z", "--clock-rate", "20")
    server = start_sandbox(
        tmp_path / "sandbox.sqlite3", engine.url, *clock, lines=lines
    )
    try:
        assert server.url
        with sign_in(server.url) as client:
            create_task(client, task_body(engine.url, ["* * * * *"], {"hours": 1}))

            def at_the_end() -> bool:
                now = client.get("/api/sandbox/clock").json()["now"]
                return bool(now == "9999-12-31T00:00:00+00:00")

            wait_for(at_the_end, "the clock at the calendar's end")
            beyond = client.post("/api/sandbox/clock", json={"advance": 600})
            wait_for(lambda: client.get("/api/job_manager").json()["data"], "a run")
            jobs = client.get("/api/job_manager").json()["data"]
    finally:
        server.stop()

    assert beyond.status_code == 400
    assert beyond.json()["message"].startswith("the test clock ends at 9999-12-31")
    assert jobs[0]["params"]["to"] == "9999-12-31T00:00:00"
    wait_for(lambda: any("sandbox gateway stopped" in line for line in lines), "stop")
    assert any("the end of the calendar: it stops there" in line for line in lines)
    assert not any("Traceback" in line for line in lines)


def test_a_clock_start_past_the_calendar_is_one_line_and_exit_2(
    tmp_path: Path,
) -> None:
    done = subprocess.run(
        app_command(
            "sandbox",
            "--db",
            str(tmp_path / "sandbox.sqlite3"),
            "--clock-start",
            "9999-12-31T22:00",
            "--clock-rate",
            "1000",
        ),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 2
    last_line = done.stderr.strip().splitlines()[-1]
    assert last_line.startswith("error: --clock-start '9999-12-31T22:00' is too near")
    assert "Traceback" not in done.stderr


def test_a_run_recorded_under_a_clock_set_ahead_does_not_silence_a_task(
    tmp_path: Path, engine: RecordingEngine
) -> None:
    db = tmp_path / "sandbox.sqlite3"
    server = start_sandbox(db, engine.url, *stopped_clock("2030-01-01T00:00Z"))
    try:
        assert server.url
        with sign_in(server.url) as client:
            task = create_task(
                client, task_body(engine.url, ["*/5 * * * *"], {"hours": 1})
            )
            ahead = move_clock(client, advance=600)
    finally:
        server.stop()

    # Back on an earlier clock: the task runs at its next */5, not in 2030.
    server = start_sandbox(db, engine.url, *stopped_clock("2024-11-04T06:01Z"))
    try:
        assert server.url
        with sign_in(server.url) as client:
            started = move_clock(client, to="2024-11-04T06:11+00:00")
            jobs = [client.get(f"/api/job_manager/{job}").json() for job in started]
    finally:
        server.stop()

    assert len(ahead) == 2
    assert [job["params"]["to"] for job in jobs] == [
        "2024-11-04T06:05:00",
        "2024-11-04T06:10:00",
    ]
    assert all(job["task"]["id"] == task["id"] for job in jobs)


def test_a_forwarded_for_header_does_not_change_the_client(
    test_clock_sandbox: LocalServer,
) -> None:
    # The test clock answers loopback clients only: a header claiming
    # another client would be believed by a server that trusts proxies.
    assert test_clock_sandbox.url
    with sign_in(test_clock_sandbox.url) as client:
        answer = client.get(
            "/api/sandbox/clock",
            headers={"X-Forwarded-For": "8.8.8.8", "X-Forwarded-Proto": "https"},
        )

    assert answer.status_code == 200


ECHO_SERVER = textwrap.dedent(
    """
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route
    from app.serve import serve

    async def echo(request):
        return JSONResponse(
            {"client": request.client.host, "scheme": request.url.scheme}
        )

    serve(lambda url: Starlette(routes=[Route("/", echo)]), name="echo", port=0)
    """
)


def test_the_servers_take_the_client_from_the_socket_not_a_header() -> None:
    # app.serve runs both the engine and the sandbox.
    server = LocalServer("echo", [sys.executable, "-c", ECHO_SERVER])
    url = server.start()
    try:
        plain = httpx.get(url + "/", timeout=10).json()
        forwarded = httpx.get(
            url + "/",
            headers={"X-Forwarded-For": "8.8.8.8", "X-Forwarded-Proto": "https"},
            timeout=10,
        ).json()
    finally:
        server.stop()

    assert plain == {"client": LOOPBACK, "scheme": "http"}
    assert forwarded == plain


def test_a_stopped_clock_logs_its_rate_as_zero(
    tmp_path: Path, engine: RecordingEngine
) -> None:
    lines: list[str] = []
    clock = ("--clock-start", "2024-11-04T06:00Z", "--clock-rate", "-0.0")
    server = start_sandbox(
        tmp_path / "sandbox.sqlite3", engine.url, *clock, lines=lines
    )
    try:
        assert server.url
        with sign_in(server.url) as client:
            state = client.get("/api/sandbox/clock").json()
    finally:
        server.stop()

    assert json.dumps(state["rate"]) == "0.0"
    assert any("at 0 times real time" in line for line in lines)
    assert not any("-0 times" in line for line in lines)
