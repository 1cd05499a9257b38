"""The engine's HTTP side: a Starlette app with the three protocol routes.

- GET /manifest: the manifest as written in manifest.json;
- POST /jobs: answered at once (202); the job runs in a background task;
- GET /jobs/:site_id/:job_id/:file: a file the job produced, else 404.

A job is taken only as JSON (`Content-Type: application/json`, which a web
page cannot send to another site without the browser asking first), within
MAX_JOB_BODY bytes, and only for a gateway the SitePolicy allows; the
engine calls no other. The app owns, for its lifetime, two
httpx.AsyncClients: one for gateways on this computer, which never goes
through the environment's proxy (a job's token must not leave the
machine), and one for the gateways allowed with --allow-site, which
follows it. It also owns the registry of running jobs and the task that
removes expired job folders; all are closed on shutdown.
"""

import asyncio
import contextlib
import logging
import time
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
from app.engine.files import content_type, find_file, sweep
from app.engine.job import JobRequest, run_job
from app.engine.registry import JobRegistry
from app.engine.sites import SitePolicy, is_loopback_site
from app.errors import LocalServerError, UsageError
from app.jsonbody import BodyError, parse_json, read_body

log = logging.getLogger(__name__)

GATEWAY_TIMEOUT = httpx.Timeout(60.0, connect=10.0)
MAX_JOB_BODY = 1_000_000  # bytes
SWEEP_EVERY = 3600.0  # seconds between removals of expired job folders


class EngineState:
    """What the app holds while it runs."""

    def __init__(
        self,
        files_root: Path,
        catalog: Catalog,
        sites: SitePolicy,
        job_delay: float = 0.0,
    ) -> None:
        self.files_root = files_root
        self.job_delay = job_delay  # seconds each job waits before its work
        self.catalog = catalog
        self.sites = sites
        self.jobs = JobRegistry()
        # By whether the gateway is on this computer: True for loopback.
        self.clients: dict[bool, httpx.AsyncClient] = {}

    def client_for(self, site_url: str) -> httpx.AsyncClient:
        """The client for a job's gateway: a loopback one never uses a proxy."""
        assert self.clients, "the app is not started"
        return self.clients[is_loopback_site(site_url)]


def create_app(
    files_root: Path,
    catalog: Catalog | None = None,
    sites: SitePolicy | None = None,
    job_delay: float = 0.0,
) -> Starlette:
    """The engine app, keeping its files under files_root.

    It works for gateways on loopback, and for those sites allows. Each job
    waits job_delay seconds, running, before its work (for tests).
    """
    try:
        files_root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise LocalServerError(
            f"the engine cannot use {files_root} for its files: {exc.strerror or exc}"
        ) from exc
    state = EngineState(
        files_root, catalog or Catalog.load(), sites or SitePolicy(), job_delay
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        sweeper = asyncio.create_task(_sweep_forever(state), name="sweep files")
        async with (
            httpx.AsyncClient(timeout=GATEWAY_TIMEOUT, trust_env=False) as direct,
            httpx.AsyncClient(timeout=GATEWAY_TIMEOUT) as proxied,
        ):
            state.clients = {True: direct, False: proxied}
            log.info("engine started; files in %s", files_root)
            try:
                yield
            finally:
                sweeper.cancel()
                await state.jobs.close()
                state.clients = {}

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
    media_type = request.headers.get("content-type", "").split(";")[0].strip()
    if media_type.lower() != "application/json":
        log.warning("refused a job sent as %r", media_type[:100])
        return _message(
            415, "a job must be sent as JSON (Content-Type: application/json)"
        )

    try:
        job = JobRequest.parse(parse_json(await read_body(request, MAX_JOB_BODY)))
    except BodyError as exc:
        log.warning("refused a job: %s", exc)
        return _message(exc.status, exc.message)
    except UsageError as exc:
        log.warning("refused a malformed job: %s", exc)
        return _message(400, str(exc))

    if not state.sites.allows(job.site_url):
        log.warning(
            "refused job %s: its gateway %s is not allowed", job.key, job.site_url
        )
        return _message(
            403,
            f"this engine works only for gateways on this computer, and "
            f"{job.site_url} is not one; start the engine with "
            f"--allow-site {job.site_url} to work for it",
        )
    if job.key in state.jobs:
        return _message(409, f"job {job.job_id} of site {job.site_id} is running")

    log.info("job %s/%s accepted: %s", job.site_id, job.job_id, job.script)
    state.jobs.start(
        job.key,
        run_job(
            job,
            state.catalog,
            state.client_for(job.site_url),
            state.files_root,
            state.job_delay,
        ),
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


async def _sweep_forever(state: EngineState) -> None:
    """Remove expired job folders now, then every SWEEP_EVERY seconds."""
    while True:
        # Run on the event loop, so no job claims a folder while it is swept.
        try:
            sweep(state.files_root, time.time(), running=state.jobs.keys())
        except OSError as exc:
            log.warning("could not look for expired job folders: %s", exc)
        await asyncio.sleep(SWEEP_EVERY)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return _message(exc.status_code, str(exc.detail))


def _message(status: int, text: str) -> JSONResponse:
    return JSONResponse({"message": text}, status_code=status)


def _state(request: Request) -> EngineState:
    state: EngineState = request.app.state.engine
    return state
