"""The engine's HTTP side: a Starlette app with the three protocol routes.

- GET /manifest: the manifest as written in manifest.json;
- POST /jobs: answered at once (202); the job runs in a background task;
- GET /jobs/:site_id/:job_id/:file: a file the job produced, else 404.

The app owns, for its lifetime, the one httpx.AsyncClient that all jobs
use and the registry of running jobs; both are closed on shutdown.
"""

import contextlib
import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from app import __version__
from app.engine.catalog import Catalog
from app.engine.files import content_type, find_file
from app.engine.job import JobRequest, run_job
from app.engine.registry import JobRegistry
from app.errors import UsageError

log = logging.getLogger(__name__)

GATEWAY_TIMEOUT = httpx.Timeout(60.0, connect=10.0)


class EngineState:
    """What the app holds while it runs."""

    def __init__(self, files_root: Path, catalog: Catalog) -> None:
        self.files_root = files_root
        self.catalog = catalog
        self.jobs = JobRegistry()
        self.http: httpx.AsyncClient | None = None

    @property
    def client(self) -> httpx.AsyncClient:
        assert self.http is not None, "the app is not started"
        return self.http


def create_app(files_root: Path, catalog: Catalog | None = None) -> Starlette:
    """The engine app, keeping its files under files_root."""
    files_root.mkdir(parents=True, exist_ok=True)
    state = EngineState(files_root, catalog or Catalog.load())

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with httpx.AsyncClient(timeout=GATEWAY_TIMEOUT) as http:
            state.http = http
            log.info("engine started; files in %s", files_root)
            try:
                yield
            finally:
                await state.jobs.close()
                state.http = None

    app = Starlette(
        routes=[
            Route("/", _about, methods=["GET"]),
            Route("/manifest", _manifest, methods=["GET"]),
            Route("/jobs", _post_job, methods=["POST"]),
            Route("/jobs/{site_id}/{job_id}/{file}", _get_file, methods=["GET"]),
        ],
        exception_handlers={HTTPException: _http_error},
        lifespan=lifespan,
    )
    app.state.engine = state
    return app


async def _about(request: Request) -> Response:
    state = _state(request)
    return JSONResponse(
        {
            "engine": "Pegasus Reports embedded engine",
            "version": __version__,
            "scripts": state.catalog.names,
            "running_jobs": len(state.jobs),
        }
    )


async def _manifest(request: Request) -> Response:
    return JSONResponse(_state(request).catalog.document)


async def _post_job(request: Request) -> Response:
    state = _state(request)
    try:
        body = json.loads(await request.body())
        job = JobRequest.parse(body)
    except (ValueError, UnicodeDecodeError) as exc:
        log.warning("refused a job: the body is not JSON (%s)", exc)
        return _message(400, "the body is not JSON")
    except UsageError as exc:
        log.warning("refused a malformed job: %s", exc)
        return _message(400, str(exc))

    if job.key in state.jobs:
        return _message(409, f"job {job.job_id} of site {job.site_id} is running")

    log.info("job %s/%s accepted: %s", job.site_id, job.job_id, job.script)
    state.jobs.start(
        job.key, run_job(job, state.catalog, state.client, state.files_root)
    )
    if state.catalog.get(job.script) is None:
        # The job still runs, only to tell the gateway it ends in error.
        return _message(404, f"this engine has no script named {job.script!r}")
    return JSONResponse(
        {"message": "job accepted", "job_id": job.job_id, "script": job.script},
        status_code=202,
    )


async def _get_file(request: Request) -> Response:
    state = _state(request)
    params = request.path_params
    name = params["file"]
    path = find_file(state.files_root, params["site_id"], params["job_id"], name)
    if path is None:
        return _message(404, "no such file")
    return FileResponse(path, media_type=content_type(name), filename=name)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return _message(exc.status_code, str(exc.detail))


def _message(status: int, text: str) -> JSONResponse:
    return JSONResponse({"message": text}, status_code=status)


def _state(request: Request) -> EngineState:
    state: EngineState = request.app.state.engine
    return state
