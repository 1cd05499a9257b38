"""The sandbox's side of the engine protocol: starting jobs, fetching files.

The gateway POSTs a new job to `ENGINE/jobs` and, when a user downloads a
result, streams `ENGINE/jobs/:site_id/:job_id/:file` through. Engines are
the URLs given with --engine; a job may name one with or without a
trailing slash. Failures become EngineError with a sentence a person can
act on: which engine, and what went wrong.
"""

import logging
from typing import Any
from urllib.parse import quote

import httpx

from app.errors import PegasusError

log = logging.getLogger(__name__)

DISPATCH_TIMEOUT = httpx.Timeout(15.0, connect=5.0)
FILE_TIMEOUT = httpx.Timeout(120.0, connect=5.0)
CHECK_TIMEOUT = httpx.Timeout(5.0)


class EngineError(PegasusError):
    """An engine could not be reached or refused a request.

    status is the engine's HTTP status when it answered, else None.
    """

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class EngineLink:
    """The listed engines and one HTTP client to talk to them."""

    def __init__(self, engines: list[str]) -> None:
        self.engines = list(engines)
        # trust_env=False: calls to loopback engines must not go to a proxy.
        self._client = httpx.AsyncClient(trust_env=False, timeout=DISPATCH_TIMEOUT)

    async def aclose(self) -> None:
        await self._client.aclose()

    def add(self, engine: str) -> bool:
        """List an engine at run time; False if it was listed already."""
        if self.resolve(engine) is not None:
            return False
        self.engines.append(engine.strip().rstrip("/"))
        log.info("engine %s added", engine)
        return True

    def remove(self, engine: str) -> bool:
        """Stop listing an engine; False if it was not listed."""
        listed = self.resolve(engine)
        if listed is None:
            return False
        self.engines.remove(listed)
        log.info("engine %s removed", listed)
        return True

    def resolve(self, engine: str) -> str | None:
        """The listed engine an URL names, ignoring a trailing slash."""
        wanted = engine.strip().rstrip("/")
        for listed in self.engines:
            if listed.rstrip("/") == wanted:
                return listed
        return None

    async def start_job(self, engine: str, body: dict[str, Any]) -> int:
        """POST a job to an engine; its HTTP status, EngineError if refused."""
        url = engine.rstrip("/") + "/jobs"
        log.debug("POST %s", url)
        try:
            response = await self._client.post(url, json=body)
        except httpx.HTTPError as exc:
            raise EngineError(
                f"the engine {engine} could not be reached: {_reason(exc)}"
            ) from exc

        if not response.is_success:
            raise EngineError(
                f"the engine {engine} refused the job: HTTP {response.status_code}"
                f"{_detail(response)}",
                response.status_code,
            )
        return response.status_code

    async def answers(self, engine: str) -> bool:
        """Whether the engine answers GET /manifest with a success now."""
        url = engine.rstrip("/") + "/manifest"
        try:
            response = await self._client.get(url, timeout=CHECK_TIMEOUT)
        except httpx.HTTPError as exc:
            log.debug("GET %s failed: %s", url, _reason(exc))
            return False
        log.debug("GET %s -> %s", url, response.status_code)
        return response.is_success

    async def open_file(
        self, engine: str, site_id: int, job_id: int, name: str
    ) -> httpx.Response:
        """A streaming response for one result file; the caller closes it."""
        url = f"{engine.rstrip('/')}/jobs/{site_id}/{job_id}/{quote(name, safe='')}"
        log.debug("GET %s", url)
        request = self._client.build_request("GET", url, timeout=FILE_TIMEOUT)
        try:
            response = await self._client.send(request, stream=True)
        except httpx.HTTPError as exc:
            raise EngineError(
                f"the engine {engine} could not be reached for {name}: {_reason(exc)}"
            ) from exc

        if not response.is_success:
            await response.aread()
            await response.aclose()
            raise EngineError(
                f"the engine {engine} answered HTTP {response.status_code} "
                f"for the file {name} of job {job_id}{_detail(response)}",
                status=response.status_code,
            )
        return response


def _reason(exc: httpx.HTTPError) -> str:
    """Plain words for why a connection failed, from the deepest cause."""
    if isinstance(exc, httpx.TimeoutException):
        return "it did not answer in time"
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused"
        if isinstance(cause, ConnectionResetError):
            return "the connection was reset"
        cause = cause.__cause__ or cause.__context__
    return str(exc) or type(exc).__name__


def _detail(response: httpx.Response) -> str:
    """The engine's own message, if it gave one, after a colon."""
    try:
        data = response.json()
    except ValueError:
        text = response.text.strip()
        return f": {text[:200]}" if text else ""
    if isinstance(data, dict) and data.get("message"):
        return f": {str(data['message'])[:200]}"
    return ""
