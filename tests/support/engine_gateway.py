"""A recording gateway for the engine tests, and how to post jobs to an engine.

A small gateway of our own (Starlette on 127.0.0.1, in a thread) serves
vehicles, groups and raw data from fixed data and records every request and
every PUT the engine sends. A test may script, per job token, the vehicles
and the events to answer: scripted events carry aware event times, and are
answered in the time zone the engine asks for, within its from/to, as a
gateway would.
"""

import asyncio
import csv
import datetime as dt
import http.client
import io
import itertools
import threading
import time
import urllib.parse
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from app.serve import bind_loopback

SITE_ID = 41
PERIOD = {"from": "2024-01-01T00:00:00", "to": "2024-01-01T02:00:00"}
VEHICLES = [
    {"id": 1, "name": "Truck 1", "groups": [10]},
    {"id": 2, "name": "Truck 2", "groups": [10]},
    {"id": 3, "name": "Van 3", "groups": [20]},
]
GROUPS = {10: {"id": 10, "name": "North", "vehicles": [1, 2]}, 20: {"id": 20}}


def at(time_of_day: str, ign: bool, kph: float, dist: float, **more: Any) -> dict:
    return {
        "event_time": f"2024-01-01T{time_of_day}",
        "io_ign": ign,
        "kph": kph,
        "dev_dist": dist,
        **more,
    }


# Vehicle 1, worked out by hand for 00:00-02:00 and min_idle 5:
#   idling: ignition on 00:00-00:30 and 01:00-02:00 = 5400 s; idle runs
#   00:00-00:10 (600 s, kept), 00:20-00:23 (180 s, too short), 01:00-02:00
#   (3600 s, kept until `to`): idleTime 4200, 2 periods, 78 %.
#   trips: one, 00:00 to the ignition-off event at 00:30, 9000 - 1000 m.
# Vehicle 2 never has its ignition on; vehicle 3 has no events.
PERIOD_EVENTS = {
    1: [
        {**at("00:00:00", True, 0, 0), "event_time": "2023-12-31T23:50:00"},
        at("00:00:00", True, 0, 1000, lat=10.0, lon=-70.0),
        at("00:10:00", True, 40, 1000),
        at("00:20:00", True, 0, 7000),
        at("00:23:00", True, 30, 7000),
        at("00:30:00", False, 0, 9000, lat=10.1, lon=-70.1),
        at("01:00:00", True, 0, 9000),
        at("02:00:00", False, 0, 9000),
    ],
    2: [at("00:30:00", False, 0, 500), at("01:30:00", False, 0, 500)],
}


def recent_events(now: dt.datetime) -> dict[int, list[dict]]:
    """For fleet status: 1 moving ten minutes ago, 2 last heard 2 days ago."""

    def wall(moment: dt.datetime) -> str:
        return moment.replace(tzinfo=None).isoformat(timespec="seconds")

    return {
        1: [
            {"event_time": wall(now - dt.timedelta(hours=3)), "io_ign": False},
            {
                "event_time": wall(now - dt.timedelta(minutes=10)),
                "io_ign": True,
                "kph": 50,
                "dev_dist": 123456,
                "lat": 19.4,
                "lon": -99.1,
            },
        ],
        2: [{"event_time": wall(now - dt.timedelta(days=2)), "io_ign": False}],
    }


class RecordingGateway:
    """A fake gateway on loopback that records what the engine asks of it."""

    def __init__(self) -> None:
        self.puts: list[tuple[str, dict[str, Any]]] = []
        self.gets: list[tuple[str, str, dict[str, str]]] = []
        self.scripted_events: dict[str, dict[int, list[dict[str, Any]]]] = {}
        self.scripted_vehicles: dict[str, list[dict[str, Any]]] = {}
        self.recent = recent_events(dt.datetime.now(dt.UTC))
        self._lock = threading.Lock()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    def start(self) -> None:
        sock = bind_loopback(0)
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        app = Starlette(
            routes=[
                Route("/api/vehicles", self._vehicles),
                Route("/api/groups/{group_id:int}", self._group),
                Route("/api/rawdata", self._rawdata),
                Route("/api/job_manager/{job_id}", self._put, methods=["PUT"]),
            ]
        )
        config = uvicorn.Config(
            app, log_level="warning", lifespan="off", timeout_graceful_shutdown=1
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=lambda: asyncio.run(self._server.serve(sockets=[sock])),
            daemon=True,
        )
        self._thread.start()
        while not self._server.started:
            time.sleep(0.01)

    def stop(self) -> None:
        assert self._server
        assert self._thread
        self._server.should_exit = True
        self._thread.join(10)

    # ---- what the tests script and read

    def script(
        self,
        token: str,
        events: dict[int, list[dict[str, Any]]] | None = None,
        vehicles: list[dict[str, Any]] | None = None,
    ) -> None:
        """Answer requests made with token from these events and vehicles.

        Each event's `event_time` is an aware datetime; it is answered as a
        wall time in the query's tz, when it lies within its from/to.
        """
        with self._lock:
            if events is not None:
                self.scripted_events[token] = events
            if vehicles is not None:
                self.scripted_vehicles[token] = vehicles

    def updates(self, job_id: int) -> list[dict[str, Any]]:
        with self._lock:
            return [body for jid, body in self.puts if jid == str(job_id)]

    def requests_with(self, token: str) -> list[tuple[str, dict[str, str]]]:
        with self._lock:
            return [(path, query) for tok, path, query in self.gets if tok == token]

    def wait_for_end(
        self, job_id: int, timeout: float = 60, nth: int = 1
    ) -> dict[str, Any]:
        """The job's nth final update (state done or error), once it came."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ends = [
                body
                for body in self.updates(job_id)
                if body.get("state") in ("done", "error")
            ]
            if len(ends) >= nth:
                return ends[nth - 1]
            time.sleep(0.05)
        raise AssertionError(f"job {job_id} did not end: {self.updates(job_id)}")

    # ---- the gateway's routes

    def _check(self, request: Request) -> str | None:
        token = request.headers.get("authenticate", "")
        if not token.startswith("tok-"):
            return None
        with self._lock:
            self.gets.append(
                (token, request.url.path, dict(request.query_params.items()))
            )
        return token

    async def _vehicles(self, request: Request) -> Response:
        if self._check(request) is None:
            return JSONResponse({"message": "not authenticated"}, status_code=401)
        token = request.headers["authenticate"]
        if token in self.scripted_vehicles:
            data = self.scripted_vehicles[token]
            return JSONResponse(
                {"set": len(data), "page": 1, "pages": 1, "total": len(data)}
                | {"data": data}
            )
        # Two to a page, whatever was asked, to make the engine walk pages.
        page = int(request.query_params.get("page", "1"))
        data = VEHICLES[(page - 1) * 2 : page * 2]
        return JSONResponse(
            {"set": len(data), "page": page, "pages": 2, "total": 3, "data": data}
        )

    async def _group(self, request: Request) -> Response:
        if self._check(request) is None:
            return JSONResponse({"message": "not authenticated"}, status_code=401)
        group = GROUPS.get(request.path_params["group_id"])
        if group is None:
            return JSONResponse({"message": "not found"}, status_code=404)
        return JSONResponse(group)

    async def _rawdata(self, request: Request) -> Response:
        token = self._check(request)
        if token is None:
            return JSONResponse({"message": "not authenticated"}, status_code=401)
        if token.startswith("tok-busy"):
            return JSONResponse({"message": "rawdata is resting"}, status_code=503)
        if token.startswith("tok-slow"):
            await asyncio.sleep(5)

        query = request.query_params
        vid = int(query["vehicles"])
        if token in self.scripted_events:
            events = _in_zone(self.scripted_events[token].get(vid, []), query)
        elif "duration" in query:
            events = self.recent.get(vid, [])[-int(query.get("tail", "0")) :]
        else:
            # Every window gets all events: the engine must keep each once.
            events = PERIOD_EVENTS.get(vid, [])
        # Ids as a gateway gives them, unique per event.
        rows = [{"id": vid * 1000 + n, "vid": vid, **e} for n, e in enumerate(events)]
        return JSONResponse({"units": {"distance": "meter"}, "events": rows})

    async def _put(self, request: Request) -> Response:
        body = await request.json()
        token = request.headers.get("authenticate", "")
        with self._lock:
            self.puts.append((request.path_params["job_id"], {**body, "_token": token}))
        return JSONResponse({"id": request.path_params["job_id"]})


def _in_zone(events: list[dict[str, Any]], query: Any) -> list[dict[str, Any]]:
    """Aware events within the query's from/to, as wall times in its tz."""
    zone = ZoneInfo(query.get("tz", "UTC"))
    start = dt.datetime.fromisoformat(query["from"]).replace(tzinfo=zone)
    end = dt.datetime.fromisoformat(query["to"]).replace(tzinfo=zone)
    answered = []
    for event in events:
        moment = event["event_time"]
        if start <= moment <= end:
            wall = moment.astimezone(zone).replace(tzinfo=None)
            answered.append({**event, "event_time": wall.isoformat()})
    return answered


_job_ids = itertools.count(1001)


def job_body(
    gateway: RecordingGateway,
    script: str,
    parameters: dict[str, Any],
    **configuration: Any,
) -> tuple[Any, str, dict[str, Any]]:
    """A job as a gateway would POST it; its id, token and body.

    configuration overrides the defaults; `token` names the job's token.
    """
    job_id = configuration.pop("job_id", next(_job_ids))
    token = configuration.pop("token", f"tok-{job_id}")
    body = {
        "configuration": {
            "site_id": SITE_ID,
            "site_url": gateway.url,
            "user_id": 86,
            "api_token": token,
            "tz": "UTC",
            "job_id": job_id,
            "job_name": script,
            "job_created_at": time.time(),
            "job_expires": 86400,
            **configuration,
        },
        "parameters": parameters,
    }
    return job_id, token, body


def post_job(
    engine: str,
    gateway: RecordingGateway,
    script: str,
    parameters: dict[str, Any],
    **configuration: Any,
) -> tuple[Any, str, httpx.Response]:
    """POST a job as a gateway would; return its id, token and the answer."""
    job_id, token, body = job_body(gateway, script, parameters, **configuration)
    answer = httpx.post(f"{engine}/jobs", json=body, timeout=10)
    return job_id, token, answer


def rows_of_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def raw_get(engine: str, path: str) -> int:
    """GET a path exactly as written (httpx would tidy `..` away)."""
    parts = urllib.parse.urlsplit(engine)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        connection.request("GET", path)
        return connection.getresponse().status
    finally:
        connection.close()


def wall(moment: dt.datetime) -> str:
    """A moment as a naive ISO wall time in UTC, to the second."""
    naive = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return naive.isoformat(timespec="seconds")


# ---- the manifest -------------------------------------------------------
