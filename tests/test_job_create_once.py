"""A report is never started twice because an answer was lost on the way.

A small gateway on loopback keeps a list of jobs and can hang or drop its
answer to POST /api/job_manager after (or before) making the job. The
client must find a job made by a send whose answer never came, send
again only when there is none, and resend at once when the connection
was refused before anything was sent. Then the sandbox's slow-create
fault: the job exists before the client gives up waiting for its answer.
"""

import asyncio
import hashlib
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from support.faulty_stack import (
    faulty_stack,
    finished,
    jobs_named,
    no_faults_after,
    reference_sha256,
    set_faults,
    trips_body,
)
from support.servers import closed_port, serving

from app.errors import GatewayError, NetworkError
from app.gateway import Gateway
from app.local_stack import DemoStack
from app.retry import RetryPolicy

__all__ = ["faulty_stack", "no_faults_after"]  # fixtures used by name

TOKEN = "c0de" * 14
QUICK = RetryPolicy(first_delay=0.01, max_delay=0.05, deadline=5.0)
ARGS = {"from": "2026-11-02T00:00:00", "to": "2026-11-03T00:00:00", "vehicles": [3]}
REQUEST = {"script": "trips", "name": "Trips", "engine": "http://e/", "args": ARGS}


class JobList:
    """The jobs of a loopback gateway, and what it does with each POST.

    hang(n) says, for the n-th POST (from 1), whether to hang after making
    the job ("after"), before making it ("before"), or answer (None).
    """

    def __init__(self, hang: Callable[[int], str | None]) -> None:
        self.hang = hang
        self.jobs: list[dict[str, Any]] = []
        self.posts = 0
        self.lists = 0
        self.release = asyncio.Event()

    def add(self, body: dict[str, Any], created_at: float) -> dict[str, Any]:
        job = {
            "id": len(self.jobs) + 1,
            "script": body["script"],
            "name": body["name"],
            "engine": body["engine"],
            # As an engine may add to them once it runs.
            "params": {**body["args"], "tz": "UTC"},
            "state": "created",
            "created_at": created_at,
        }
        self.jobs.append(job)
        return job

    async def create(self, request: Request) -> Response:
        self.posts += 1
        body = await request.json()
        how = self.hang(self.posts)
        if how == "before":
            await self.release.wait()
        job = self.add(body, time.time())
        if how == "after":
            await self.release.wait()
        return JSONResponse(job, status_code=201)

    async def listing(self, request: Request) -> Response:
        self.lists += 1
        newest_first = sorted(self.jobs, key=lambda job: -job["id"])
        return JSONResponse(
            {"set": len(newest_first), "page": 1, "pages": 1, "data": newest_first}
        )

    async def job_manager(self, request: Request) -> Response:
        if request.method == "POST":
            return await self.create(request)
        return await self.listing(request)

    @property
    def routes(self) -> dict[str, Callable[..., Any]]:
        return {"/api/job_manager": self.job_manager}


@pytest.mark.asyncio
async def test_a_create_whose_answer_never_came_is_found_not_sent_again(
    caplog: pytest.LogCaptureFixture,
) -> None:
    gateway_jobs = JobList(lambda n: "after" if n == 1 else None)
    caplog.set_level(logging.INFO)

    async with (
        serving(gateway_jobs.routes) as url,
        Gateway(url, token=TOKEN, timeout=0.3, retry=QUICK) as gateway,
    ):
        job = await gateway.create_job(**REQUEST)
        gateway_jobs.release.set()

    assert gateway_jobs.posts == 1
    assert len(gateway_jobs.jobs) == 1
    assert job.id == gateway_jobs.jobs[0]["id"]
    assert (job.script, job.name, job.params["vehicles"]) == ("trips", "Trips", [3])
    assert "was created although its answer was lost" in caplog.text


@pytest.mark.asyncio
async def test_a_create_that_made_nothing_is_sent_again_after_looking() -> None:
    gateway_jobs = JobList(lambda n: "before" if n == 1 else None)

    async with (
        serving(gateway_jobs.routes) as url,
        Gateway(url, token=TOKEN, timeout=0.3, retry=QUICK) as gateway,
    ):
        job = await gateway.create_job(**REQUEST)
        jobs_then = list(gateway_jobs.jobs)
        gateway_jobs.release.set()

    assert gateway_jobs.posts == 2
    assert gateway_jobs.lists >= 1
    assert [j["id"] for j in jobs_then] == [job.id]


@pytest.mark.asyncio
async def test_an_older_job_alike_is_not_taken_for_the_new_one() -> None:
    # The same report run an hour ago must not stand in for this one.
    gateway_jobs = JobList(lambda n: "before" if n == 1 else None)
    old = gateway_jobs.add(dict(REQUEST), time.time() - 3600)

    async with (
        serving(gateway_jobs.routes) as url,
        Gateway(url, token=TOKEN, timeout=0.3, retry=QUICK) as gateway,
    ):
        job = await gateway.create_job(**REQUEST)
        gateway_jobs.release.set()

    assert job.id != old["id"]
    assert gateway_jobs.posts == 2


@pytest.mark.asyncio
async def test_two_runs_alike_lost_at_once_are_not_both_given_one_job() -> None:
    gateway_jobs = JobList(lambda n: "after" if n <= 2 else None)

    async with (
        serving(gateway_jobs.routes) as url,
        Gateway(url, token=TOKEN, timeout=0.3, retry=QUICK) as gateway,
    ):
        first = await gateway.create_job(**REQUEST)
        second = await gateway.create_job(**REQUEST)
        gateway_jobs.release.set()

    assert first.id != second.id
    assert sorted(j["id"] for j in gateway_jobs.jobs) == sorted([first.id, second.id])


@pytest.mark.asyncio
async def test_a_refused_connection_is_sent_again_without_looking() -> None:
    # The gateway answered once, then went away for a moment: nothing was
    # sent, so nothing is looked for.
    gateway_jobs = JobList(lambda n: None)
    port = closed_port()

    async with serving({}, port=port) as url:
        gateway = Gateway(url, token=TOKEN, retry=QUICK)
        with pytest.raises(GatewayError, match="HTTP 404"):
            await gateway.user()

    async with gateway:
        creating = asyncio.create_task(gateway.create_job(**REQUEST))
        await asyncio.sleep(0.1)  # a few refused tries
        async with serving(gateway_jobs.routes, port=port):
            job = await creating

    assert [j["id"] for j in gateway_jobs.jobs] == [job.id]
    assert (gateway_jobs.posts, gateway_jobs.lists) == (1, 0)


@pytest.mark.asyncio
async def test_a_create_answered_503_is_sent_again_without_taking_an_earlier_job() -> (
    None
):
    # A 503 says the gateway did not take the request on. The same report
    # with the same values, run a moment earlier, must stay that run's job.
    gateway_jobs = JobList(lambda n: None)
    refused = {"n": 0}

    async def job_manager(request: Request) -> Response:
        if request.method == "POST" and refused["n"] == 0:
            refused["n"] += 1
            return JSONResponse({"message": "busy"}, status_code=503)
        return await gateway_jobs.job_manager(request)

    earlier = gateway_jobs.add(REQUEST, time.time() - 1)
    async with (
        serving({"/api/job_manager": job_manager}) as url,
        Gateway(url, token=TOKEN, retry=QUICK) as gateway,
    ):
        job = await gateway.create_job(**REQUEST)

    assert job.id != earlier["id"]
    assert len(gateway_jobs.jobs) == 2
    assert gateway_jobs.lists == 0


@pytest.mark.asyncio
async def test_a_create_given_up_on_says_the_job_may_exist() -> None:
    gateway_jobs = JobList(lambda n: "before")
    quick_end = RetryPolicy(first_delay=0.01, max_delay=0.05, deadline=0.5)

    async with (
        serving(gateway_jobs.routes) as url,
        Gateway(url, token=TOKEN, timeout=0.1, retry=quick_end) as gateway,
    ):
        with pytest.raises(NetworkError) as caught:
            await gateway.create_job(**REQUEST)
        gateway_jobs.release.set()

    assert str(caught.value).startswith(
        f"the gateway at {url} did not answer POST /api/job_manager within 0.1 s"
    )
    assert str(caught.value).endswith(
        "the job may have been created all the same: look for it in the job list "
        "before running the report again"
    )


@pytest.mark.slow
@pytest.mark.asyncio
async def test_a_slow_create_on_the_sandbox_makes_one_job_that_finishes(
    no_faults_after: DemoStack, tmp_path: Path
) -> None:
    stack = no_faults_after
    name = "slow create"
    set_faults(stack, slow_create=2)

    async with Gateway(stack.gateway_url, timeout=0.5, retry=QUICK) as gateway:
        await gateway.login(stack.username, stack.password)
        job = await gateway.create_job(**trips_body(stack, name))
        set_faults(stack, slow_create=0)
        done = await finished(gateway, job.id)
        path = await gateway.download(done.id, done.files[0], tmp_path)

    assert [j["id"] for j in jobs_named(stack, name)] == [job.id]
    assert done.state == "done"
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert digest == reference_sha256(stack, done.id, done.files[0])
