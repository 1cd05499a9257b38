"""A recording job-engine for the sandbox tests, and steps shared by them.

The engine is a small Starlette app served by uvicorn in a thread of the
test, so a test can see every job a sandbox sends it and act as that
engine (PUT progress, serve files). The sandbox itself is a child process.
"""

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
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
                # What the sandbox's watchdog asks to know the engine is alive.
                Route("/manifest", self._manifest, methods=["GET"]),
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

    async def _manifest(self, request: Request) -> Response:
        return JSONResponse({"definitions": {}, "scripts": []})

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


def wait_for_state(client: httpx.Client, job_id: int, state: str) -> dict[str, Any]:
    found: dict[str, Any] = {}

    def reached() -> bool:
        found.update(client.get(f"/api/job_manager/{job_id}").json())
        return found["state"] == state

    wait_for(reached, f"job {job_id} to be {state}")
    return found
