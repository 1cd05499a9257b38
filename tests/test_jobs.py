"""Reading job objects, and following a job to its end."""

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from support.servers import serving

from app.errors import GatewayError
from app.gateway import Gateway
from app.jobs import Job, follow


def test_a_job_is_read_from_the_documented_create_answer() -> None:
    job = Job.from_json(
        {
            "id": 251336,
            "engine": "http://d1.example/jobs-engine",
            "name": "Idling Usage",
            "script": "idling",
            "created_at": 1532031389.04,
            "expires": 432000,
            "state": "created",
            "done_at": None,
            "progress": {},
            "result": {},
            "params": {"tz": "UTC", "vehicles": [1673]},
        }
    )

    assert job.id == 251336
    assert job.state == "created"
    assert job.percentage == 0
    assert job.files == []
    assert job.params == {"tz": "UTC", "vehicles": [1673]}
    assert job.created_at == pytest.approx(1532031389.04)
    assert job.done_at is None
    assert not job.finished


def test_a_job_is_read_tolerantly() -> None:
    job = Job.from_json(
        {
            "id": "12",
            "state": "DONE",
            "progress": {"percentage": "100"},
            "result": {"files": ["trips.json", 5, "trips.csv"], "summary": None},
            "created_at": "1700000000.5",
            "done_at": 1700000060000,
        }
    )

    assert job.id == 12
    assert job.finished
    assert job.percentage == 100
    assert job.files == ["trips.json", "trips.csv"]
    assert job.summary == {}
    assert job.created_at == 1700000000.5
    assert job.done_at == 1700000060.0
    assert job.script == ""


def test_a_failed_job_carries_the_engines_message() -> None:
    job = Job.from_json(
        {
            "id": 3,
            "state": "error",
            "progress": {"percentage": 60},
            "result": {"error": "vehicle 999 is not in this fleet"},
        }
    )

    assert job.finished
    assert job.percentage == 60
    assert job.error == "vehicle 999 is not in this fleet"
    assert job.describe() == "job 3: error 60%"


@pytest.mark.parametrize("progress", [None, {}, [], "x", {"percentage": None}])
def test_odd_progress_values_read_as_zero(progress: Any) -> None:
    job = Job.from_json({"id": 1, "state": "running", "progress": progress})

    assert job.percentage == 0
    assert job.state == "running"


@contextlib.asynccontextmanager
async def scripted_gateway(answers: list[Response]) -> AsyncIterator[str]:
    """A loopback gateway whose job answers are given in order, then repeated."""
    calls = 0

    async def job(request: Request) -> Response:
        nonlocal calls
        answer = answers[min(calls, len(answers) - 1)]
        calls += 1
        return answer

    async with serving({"/api/job_manager/{job_id:int}": job}) as url:
        yield url


def job_answer(state: str, percentage: float, **result: Any) -> Response:
    return JSONResponse(
        {
            "id": 8,
            "script": "trips",
            "state": state,
            "progress": {"percentage": percentage},
            "result": result,
        }
    )


@pytest.mark.asyncio
async def test_follow_reports_each_change_once_and_returns_the_final_job() -> None:
    answers = [
        job_answer("created", 0),
        job_answer("running", 40),
        job_answer("running", 40),
        job_answer("running", 80),
        job_answer("done", 100, files=["trips.json"]),
    ]
    seen: list[Job] = []

    async with scripted_gateway(answers) as url, Gateway(url, token="t") as gateway:
        final = await follow(gateway, 8, seen.append, interval=0.01, max_interval=0.02)

    assert [(j.state, j.percentage) for j in seen] == [
        ("created", 0),
        ("running", 40),
        ("running", 80),
        ("done", 100),
    ]
    assert final.files == ["trips.json"]


@pytest.mark.asyncio
async def test_follow_rides_out_a_busy_gateway() -> None:
    busy = JSONResponse({"message": "Rate exceeded"}, status_code=429)
    answers = [busy, busy, job_answer("error", 60, error="no data")]

    async with scripted_gateway(answers) as url, Gateway(url, token="t") as gateway:
        final = await follow(gateway, 8, interval=0.01, max_interval=0.02)

    assert final.state == "error"
    assert final.error == "no data"


@pytest.mark.asyncio
async def test_follow_gives_up_on_an_error_that_will_not_pass() -> None:
    gone = JSONResponse({"message": "no such job"}, status_code=404)

    async with scripted_gateway([gone]) as url, Gateway(url, token="t") as gateway:
        with pytest.raises(GatewayError, match="no such job"):
            await follow(gateway, 8, interval=0.01, max_interval=0.02)


@pytest.mark.parametrize("odd", ["NaN", "nan", "Infinity", "-inf"])
def test_a_percentage_that_is_not_a_finite_number_is_ignored(odd: str) -> None:
    running = Job.from_json(
        {"id": 4, "state": "running", "progress": {"percentage": odd}}
    )
    done = Job.from_json({"id": 4, "state": "done", "progress": {"percentage": odd}})

    assert running.percentage == 0
    assert running.describe() == "job 4: running 0%"
    assert running == Job.from_json(
        {"id": 4, "state": "running", "progress": {"percentage": odd}}
    )
    assert done.percentage == 100


@pytest.mark.asyncio
async def test_follow_is_not_fooled_by_a_nan_percentage() -> None:
    nan = JSONResponse(
        {
            "id": 8,
            "state": "running",
            "progress": {"percentage": "NaN"},
            "created_at": "NaN",
        }
    )
    answers = [nan, nan, nan, job_answer("done", 100, files=["t.csv"])]
    seen: list[Job] = []

    async with scripted_gateway(answers) as url, Gateway(url, token="t") as gateway:
        await follow(gateway, 8, seen.append, interval=0.01, max_interval=0.02)

    assert [j.describe() for j in seen] == [
        "job 8: running 0%",
        "job 8 trips: done 100%",
    ]
