"""What the sandbox takes in a job and how long a job's token works.

Bodies with numbers JSON cannot carry, lifetimes out of range, ids too
large for the database, tokens of closed jobs, jobs left open past their
expiry, and the site id each database gives engines. The sandbox is a
child process; the engine is the recording engine of
tests/support/sandbox_engine.py.
"""

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from support.sandbox_engine import (
    RecordingEngine,
    as_engine,
    create_job,
    sign_in,
    start_sandbox,
    wait_for_state,
)

from app.children import LocalServer, app_command


@pytest.fixture(scope="module")
def engine() -> Iterator[RecordingEngine]:
    recorder = RecordingEngine()
    recorder.start()
    try:
        yield recorder
    finally:
        recorder.stop()


@pytest.fixture(scope="module")
def sandbox(
    tmp_path_factory: pytest.TempPathFactory, engine: RecordingEngine
) -> Iterator[LocalServer]:
    db = tmp_path_factory.mktemp("job-rules") / "sandbox.sqlite3"
    server = start_sandbox(db, engine.url)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def user(sandbox: LocalServer) -> Iterator[httpx.Client]:
    assert sandbox.url
    with sign_in(sandbox.url) as client:
        yield client


# ---- what a job request may hold ---------------------------------------------


def raw_job(client: httpx.Client, text: str) -> httpx.Response:
    """POST a job body written out by hand, as JSON the json module allows."""
    return client.post(
        "/api/job_manager",
        content=text.encode(),
        headers={"Content-Type": "application/json"},
    )


def test_a_number_json_does_not_allow_is_refused_and_the_jobs_stay_readable(
    user: httpx.Client, engine: RecordingEngine
) -> None:
    earlier = create_job(user, engine.url)
    args = {"vehicles": [1], "min_distance": "NUMBER"}
    body = json.dumps(
        {"script": "trips", "engine": engine.url, "expires": 3600, "args": args}
    )
    refused = raw_job(user, body.replace('"NUMBER"', "NaN"))
    too_big = raw_job(user, body.replace('"NUMBER"', "1e400"))

    assert refused.status_code == 400
    assert refused.json()["message"].startswith("args/min_distance:")
    assert too_big.status_code == 400
    assert too_big.json()["message"].startswith("args/min_distance:")
    assert user.get("/api/job_manager").status_code == 200
    assert user.get(f"/api/job_manager/{earlier['id']}").status_code == 200


@pytest.mark.parametrize(
    "expires", ["1e300", "Infinity", "-Infinity", "NaN", "0", "-5", "2592001", '"x"']
)
def test_expires_must_be_from_one_second_to_thirty_days(
    user: httpx.Client, engine: RecordingEngine, expires: str
) -> None:
    body = json.dumps(
        {"script": "trips", "engine": engine.url, "expires": "E", "args": {}}
    )

    answer = raw_job(user, body.replace('"E"', expires))

    assert answer.status_code == 400
    assert answer.json()["message"].startswith("expires")
    assert user.get("/api/job_manager").status_code == 200


def test_thirty_days_is_the_longest_a_job_may_live(
    user: httpx.Client, engine: RecordingEngine
) -> None:
    body = {"script": "trips", "engine": engine.url, "expires": 2592000, "args": {}}

    answer = raw_job(user, json.dumps(body))

    assert answer.status_code == 201
    assert engine.job(user, answer.json()["id"])["configuration"]["job_expires"] == (
        2592000
    )


@pytest.mark.parametrize(
    "path", ["/api/job_manager/99999999999999999999999", "/api/tasks/9" + "9" * 30]
)
def test_an_id_too_large_for_the_database_is_a_404(
    user: httpx.Client, path: str
) -> None:
    answer = user.get(path)

    assert answer.status_code == 404
    assert answer.json()["message"]


# ---- a job's token lives as long as the job is open ----------------------------


@pytest.mark.parametrize("end", ["done", "error"])
def test_a_job_token_stops_working_when_its_job_ends(
    user: httpx.Client, engine: RecordingEngine, end: str
) -> None:
    job = create_job(user, engine.url)
    token = engine.token(user, job["id"])

    with as_engine(user, token) as worker:
        before = worker.get("/api/vehicles")
        closing = worker.put(f"/api/job_manager/{job['id']}", json={"state": end})
        after = [
            worker.get("/api/vehicles"),
            worker.get("/api/rawdata", params={"vehicles": "1", "duration": "PT1H"}),
            worker.get(f"/api/job_manager/{job['id']}"),
            worker.put(f"/api/job_manager/{job['id']}", json={"state": "running"}),
        ]

    assert before.status_code == 200
    assert closing.status_code == 200
    assert [answer.status_code for answer in after] == [401] * 4
    assert f"job {job['id']} is {end}" in after[0].json()["message"]
    assert user.get(f"/api/job_manager/{job['id']}").json()["state"] == end


# ---- each database is its own site ---------------------------------------------


def site_id_of(db: Path, *extra: str) -> int:
    server = LocalServer(
        "sandbox", app_command("sandbox", "--port", "0", "--db", str(db), *extra)
    )
    url = server.start()
    try:
        site_id: int = httpx.get(f"{url}/api", timeout=10).json()["pegasus_id"]
    finally:
        server.stop()
    return site_id


def test_each_database_has_its_own_site_id_kept_across_restarts(
    tmp_path: Path,
) -> None:
    first = site_id_of(tmp_path / "first.sqlite3")
    second = site_id_of(tmp_path / "second.sqlite3")

    assert first != second
    assert site_id_of(tmp_path / "first.sqlite3") == first
    assert site_id_of(tmp_path / "first.sqlite3", "--site-id", "7") == 7
    assert site_id_of(tmp_path / "first.sqlite3") == first


def test_a_job_still_open_when_it_expires_ends_in_error(
    tmp_path: Path, engine: RecordingEngine
) -> None:
    server = LocalServer(
        "sandbox",
        app_command("sandbox", "--port", "0", "--db", str(tmp_path / "s.sqlite3"),
                    "--engine", engine.url, "--engine-check-every", "0.2"),
    )  # fmt: skip
    url = server.start()
    try:
        with sign_in(url) as client:
            created = client.post(
                "/api/job_manager",
                json={"script": "mileage", "engine": engine.url, "expires": 1},
            ).json()
            engine.job(client, created["id"])  # dispatched, and never reported
            ended = wait_for_state(client, created["id"], "error")
    finally:
        server.stop()

    assert ended["result"]["error"] == (
        "the job expired before its engine reported its end"
    )
