"""The sandbox gateway as one ASGI app: its routes, its state, its lifetime.

`build_app(settings, base_url)` opens the SQLite store, makes the fleet's
tracks and returns a Starlette app serving the Pegasus API under /api.
Collections, the version endpoint and rawdata are here; accounts, jobs and
tasks have their own modules. Every request passes through the fault
middleware (faults.py), which counts it and makes the faults set.
"""

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import AsyncIterator, Callable
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from app import __version__
from app.plurals import counted
from app.sandbox import fleet, rawdata
from app.sandbox.accounts import AccountRoutes
from app.sandbox.clock import SandboxClock
from app.sandbox.context import Sandbox, SandboxSettings
from app.sandbox.engine_log import EngineLogRoutes
from app.sandbox.engine_routes import EngineListRoutes
from app.sandbox.engines import EngineLink
from app.sandbox.faults import (
    FaultMiddleware,
    FaultRoutes,
    Faults,
    FaultSettings,
    HideCutLog,
)
from app.sandbox.jobs import JobRoutes
from app.sandbox.listing import lookup, page_of
from app.sandbox.scheduler import ClockRoutes, TaskRunner
from app.sandbox.sessions import Sessions
from app.sandbox.store import Store
from app.sandbox.tasks import TaskRoutes
from app.sandbox.tracks import FleetTracks
from app.sandbox.watchdog import EngineWatchdog
from app.sandbox.web import EXCEPTION_HANDLERS, ApiError

log = logging.getLogger(__name__)

SITE_IDS_FROM, SITE_IDS_COUNT = 1_000_000, 9_000_000  # seven-digit site ids
Records = Callable[[], list[dict[str, Any]]]
COLLECTIONS: dict[str, Records] = {
    "vehicles": lambda: [fleet.vehicle_record(v) for v in fleet.VEHICLES.values()],
    "groups": lambda: [fleet.group_record(g) for g in fleet.ALL_GROUP_IDS],
    "assets": lambda: [dict(a) for a in fleet.ASSETS],
    "geofences": fleet.geofence_records,
    "triggers": lambda: [dict(t) for t in fleet.TRIGGERS],
}


def open_sandbox(
    settings: SandboxSettings, base_url: str, faults: Faults | None = None
) -> Sandbox:
    """The sandbox's parts, its store opened and its fleet ready."""
    store = Store(settings.db_path)

    # The silent vehicle went quiet a few days before this database was made,
    # and stays so for the life of the file.
    today = datetime.now(ZoneInfo(fleet.FLEET_TZ)).date()
    default = (today - timedelta(days=fleet.STOPPED_DAYS_AGO)).isoformat()
    stopped_on = date.fromisoformat(store.setting("stopped_reporting_on", default))

    # Each database is its own site: two sandboxes sharing an engine must not
    # share the site id its files are kept under.
    drawn = str(SITE_IDS_FROM + secrets.randbelow(SITE_IDS_COUNT))
    site_id = settings.site_id or int(store.setting("site_id", drawn))

    return Sandbox(
        settings=settings,
        base_url=base_url.rstrip("/"),
        site_id=site_id,
        store=store,
        sessions=Sessions(
            store, settings.token_ttl, faults.session_limit if faults else lambda: None
        ),
        engines=EngineLink(list(settings.engines)),
        tracks=FleetTracks(settings.seed, stopped_on),
        started_at=time.time(),
    )


class FleetRoutes:
    """Version, collections and rawdata: the read-only side of the API."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        # The lists never change while the server runs: made once, not per
        # page asked, which matters with thousands of extra vehicles.
        self.lists = {name: make() for name, make in COLLECTIONS.items()}
        self.lists["vehicles"] += fleet.extra_vehicle_records(
            sandbox.settings.extra_vehicles
        )

    def routes(self) -> list[Route]:
        routes = [
            Route("/api", self.version, methods=["GET"]),
            Route("/api/", self.version, methods=["GET"]),
            Route("/api/rawdata", self.rawdata, methods=["GET"]),
        ]
        for name in COLLECTIONS:
            routes.append(Route(f"/api/{name}", self.collection, methods=["GET"]))
            routes.append(
                Route(f"/api/{name}/{{item_id:int}}", self.item, methods=["GET"])
            )
        return routes

    async def version(self, request: Request) -> Response:
        started = datetime.fromtimestamp(self.sandbox.started_at)
        return JSONResponse(
            {
                "domain": urlsplit(self.sandbox.base_url).netloc,
                "name": f"{__version__}-sandbox",
                "tag": f"{__version__}-sandbox",
                "date": started.strftime("%b %d %H:%M:%S %Y"),
                "pegasus_id": self.sandbox.site_id,
                "live_url": None,
            }
        )

    def _records(self, request: Request) -> tuple[str, list[dict[str, Any]]]:
        self.sandbox.sessions.check(request)
        name = request.url.path.removeprefix("/api/").split("/")[0]
        return name, self.lists[name]

    async def collection(self, request: Request) -> Response:
        _, records = self._records(request)
        return JSONResponse(page_of(request, records))

    async def item(self, request: Request) -> Response:
        name, records = self._records(request)
        item_id = request.path_params["item_id"]
        for record in records:
            if lookup(record, "id") == item_id:
                return JSONResponse(record)
        raise ApiError(404, f"there is no {name.rstrip('s')} {item_id}")

    async def rawdata(self, request: Request) -> Response:
        self.sandbox.sessions.check(request)
        query = rawdata.parse_query(
            request.query_params,
            request.headers,
            time.time(),
            prefs=self.sandbox.settings.user_prefs,
        )
        log.debug(
            "rawdata for %s over %.1f h",
            counted(len(query.vehicle_ids), "vehicle"),
            (query.end - query.start) / 3600,
        )
        # Generating and encoding take CPU time: keep the event loop free.
        body = await run_in_threadpool(rawdata.answer, query, self.sandbox.tracks)
        return Response(body, media_type="application/json")


def build_app(
    settings: SandboxSettings,
    base_url: str,
    fault_settings: FaultSettings | None = None,
) -> Starlette:
    """The ASGI app of a sandbox gateway reachable at base_url.

    fault_settings: the faults it makes from the start (none by default).
    """
    faults = Faults(fault_settings)
    sandbox = open_sandbox(settings, base_url, faults)
    jobs = JobRoutes(sandbox, faults)
    jobs.fail_undispatched()
    watchdog = EngineWatchdog(
        sandbox.store,
        sandbox.engines,
        settings.engine_check_every,
        settings.engine_grace,
        settings.job_stall,
    )
    runner = TaskRunner(sandbox, jobs, SandboxClock(settings.clock))
    uvicorn_log, hide_cuts = logging.getLogger("uvicorn.error"), HideCutLog(faults)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        log.info(
            "sandbox gateway ready at %s (database %s, site id %s)",
            base_url,
            settings.db_path,
            sandbox.site_id,
        )
        uvicorn_log.addFilter(hide_cuts)
        watching = asyncio.create_task(watchdog.run(), name="engine watchdog")
        scheduling = asyncio.create_task(runner.run(), name="task runner")
        try:
            yield
        finally:
            for task in (scheduling, watching):
                task.cancel()
            # One that died of an error must not keep the rest from closing.
            ends = await asyncio.gather(scheduling, watching, return_exceptions=True)
            for end in ends:
                if isinstance(end, Exception):
                    log.warning("a background task had failed: %s", end)
            try:
                await sandbox.background.aclose()
                await sandbox.engines.aclose()
            finally:
                sandbox.store.close()
                uvicorn_log.removeFilter(hide_cuts)
            log.info("sandbox gateway stopped")

    routes = [
        *FleetRoutes(sandbox).routes(),
        *AccountRoutes(sandbox).routes(),
        *jobs.routes(),
        *TaskRoutes(sandbox, runner).routes(),
        *ClockRoutes(sandbox, runner).routes(),
        *EngineLogRoutes(sandbox.engine_log, sandbox.sessions, sandbox.store).routes(),
        *EngineListRoutes(sandbox).routes(),
        *FaultRoutes(
            faults, lambda request: sandbox.sessions.check(request, write=True)
        ).routes(),
    ]
    counting = Middleware(
        FaultMiddleware,
        faults=faults,
        routes=routes,
        is_engine_call=sandbox.sessions.is_job_token,
    )
    return Starlette(
        routes=routes,
        middleware=[counting],
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=lifespan,
    )
