"""Faults the sandbox can be told to make, so clients are tried on real HTTP.

The settings come from the command line (--fault-* and --token-ttl, see
cli.py) and can be changed while the sandbox runs with
`PUT /api/sandbox/faults`. Random choices come from one generator seeded
with --fault-seed, so a run can be repeated.

What this module does itself, as an ASGI middleware around the routes:
count every request (`GET /api/sandbox/stats`), delay /api answers
(latency), answer a share of them with 503 instead of handling them, and
break the JSON body of a share of `GET /api/job_manager/:id` answers. The
faults of one route (a slow create, a cut download, ignored ranges, tokens
that expire) are applied by that route, asking the Faults object here.

The faults imitate a gateway as the app sees it: the control routes
(/api/sandbox/...) and calls made with a job's token (the engines') never
get them, and POST /api/login is never answered with a 503.
"""

import asyncio
import logging
import math
import random
import re
import time
from collections import Counter
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from dataclasses import asdict, dataclass, replace
from ipaddress import ip_address
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Match, Route

from app.errors import UsageError
from app.sandbox.web import ApiError, json_object

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Checker = Callable[[Request], Any]

CONTROL_PREFIX = "/api/sandbox/"
LOGIN_PATH = "/api/login"
JOB_PATH = re.compile(r"/api/job_manager/[0-9]+")
MOST_SECONDS = 3600.0  # of latency or slow create: a test must end
MOST_TOKEN_TTL = 366 * 86_400.0
MOST_BYTES = 2**53


@dataclass(frozen=True)
class FaultSettings:
    """Which faults are on; the defaults are none."""

    latency: float = 0.0  # seconds before each /api request is handled
    server_errors: float = 0.0  # share of /api answers replaced by 503
    drop_downloads: int = 0  # bytes after which a file's download is cut
    no_range: bool = False  # downloads ignore Range
    malformed: float = 0.0  # share of GET /api/job_manager/:id with broken JSON
    slow_create: float = 0.0  # seconds a created job's answer waits
    token_ttl: float | None = None  # seconds from sign-in; None: sliding only
    seed: int = 0

    def as_json(self) -> dict[str, Any]:
        """The settings under the names the PUT route and its answer use."""
        values = asdict(self)
        return {name: values[field] for name, field in JSON_NAMES.items()}


# The JSON name of each setting, and its command-line flag.
JSON_NAMES = {
    "latency": "latency",
    "5xx": "server_errors",
    "drop_downloads": "drop_downloads",
    "no_range": "no_range",
    "malformed": "malformed",
    "slow_create": "slow_create",
    "token_ttl": "token_ttl",
    "seed": "seed",
}
FLAGS = {
    "latency": "--fault-latency",
    "server_errors": "--fault-5xx",
    "drop_downloads": "--fault-drop-downloads",
    "no_range": "--fault-no-range",
    "malformed": "--fault-malformed",
    "slow_create": "--fault-slow-create",
    "token_ttl": "--token-ttl",
    "seed": "--fault-seed",
}


class SettingError(Exception):
    """A fault setting's value that cannot be used; the text says why."""


def checked(field: str, value: Any) -> Any:
    """value made right for the setting `field`; SettingError says what is wrong."""
    return CHECKS[field](value)


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise SettingError("must be true or false")
    return value


def _whole(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise SettingError("must be a whole number")
    return value


def _bytes(value: Any) -> int:
    if not 0 <= _whole(value) <= MOST_BYTES:
        raise SettingError(f"must be from 0 (never) to {MOST_BYTES} bytes")
    return int(value)


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SettingError("must be a number")
    return float(value)


def _share(value: Any) -> float:
    share = _number(value)
    if not 0 <= share <= 1:
        raise SettingError("must be a share from 0 to 1")
    return share


def _seconds(value: Any) -> float:
    seconds = _number(value)
    if not 0 <= seconds <= MOST_SECONDS:
        raise SettingError(f"must be from 0 to {MOST_SECONDS:.0f} seconds")
    return seconds


def _lifetime(value: Any) -> float | None:
    if value is None:
        return None
    seconds = _number(value)
    if seconds == 0:
        return None  # no limit, as 0 is for drop_downloads
    if not (math.isfinite(seconds) and 0 < seconds <= MOST_TOKEN_TTL):
        raise SettingError("must be a positive number of seconds")
    return seconds


CHECKS: dict[str, Callable[[Any], Any]] = {
    "latency": _seconds,
    "server_errors": _share,
    "drop_downloads": _bytes,
    "no_range": _flag,
    "malformed": _share,
    "slow_create": _seconds,
    "token_ttl": _lifetime,
    "seed": _whole,
}


def settings_from_flags(values: dict[str, Any]) -> FaultSettings:
    """FaultSettings from the command line's values, by field; UsageError."""
    good: dict[str, Any] = {}
    for field, value in values.items():
        try:
            good[field] = checked(field, value)
        except SettingError as exc:
            raise UsageError(f"{FLAGS[field]} {exc}") from exc
    return FaultSettings(**good)


class Faults:
    """The faults in force, their random choices, and the request counts."""

    def __init__(self, settings: FaultSettings | None = None) -> None:
        self.settings = settings or FaultSettings()
        self._random = random.Random(self.settings.seed)
        self._cut_files: set[tuple[int, str]] = set()
        self.requests = 0
        self.by_path: Counter[str] = Counter()
        self.counted_since = time.time()
        # Downloads cut on purpose whose end uvicorn has yet to log.
        self.cuts_to_hide = 0

    def change(self, body: dict[str, Any]) -> FaultSettings:
        """Apply a PUT body (JSON names); ApiError 400 naming a bad key."""
        fields: dict[str, Any] = {}
        for name, value in body.items():
            field = JSON_NAMES.get(name)
            if field is None:
                known = ", ".join(JSON_NAMES)
                raise ApiError(
                    400, f"{name[:100]}: not a fault setting (known: {known})"
                )
            try:
                fields[field] = checked(field, value)
            except SettingError as exc:
                raise ApiError(400, f"{name}: {exc}") from exc

        self.settings = replace(self.settings, **fields)
        if "seed" in fields:
            self._random = random.Random(self.settings.seed)
        if "drop_downloads" in fields:
            # Set again, it starts over: each file is cut once more.
            self._cut_files.clear()
        log.info("faults now %s", self.settings.as_json())
        return self.settings

    def happens(self, share: float) -> bool:
        """Whether a fault given as a share of answers strikes this one."""
        return share > 0 and self._random.random() < share

    def cut_point(self, job_id: int, name: str, length: int) -> int | None:
        """After how many bytes of `length` this download is cut; None: never.

        Each file is cut once, so the download after a cut goes through.
        """
        limit = self.settings.drop_downloads
        key = (job_id, name)
        if limit <= 0 or limit >= length or key in self._cut_files:
            return None
        self._cut_files.add(key)
        return limit

    def cut_made(self, job_id: int, name: str, sent: int) -> None:
        """Note a download cut on purpose (its end is not an error)."""
        log.info(
            "cut the download of %s of job %s after %s bytes (--fault-drop-downloads)",
            name,
            job_id,
            sent,
        )
        # TODO(sandbox): if the client left before the cut, uvicorn logs
        # nothing, and the next "without completing response" line, a real
        # one, is hidden instead.
        self.cuts_to_hide += 1

    def session_limit(self) -> float | None:
        """Seconds from sign-in after which a user's token is refused."""
        return self.settings.token_ttl

    def count(self, route: str) -> None:
        self.requests += 1
        self.by_path[route] += 1

    def stats(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "by_path": dict(sorted(self.by_path.items())),
            "since": self.counted_since,
        }

    def reset_stats(self) -> None:
        self.requests = 0
        self.by_path.clear()
        self.counted_since = time.time()


class FaultMiddleware:
    """ASGI middleware: counts requests, and makes the faults of any route."""

    def __init__(
        self,
        app: Any,
        faults: Faults,
        routes: Sequence[BaseRoute],
        is_engine_call: Callable[[Request], bool],
    ) -> None:
        self.app = app
        self.faults = faults
        self.routes = routes
        self.is_engine_call = is_engine_call

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        try:
            await self._answer(scope, receive, send)
        finally:
            # Counted once answered: the router has named the route by then.
            self.faults.count(f"{scope['method']} {self._template(scope)}")

    async def _answer(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._may_fault(scope):
            await self.app(scope, receive, send)
            return

        method, path = scope["method"], scope["path"]
        settings = self.faults.settings
        if settings.latency > 0:
            await asyncio.sleep(settings.latency)
        if path != LOGIN_PATH and self.faults.happens(settings.server_errors):
            log.info("%s %s answered 503 (--fault-5xx)", method, path)
            await _unavailable()(scope, receive, send)
            return
        job_read = method == "GET" and JOB_PATH.fullmatch(path) is not None
        if job_read and self.faults.happens(settings.malformed):
            log.info(
                "%s %s answered with broken JSON (--fault-malformed)", method, path
            )
            await self.app(scope, receive, BreakingSend(send))
            return
        await self.app(scope, receive, send)

    def _may_fault(self, scope: Scope) -> bool:
        path: str = scope["path"]
        settings = self.faults.settings
        if not (settings.latency or settings.server_errors or settings.malformed):
            return False
        if not (path == "/api" or path.startswith("/api/")):
            return False
        if path.startswith(CONTROL_PREFIX):
            return False
        # Engines work for the gateway; faults are for the app to survive.
        return not self.is_engine_call(Request(scope))

    def _template(self, scope: Scope) -> str:
        """The route's path with names for its parameters, e.g. /api/x/{id}."""
        routed = scope.get("route")
        if isinstance(routed, Route):
            return routed.path_format

        # Not routed: answered 503 by a fault, or no route has the path.
        partial = None
        for route in self.routes:
            match, _ = route.matches(scope)
            if match is Match.FULL and isinstance(route, Route):
                return route.path_format
            if match is Match.PARTIAL and partial is None and isinstance(route, Route):
                partial = route.path_format
        return partial or "(no route)"


class BreakingSend:
    """Wraps send: a 200 answer goes out with half its body, broken JSON."""

    def __init__(self, send: Send) -> None:
        self._send = send
        self._start: Message | None = None
        self._passing = False
        self._body = bytearray()

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self._passing = message["status"] != 200
            if self._passing:
                await self._send(message)
            else:
                self._start = message
            return
        if self._passing or self._start is None:
            await self._send(message)
            return

        self._body += message.get("body", b"")
        if message.get("more_body", False):
            return
        # A JSON object cut in half never parses: it misses its closing brace.
        broken = bytes(self._body[: max(1, len(self._body) // 2)])
        headers = [
            (key, value)
            for key, value in self._start.get("headers", [])
            if key.lower() != b"content-length"
        ]
        headers.append((b"content-length", str(len(broken)).encode()))
        await self._send({**self._start, "headers": headers})
        await self._send({"type": "http.response.body", "body": broken})


def _unavailable() -> Response:
    return JSONResponse(
        {
            "message": "the sandbox gateway is unavailable for a moment (a fault it "
            "was told to make); try again"
        },
        status_code=503,
    )


class HideCutLog(logging.Filter):
    """Drops uvicorn's error line for a download the sandbox cut on purpose.

    Returning mid-body is how an ASGI app closes the connection; uvicorn
    logs it as an error, which here it is not (the sandbox logs the cut).
    """

    def __init__(self, faults: Faults) -> None:
        super().__init__()
        self.faults = faults

    def filter(self, record: logging.LogRecord) -> bool:
        if self.faults.cuts_to_hide and "without completing response" in str(
            record.msg
        ):
            self.faults.cuts_to_hide -= 1
            return False
        return True


class FaultRoutes:
    """PUT /api/sandbox/faults and GET /api/sandbox/stats, for tests and bench."""

    def __init__(self, faults: Faults, check_user: Checker) -> None:
        self.faults = faults
        self.check_user = check_user

    def routes(self) -> list[Route]:
        return [
            Route("/api/sandbox/faults", self.show, methods=["GET"]),
            Route("/api/sandbox/faults", self.change, methods=["PUT"]),
            Route("/api/sandbox/stats", self.stats, methods=["GET"]),
            Route("/api/sandbox/stats", self.reset, methods=["DELETE"]),
        ]

    async def show(self, request: Request) -> Response:
        self._check_caller(request)
        return JSONResponse(self.faults.settings.as_json())

    async def change(self, request: Request) -> Response:
        self._check_caller(request)
        body = await json_object(request)
        return JSONResponse(self.faults.change(body).as_json())

    async def stats(self, request: Request) -> Response:
        self._check_caller(request)
        return JSONResponse(self.faults.stats())

    async def reset(self, request: Request) -> Response:
        self._check_caller(request)
        self.faults.reset_stats()
        return JSONResponse(self.faults.stats())

    def _check_caller(self, request: Request) -> None:
        self.check_user(request)
        host = request.client.host if request.client else ""
        if not _is_loopback(host):
            raise ApiError(403, "this route answers requests from this computer only")


def _is_loopback(host: str) -> bool:
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"
