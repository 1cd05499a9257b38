"""Jobs and tasks on the sandbox gateway, with a recording engine beside it.

The sandbox is a child process; the engine is the recording engine of
tests/support/sandbox_engine.py, so the test can see every job the gateway
sends it and act as that engine (PUT progress, serve files).
"""

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from support.sandbox_engine import (
    FILE_LINE,
    FILE_REPEAT,
    RecordingEngine,
    as_engine,
    create_job,
    free_port_url,
    sign_in,
    start_sandbox,
    wait_for_state,
)

from app.children import LocalServer


@pytest.fixture(scope="module")
def engine() -> Iterator[RecordingEngine]:
    recorder = RecordingEngine()
    recorder.start()
    try:
        yield recorder
    finally:
        recorder.stop()


@pytest.fixture(scope="module")
def dead_engine() -> str:
    return free_port_url()


@pytest.fixture(scope="module")
def sandbox(
    tmp_path_factory: pytest.TempPathFactory, engine: RecordingEngine, dead_engine: str
) -> Iterator[LocalServer]:
    db = tmp_path_factory.mktemp("jobs") / "sandbox.sqlite3"
    server = start_sandbox(db, engine.url, dead_engine)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def user(sandbox: LocalServer) -> Iterator[httpx.Client]:
    assert sandbox.url
    with sign_in(sandbox.url) as client:
        yield client


def test_engines_are_listed(
    user: httpx.Client, engine: RecordingEngine, dead_engine: str
) -> None:
    assert user.get("/api/job_manager/engines").json() == {
        "engines": [engine.url, dead_engine]
    }


def test_a_new_job_is_stored_and_sent_to_its_engine(
    user: httpx.Client, engine: RecordingEngine, sandbox: LocalServer
) -> None:
    args = {"vehicles": [1, 2], "from": "2026-11-02T00:00:00", "tz": "UTC"}
    job = create_job(user, engine.url + "/", args)

    assert job["state"] == "created"
    assert job["params"] == args
    assert job["owner"] == 1
    assert job["done_at"] is None
    assert (job["progress"], job["result"]) == ({}, {})
    assert (job["transaction"], job["cache_key"]) == (None, None)

    sent = engine.job(user, job["id"])
    config = sent["configuration"]
    assert sent["parameters"] == args
    assert config["site_id"] == user.get("/api").json()["pegasus_id"]
    assert config["site_url"] == sandbox.url
    assert config["user_id"] == 1
    assert config["job_name"] == "mileage"
    assert config["job_created_at"] == pytest.approx(job["created_at"])
    assert config["job_expires"] == 3600
    assert config["tz"] == "UTC"
    assert re.fullmatch(r"[0-9a-f]{56}", config["api_token"])
    assert config["api_token"] != user.headers["Authenticate"]


def test_an_unlisted_engine_is_refused_by_name(user: httpx.Client) -> None:
    response = user.post(
        "/api/job_manager",
        json={"script": "mileage", "engine": "http://127.0.0.1:1/other", "args": {}},
    )

    assert response.status_code == 400
    assert "http://127.0.0.1:1/other" in response.json()["message"]


@pytest.mark.parametrize(
    ("body", "word"),
    [
        ({"engine": "x", "args": {}}, "script"),
        ({"script": "mileage", "args": {}}, "engine"),
        ({"script": "mileage", "engine": "E", "args": [1]}, "args"),
    ],
)
def test_a_bad_job_request_is_a_400(
    user: httpx.Client, engine: RecordingEngine, body: dict[str, Any], word: str
) -> None:
    body = {k: (engine.url if v == "E" else v) for k, v in body.items()}

    response = user.post("/api/job_manager", json=body)

    assert response.status_code == 400
    assert response.json()["message"].startswith(f"{word}:")


def test_a_job_for_an_unreachable_engine_ends_in_error(
    user: httpx.Client, dead_engine: str
) -> None:
    job = create_job(user, dead_engine)

    failed = wait_for_state(user, job["id"], "error")

    assert "could not be reached" in failed["result"]["error"]
    assert "connection refused" in failed["result"]["error"]
    assert dead_engine in failed["result"]["error"]
    assert failed["done_at"] is not None


def test_a_job_the_engine_refuses_ends_in_error(
    user: httpx.Client, engine: RecordingEngine
) -> None:
    job = create_job(user, engine.url, {"refuse": True})

    failed = wait_for_state(user, job["id"], "error")

    assert "HTTP 500" in failed["result"]["error"]
    assert "no such script here" in failed["result"]["error"]


def test_the_engine_reports_progress_then_done(
    user: httpx.Client, engine: RecordingEngine
) -> None:
    job = create_job(user, engine.url)
    token = engine.token(user, job["id"])

    with as_engine(user, token) as worker:
        running = worker.put(
            f"/api/job_manager/{job['id']}",
            json={"state": "running", "progress": {"percentage": 40}},
        )
        done = worker.put(
            f"/api/job_manager/{job['id']}",
            json={
                "state": "done",
                "progress": {"percentage": 100},
                "parameters": {"vehicles": [1]},
                "result": {"files": ["mileage.csv"], "summary": {}},
            },
        )
        late = worker.put(
            f"/api/job_manager/{job['id']}", json={"progress": {"percentage": 1}}
        )

    assert running.status_code == 200
    assert running.json()["state"] == "running"
    assert running.json()["done_at"] is None
    assert done.json()["state"] == "done"
    assert done.json()["done_at"] is not None
    assert late.status_code == 401  # the job is closed: its token is spent
    assert "only while the job is open" in late.json()["message"]

    seen = user.get(f"/api/job_manager/{job['id']}").json()
    assert seen["progress"] == {"percentage": 100}
    assert seen["result"]["files"] == ["mileage.csv"]
    assert seen["params"]["vehicles"] == [1]
    assert seen["params"]["tz"] == "UTC"


def test_only_the_jobs_own_token_may_update_it(
    user: httpx.Client, engine: RecordingEngine
) -> None:
    first = create_job(user, engine.url)
    second = create_job(user, engine.url)
    second_token = engine.token(user, second["id"])

    by_user = user.put(f"/api/job_manager/{first['id']}", json={"state": "running"})
    with as_engine(user, second_token) as other:
        by_other_job = other.put(
            f"/api/job_manager/{first['id']}", json={"state": "running"}
        )

    assert by_user.status_code == 401
    assert by_other_job.status_code == 401
    assert user.get(f"/api/job_manager/{first['id']}").json()["state"] == "created"


def test_an_update_with_a_bad_state_is_a_400(
    user: httpx.Client, engine: RecordingEngine
) -> None:
    job = create_job(user, engine.url)
    token = engine.token(user, job["id"])

    with as_engine(user, token) as worker:
        response = worker.put(f"/api/job_manager/{job['id']}", json={"state": "won"})

    assert response.status_code == 400
    assert response.json()["message"].startswith("state:")


def test_a_job_token_reads_but_cannot_start_jobs(
    user: httpx.Client, engine: RecordingEngine
) -> None:
    job = create_job(user, engine.url)
    other = create_job(user, engine.url)
    token = engine.token(user, job["id"])

    with as_engine(user, token) as worker:
        vehicles = worker.get("/api/vehicles")
        rawdata = worker.get(
            "/api/rawdata", params={"vehicles": "1", "duration": "PT1H"}
        )
        own = worker.get(f"/api/job_manager/{job['id']}")
        foreign = worker.get(f"/api/job_manager/{other['id']}")
        new_job = worker.post(
            "/api/job_manager", json={"script": "x", "engine": engine.url}
        )

    assert vehicles.status_code == 200
    assert rawdata.status_code == 200
    assert own.status_code == 200
    assert foreign.status_code == 404
    assert new_job.status_code == 401


def finished_job(
    user: httpx.Client, engine: RecordingEngine, files: list[str]
) -> dict[str, Any]:
    job = create_job(user, engine.url)
    token = engine.token(user, job["id"])
    with as_engine(user, token) as worker:
        worker.put(
            f"/api/job_manager/{job['id']}",
            json={"state": "done", "result": {"files": files}},
        ).raise_for_status()
    return job


def test_a_listed_file_is_streamed_from_the_engine(
    user: httpx.Client, engine: RecordingEngine
) -> None:
    job = finished_job(user, engine, ["mileage.csv"])

    with user.stream("GET", f"/api/job_manager/{job['id']}/mileage.csv") as response:
        body = response.read()

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert body == FILE_LINE * FILE_REPEAT


def test_only_files_in_the_result_can_be_fetched(
    user: httpx.Client, engine: RecordingEngine
) -> None:
    job = finished_job(user, engine, ["mileage.csv"])

    response = user.get(f"/api/job_manager/{job['id']}/secrets.txt")
    sneaky = user.get(f"/api/job_manager/{job['id']}/..%2F..%2Fetc%2Fpasswd")

    assert response.status_code == 404
    assert "secrets.txt" in response.json()["message"]
    assert sneaky.status_code == 404


def test_a_file_the_engine_no_longer_has_is_a_404_not_a_502(
    user: httpx.Client, engine: RecordingEngine
) -> None:
    # A 404 tells a client to stop; a 502 would have it try again for minutes.
    job = finished_job(user, engine, ["lost.csv"])

    response = user.get(f"/api/job_manager/{job['id']}/lost.csv")

    assert response.status_code == 404
    assert "no longer has the file 'lost.csv'" in response.json()["message"]


def test_jobs_are_listed_newest_first(
    user: httpx.Client, engine: RecordingEngine
) -> None:
    made = [create_job(user, engine.url)["id"] for _ in range(3)]

    page = user.get("/api/job_manager", params={"set": 2}).json()

    assert [job["id"] for job in page["data"]] == made[::-1][:2]
    assert page["set"] == 2
    assert page["total"] >= 3


def test_an_unknown_job_is_a_404(user: httpx.Client) -> None:
    response = user.get("/api/job_manager/987654")

    assert response.status_code == 404
    assert response.json()["message"]


def test_jobs_and_tasks_survive_a_restart(
    tmp_path: Path, engine: RecordingEngine
) -> None:
    db = tmp_path / "restart.sqlite3"
    server = start_sandbox(db, engine.url)
    try:
        assert server.url
        with sign_in(server.url) as client:
            job = create_job(client, engine.url)
            token = engine.token(client, job["id"])
            with as_engine(client, token) as worker:
                worker.put(
                    f"/api/job_manager/{job['id']}",
                    json={"state": "done", "result": {"files": ["a.csv"]}},
                ).raise_for_status()
            before = client.get(f"/api/job_manager/{job['id']}").json()
            task = client.post("/api/tasks", json=NESTED_TASK).json()
    finally:
        server.stop()

    server = start_sandbox(db, engine.url)
    try:
        assert server.url
        with sign_in(server.url) as client:
            after = client.get(f"/api/job_manager/{job['id']}").json()
            task_after = client.get(f"/api/tasks/{task['id']}").json()
            with as_engine(client, token) as worker:
                late = worker.put(f"/api/job_manager/{job['id']}", json={})
    finally:
        server.stop()

    assert after == before
    assert after["state"] == "done"
    assert task_after == task
    assert late.status_code == 401  # the job is closed, and so is its token


NESTED_TASK: dict[str, Any] = {
    "name": "Weekly mileage",
    "processes": [
        [
            {"name": "Mileage", "script": "mileage", "tz": "UTC", "engine": "http://e"},
            {"vehicles": [1], "user": [1], "back": {"days": 7, "hours": 0}},
        ]
    ],
    "schedule": "0 6 * * 1",
}
FLAT_TASK: dict[str, Any] = {
    "name": "Daily idling",
    "processes": [
        {"name": "Idling", "script": "idling", "tz": "UTC", "engine": "http://e"},
        {"groups": [3], "users": [1, 2], "recipients": ["ops@example.com"]},
    ],
    "schedule": ["0-15 9 * * 1", "30 17 * * 5"],
}


@pytest.mark.parametrize("body", [NESTED_TASK, FLAT_TASK], ids=["nested", "flat"])
def test_tasks_of_either_shape_round_trip(
    user: httpx.Client, body: dict[str, Any]
) -> None:
    created = user.post("/api/tasks", json=body)
    assert created.status_code == 201, created.text
    task = created.json()

    fetched = user.get(f"/api/tasks/{task['id']}").json()
    listed = user.get("/api/tasks").json()

    configuration, parameters = fetched["processes"][0]
    expected_config = (
        body["processes"][0][0] if body is NESTED_TASK else body["processes"][0]
    )
    assert fetched == task
    assert fetched["name"] == body["name"]
    assert configuration == expected_config
    assert "users" in parameters
    assert "user" not in parameters
    assert isinstance(fetched["schedule"], list)
    assert task["id"] in [t["id"] for t in listed["data"]]


def test_a_task_can_be_changed_and_deleted(user: httpx.Client) -> None:
    task = user.post("/api/tasks", json=NESTED_TASK).json()

    changed = user.put(
        f"/api/tasks/{task['id']}", json={"name": "Monday mileage", "schedule": []}
    )
    deleted = user.delete(f"/api/tasks/{task['id']}")
    gone = user.get(f"/api/tasks/{task['id']}")

    assert changed.status_code == 200
    assert changed.json()["name"] == "Monday mileage"
    assert changed.json()["schedule"] == []
    assert changed.json()["processes"] == task["processes"]
    assert deleted.status_code == 204
    assert gone.status_code == 404


@pytest.mark.parametrize(
    ("change", "word"),
    [
        ({"name": ""}, "name"),
        ({"processes": []}, "processes"),
        ({"processes": [[{"script": "mileage"}, {}]]}, "processes[0]"),
        ({"schedule": "every monday"}, "schedule"),
    ],
)
def test_a_bad_task_is_a_400_saying_what_is_wrong(
    user: httpx.Client, change: dict[str, Any], word: str
) -> None:
    response = user.post("/api/tasks", json={**NESTED_TASK, **change})

    assert response.status_code == 400
    assert response.json()["message"].startswith(f"{word}:")
