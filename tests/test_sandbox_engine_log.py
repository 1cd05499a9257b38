"""The sandbox's record of what each job's engine did (for check-engine).

A real sandbox process and the recording engine of the sandbox tests: the
test plays the engine, PUTting with its job's token and with others, then
reads the record through GET /api/sandbox/jobs/:id/engine_log.
"""

from collections.abc import Iterator
from pathlib import Path

import pytest
from support.sandbox_engine import (
    RecordingEngine,
    as_engine,
    create_job,
    sign_in,
    start_sandbox,
    wait_for,
)

from app.children import LocalServer


@pytest.fixture
def engine() -> Iterator[RecordingEngine]:
    recording = RecordingEngine()
    recording.start()
    yield recording
    recording.stop()


@pytest.fixture
def sandbox(tmp_path: Path, engine: RecordingEngine) -> Iterator[LocalServer]:
    server = start_sandbox(tmp_path / "sandbox.sqlite3", engine.url)
    yield server
    server.stop()


def test_the_record_shows_every_put_and_whose_token_it_carried(
    sandbox: LocalServer, engine: RecordingEngine
) -> None:
    assert sandbox.url is not None
    with sign_in(sandbox.url) as user:
        first = create_job(user, engine.url)
        second = create_job(user, engine.url)
        token = engine.token(user, first["id"])
        with as_engine(user, token) as job_engine:
            progress = {"state": "running", "progress": {"percentage": 40}}
            own = job_engine.put(f"/api/job_manager/{first['id']}", json=progress)
            other = job_engine.put(f"/api/job_manager/{second['id']}", json=progress)
        as_user = user.put(f"/api/job_manager/{first['id']}", json=progress)

        path = f"/api/sandbox/jobs/{first['id']}/engine_log"
        wait_for(lambda: user.get(path).json()["dispatch"], "the dispatch record")
        record = user.get(path).json()

    assert (own.status_code, other.status_code, as_user.status_code) == (
        200,
        401,
        401,
    )
    assert record["dispatch"]["status"] == 200
    assert record["dispatch"]["error"] is None
    seen = [(p["job_id"], p["token"]["kind"], p["status"]) for p in record["puts"]]
    assert seen == [
        (first["id"], "job", 200),
        (second["id"], "job", 401),
        (first["id"], "user", 401),
    ]
    assert record["puts"][0]["progress"] == {"percentage": 40}
    assert token not in str(record)


def test_only_the_jobs_owner_may_read_the_record(
    sandbox: LocalServer, engine: RecordingEngine
) -> None:
    assert sandbox.url is not None
    with sign_in(sandbox.url) as user:
        job = create_job(user, engine.url)
        path = f"/api/sandbox/jobs/{job['id']}/engine_log"
        with as_engine(user, engine.token(user, job["id"])) as job_engine:
            by_engine = job_engine.get(path)
        anonymous = user.get(path, headers={"Authenticate": ""})
        missing = user.get("/api/sandbox/jobs/999999/engine_log")

    assert by_engine.status_code == 401
    assert anonymous.status_code == 401
    assert missing.status_code == 404
