"""Adding and removing the sandbox's engines while it runs, for local engines.

`POST /api/sandbox/engines` with `{"url": ...}` lists an engine, and
`DELETE /api/sandbox/engines?url=...` stops listing it, so that an engine
the window starts shows its reports in the catalog and takes jobs. Both
need a signed-in user's token (not a job's), come only from this computer,
and name only engines on this computer: the sandbox must not be turned
into a way to send requests elsewhere.
"""

import logging
from ipaddress import ip_address
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from app.sandbox.context import Sandbox
from app.sandbox.web import ApiError

log = logging.getLogger(__name__)

PATH = "/api/sandbox/engines"


class EngineListRoutes:
    """The run-time engine list of one sandbox."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    def routes(self) -> list[Route]:
        return [
            Route(PATH, self.add, methods=["POST"]),
            Route(PATH, self.remove, methods=["DELETE"]),
        ]

    async def add(self, request: Request) -> Response:
        self._check_caller(request)
        try:
            body = await request.json()
        except ValueError as exc:
            raise ApiError(400, "the body must be a JSON object with a url") from exc
        url = body.get("url") if isinstance(body, dict) else None
        engine = _loopback_engine(url)

        added = self.sandbox.engines.add(engine)
        return JSONResponse(
            {"engines": self.sandbox.engines.engines, "added": added},
            status_code=201 if added else 200,
        )

    async def remove(self, request: Request) -> Response:
        self._check_caller(request)
        engine = _loopback_engine(request.query_params.get("url"))

        removed = self.sandbox.engines.remove(engine)
        return JSONResponse(
            {"engines": self.sandbox.engines.engines, "removed": removed}
        )

    def _check_caller(self, request: Request) -> None:
        self.sandbox.sessions.check(request, write=True)
        host = request.client.host if request.client else ""
        if not _is_loopback(host):
            raise ApiError(403, "engines may be added only from this computer")


def _loopback_engine(url: object) -> str:
    """The engine URL, if it is http(s) on this computer; else ApiError 400."""
    if not isinstance(url, str) or not url.strip():
        raise ApiError(400, "give the engine's address as url")
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not _is_loopback(parts.hostname or ""):
        raise ApiError(
            400,
            f"url: {url} is not an http address on this computer "
            "(127.0.0.1, ::1 or localhost)",
        )
    return url.strip().rstrip("/")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False
