"""A small gateway of the test's own on loopback, for the window's tests.

It signs anyone in, lists one engine (itself: GET /engine/manifest answers
the manifest the test gives), and answers a job posted to /api/job_manager
at once as done (or in error, when told), with the id and the files the
test chose; it records what each job was sent, serves the files, and
serves icons under /icons/, noting how many were asked for at once. It
runs in a thread (support.servers.serving_in_thread), so it answers while
qtbot waits.
"""

import asyncio
import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from support.servers import serving_in_thread

TOKEN = "a1b2" * 14
FILE_BYTES = b"vehicle,idle_minutes\n1,12\n"


@dataclass
class GatewayLog:
    """What the gateway was asked, for the test to check."""

    # The args of each job created, read with exact whole numbers.
    job_args: list[dict[str, Any]] = field(default_factory=list)
    # The paths of the icons and files asked for.
    icons: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    most_icons_at_once: int = 0
    _icons_now: int = 0


@contextlib.contextmanager
def small_gateway(
    manifest: dict[str, Any],
    *,
    job_id: int = 7,
    files: tuple[str, ...] = (),
    icon: bytes = b"",
    icon_delay: float = 0.0,
    error: str | None = None,
) -> Iterator[tuple[str, GatewayLog]]:
    """Serve the gateway; yield its URL and the log of what it was asked.

    With error, a job ends in error with that message instead of done.
    """
    log = GatewayLog()

    def job(state: str) -> dict[str, Any]:
        result: dict[str, Any] = {"files": list(files)} if state == "done" else {}
        if state == "error":
            result = {"error": error}
        return {
            "id": job_id,
            "script": "s",
            "name": "Job",
            "state": state,
            "progress": {"percentage": 100 if state == "done" else 0},
            "result": result,
        }

    async def login(request: Request) -> Response:
        return JSONResponse({"auth": TOKEN})

    async def user(request: Request) -> Response:
        return JSONResponse({"username": "ana", "prefs": {"tz": "UTC"}})

    async def engines(request: Request) -> Response:
        return JSONResponse([f"{str(request.base_url).rstrip('/')}/engine"])

    async def engine_manifest(request: Request) -> Response:
        return JSONResponse(manifest)

    async def create_job(request: Request) -> Response:
        # json.loads keeps whole numbers exact, whatever their size.
        body = json.loads(await request.body())
        log.job_args.append(body.get("args", {}))
        return JSONResponse(job("created"))

    async def job_now(request: Request) -> Response:
        if request.path_params["job"] != str(job_id):
            return JSONResponse({"message": "no such job"}, status_code=404)
        return JSONResponse(job("done" if error is None else "error"))

    async def job_file(request: Request) -> Response:
        log.files.append(request.url.path)
        if request.path_params["job"] != str(job_id):
            return JSONResponse({"message": "no such job"}, status_code=404)
        return Response(FILE_BYTES, media_type="text/csv")

    async def icon_file(request: Request) -> Response:
        log.icons.append(request.url.path)
        log._icons_now += 1
        log.most_icons_at_once = max(log.most_icons_at_once, log._icons_now)
        try:
            await asyncio.sleep(icon_delay)
        finally:
            log._icons_now -= 1
        return Response(icon, media_type="image/png")

    routes = {
        "/api/login": login,
        "/api/user": user,
        "/api/job_manager/engines": engines,
        "/engine/manifest": engine_manifest,
        "/api/job_manager": create_job,
        "/api/job_manager/{job}": job_now,
        "/api/job_manager/{job}/{name}": job_file,
        "/icons/{name}": icon_file,
    }
    with serving_in_thread(routes) as url:
        yield url, log
