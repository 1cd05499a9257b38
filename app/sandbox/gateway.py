"""The sandbox gateway as one ASGI app: its routes, its state, its lifetime.

`build_app(settings, base_url)` opens the SQLite store, makes the fleet's
tracks and returns a Starlette app serving the Pegasus API under /api.
Collections, the version endpoint and rawdata are here; accounts, jobs and
tasks have their own modules.
"""

import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from app import __version__
from app.sandbox import fleet, rawdata
from app.sandbox.accounts import AccountRoutes
from app.sandbox.context import Sandbox, SandboxSettings
from app.sandbox.engines import EngineLink
from app.sandbox.jobs import JobRoutes
from app.sandbox.listing import lookup, page_of
from app.sandbox.sessions import Sessions
from app.sandbox.store import Store
from app.sandbox.tasks import TaskRoutes
from app.sandbox.tracks import FleetTracks
from app.sandbox.web import EXCEPTION_HANDLERS, ApiError

log = logging.getLogger(__name__)

Records = Callable[[], list[dict[str, Any]]]
COLLECTIONS: dict[str, Records] = {
    "vehicles": lambda: [fleet.vehicle_record(v) for v in fleet.VEHICLES.values()],
    "groups": lambda: [fleet.group_record(g) for g in fleet.ALL_GROUP_IDS],
    "assets": lambda: [dict(a) for a in fleet.ASSETS],
    "geofences": fleet.geofence_records,
    "triggers": lambda: [dict(t) for t in fleet.TRIGGERS],
}


def open_sandbox(settings: SandboxSettings, base_url: str) -> Sandbox:
    """The sandbox's parts, its store opened and its fleet ready."""
    store = Store(settings.db_path)

    # The silent vehicle went quiet a few days before this database was made,
    # and stays so for the life of the file.
    today = datetime.now(ZoneInfo(fleet.FLEET_TZ)).date()
    default = (today - timedelta(days=fleet.STOPPED_DAYS_AGO)).isoformat()
    stopped_on = date.fromisoformat(store.setting("stopped_reporting_on", default))

    return Sandbox(
        settings=settings,
        base_url=base_url.rstrip("/"),
        store=store,
        sessions=Sessions(store, settings.token_ttl),
        engines=EngineLink(list(settings.engines)),
        tracks=FleetTracks(settings.seed, stopped_on),
        started_at=time.time(),
    )


class FleetRoutes:
    """Version, collections and rawdata: the read-only side of the API."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

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
                "pegasus_id": self.sandbox.settings.site_id,
                "live_url": None,
            }
        )

    def _records(self, request: Request) -> tuple[str, list[dict[str, Any]]]:
        self.sandbox.sessions.check(request)
        name = request.url.path.removeprefix("/api/").split("/")[0]
        return name, COLLECTIONS[name]()

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
        query = rawdata.parse_query(request.query_params, request.headers, time.time())
        log.debug(
            "rawdata for %d vehicles over %.1f h",
            len(query.vehicle_ids),
            (query.end - query.start) / 3600,
        )
        # Generating and encoding take CPU time: keep the event loop free.
        body = await run_in_threadpool(rawdata.answer, query, self.sandbox.tracks)
        return Response(body, media_type="application/json")


def build_app(settings: SandboxSettings, base_url: str) -> Starlette:
    """The ASGI app of a sandbox gateway reachable at base_url."""
    sandbox = open_sandbox(settings, base_url)
    jobs = JobRoutes(sandbox)
    jobs.fail_undispatched()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        log.info(
            "sandbox gateway ready at %s (database %s)", base_url, settings.db_path
        )
        try:
            yield
        finally:
            await sandbox.background.aclose()
            await sandbox.engines.aclose()
            sandbox.store.close()
            log.info("sandbox gateway stopped")

    routes = [
        *FleetRoutes(sandbox).routes(),
        *AccountRoutes(sandbox).routes(),
        *jobs.routes(),
        *TaskRoutes(sandbox).routes(),
    ]
    return Starlette(
        routes=routes,
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=lifespan,
    )
