"""Jobs and tasks on the sandbox gateway, with a recording engine beside it.

The sandbox is a child process; the engine is a small Starlette app served
by uvicorn in a thread of the test, so the test can see every job the
gateway sends it and act as that engine (PUT progress, serve files).
"""

import contextlib
import re
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from app.children import LocalServer, app_command
from app.serve import bind_loopback

FILE_LINE = b"vehicle,distance_km\n101,42.5\n"
FILE_REPEAT = 5_000  # about 140 kB, more than one chunk


class RecordingEngine:
    """A job-engine that records the jobs it gets and serves made-up files."""

    def __init__(self) -> None:
        self.jobs: list[dict[str, Any]] = []
        app = Starlette(
            routes=[
                Route("/jobs", self._new_job, methods=["POST"]),
                Route("/jobs/{site}/{job}/{name}", self._file, methods=["GET"]),
            ]
        )
        self._socket = bind_loopback(0)
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"
        config = uvicorn.Config(app, log_level="warning", lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    def start(self) -> None:
        self._thread.start()
        wait_for(lambda: self._server.started, "the recording engine to start")

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(10)
        self._socket.close()

    def job(self, gateway: httpx.Client, job_id: int) -> dict[str, Any]:
        """The body a gateway POSTed for one of its jobs, once it has arrived."""
        site_url = str(gateway.base_url).rstrip("/")

        def sent() -> list[dict[str, Any]]:
            return [
                j
                for j in self.jobs
                if j["configuration"]["job_id"] == job_id
                and j["configuration"]["site_url"] == site_url
            ]

        wait_for(sent, f"job {job_id} to reach the engine")
        return sent()[0]

    def token(self, gateway: httpx.Client, job_id: int) -> str:
        token: str = self.job(gateway, job_id)["configuration"]["api_token"]
        return token

    async def _new_job(self, request: Request) -> Response:
        body = await request.json()
        self.jobs.append(body)
        if body["parameters"].get("refuse"):
            return JSONResponse({"message": "no such script here"}, status_code=500)
        return JSONResponse({"message": "accepted"})

    async def _file(self, request: Request) -> Response:
        name = request.path_params["name"]
        if name.startswith("lost"):
            return JSONResponse({"message": "gone"}, status_code=404)
        return Response(FILE_LINE * FILE_REPEAT, media_type="text/csv")


def wait_for(condition: Callable[[], Any], what: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def free_port_url() -> str:
    """The URL of a loopback port nobody listens on."""
    sock = bind_loopback(0)
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}"


def start_sandbox(db: Path, *engines: str) -> LocalServer:
    args = [arg for engine in engines for arg in ("--engine", engine)]
    server = LocalServer(
        "sandbox",
        app_command("sandbox", "--port", "0", "--db", str(db), *args),
    )
    server.start()
    return server


@contextlib.contextmanager
def sign_in(url: str) -> Iterator[httpx.Client]:
    """A client signed in as the demo user, closed at the end."""
    with httpx.Client(base_url=url, trust_env=False, timeout=30) as client:
        response = client.post(
            "/api/login", json={"username": "demo", "password": "demo"}
        )
        client.headers["Authenticate"] = response.json()["auth"]
        yield client


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


def create_job(
    client: httpx.Client, engine: str, args: dict[str, Any] | None = None
) -> dict[str, Any]:
    response = client.post(
        "/api/job_manager",
        json={
            "script": "mileage",
            "name": "Mileage",
            "expires": 3600,
            "engine": engine,
            "args": args if args is not None else {"vehicles": [1], "tz": "UTC"},
        },
    )
    assert response.status_code == 201, response.text
    job: dict[str, Any] = response.json()
    return job


def as_engine(client: httpx.Client, token: str) -> httpx.Client:
    return httpx.Client(
        base_url=str(client.base_url),
        headers={"Authenticate": token},
        trust_env=False,
        timeout=30,
    )


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
    assert config["site_id"] == 1
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


def wait_for_state(client: httpx.Client, job_id: int, state: str) -> dict[str, Any]:
    found: dict[str, Any] = {}

    def reached() -> bool:
        found.update(client.get(f"/api/job_manager/{job_id}").json())
        return found["state"] == state

    wait_for(reached, f"job {job_id} to be {state}")
    return found


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
    assert late.status_code == 409

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


def test_an_engine_failing_a_file_is_a_502(
    user: httpx.Client, engine: RecordingEngine
) -> None:
    job = finished_job(user, engine, ["lost.csv"])

    response = user.get(f"/api/job_manager/{job['id']}/lost.csv")

    assert response.status_code == 502
    assert "404" in response.json()["message"]


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
    assert late.status_code == 409  # the job's token still works, the job is closed


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
