"""The sandbox with faults made on purpose, and the embedded engine behind it.

One stack per test module (the `faulty_stack` fixture); each test sets the
faults it needs with set_faults() (PUT /api/sandbox/faults), and the
fixture `no_faults_after` puts the defaults back. Reports run for real on
the embedded engine, so a test can check a job finished and its file is
the one the engine made (reference_sha256 fetches it with no fault on).
"""

import asyncio
import contextlib
import hashlib
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from app.gateway import Gateway
from app.jobs import Job
from app.local_stack import DemoStack

PERIOD = {"from": "2026-11-02T00:00:00", "to": "2026-11-03T00:00:00"}
NO_FAULTS = {
    "latency": 0.0,
    "5xx": 0.0,
    "drop_downloads": 0,
    "no_range": False,
    "malformed": 0.0,
    "slow_create": 0.0,
    "token_ttl": None,
}


@pytest.fixture(scope="module")
def faulty_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoStack]:
    """A sandbox and engine of this module's own: its faults touch no other."""
    stack = DemoStack(folder=tmp_path_factory.mktemp("faulty"))
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()


@pytest.fixture
def no_faults_after(faulty_stack: DemoStack) -> Iterator[DemoStack]:
    """The stack, set back to no faults however the test ends."""
    try:
        yield faulty_stack
    finally:
        set_faults(faulty_stack, **NO_FAULTS)


@contextlib.contextmanager
def admin(stack: DemoStack) -> Iterator[httpx.Client]:
    """A plain client signed in to the stack's sandbox (no retries, no faults)."""
    with httpx.Client(base_url=stack.gateway_url, trust_env=False, timeout=30) as c:
        answer = c.post(
            "/api/login", json={"username": stack.username, "password": stack.password}
        )
        answer.raise_for_status()
        c.headers["Authenticate"] = answer.json()["auth"]
        yield c


def set_faults(stack: DemoStack, **faults: Any) -> dict[str, Any]:
    """Set the sandbox's faults ("5xx" is given as server_errors here)."""
    body = {("5xx" if k == "server_errors" else k): v for k, v in faults.items()}
    with admin(stack) as client:
        answer = client.put("/api/sandbox/faults", json=body)
        answer.raise_for_status()
        result: dict[str, Any] = answer.json()
        return result


def jobs_named(stack: DemoStack, name: str) -> list[dict[str, Any]]:
    """The user's jobs of that name, as the sandbox lists them (no faults)."""
    with admin(stack) as client:
        answer = client.get("/api/job_manager", params={"set": 1000})
        answer.raise_for_status()
        return [job for job in answer.json()["data"] if job["name"] == name]


def reference_sha256(stack: DemoStack, job_id: int, filename: str) -> str:
    """The sha256 of a job's file fetched whole, with every fault off."""
    set_faults(stack, **NO_FAULTS)
    with admin(stack) as client:
        answer = client.get(f"/api/job_manager/{job_id}/{filename}")
        answer.raise_for_status()
        return hashlib.sha256(answer.content).hexdigest()


def trips_body(stack: DemoStack, name: str) -> dict[str, Any]:
    """What create_job is given for a trips report named name."""
    return {
        "script": "trips",
        "name": name,
        "engine": stack.engine_url,
        "args": {**PERIOD, "vehicles": [1, 2], "tz": "UTC"},
    }


async def finished(gateway: Gateway, job_id: int) -> Job:
    """The job once done or in error, read through gateway (with its retries)."""
    while True:
        job = await gateway.job(job_id)
        if job.finished:
            return job
        await asyncio.sleep(0.1)
