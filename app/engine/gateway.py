"""The engine's calls to the gateway that sent a job, with the job's token.

Every call goes to `<site>/api/...` with the token in the `Authenticate`
header, through the one httpx.AsyncClient the engine owns. A refusal
becomes a GatewayError whose text names the call, the status and the
gateway's own message ("rawdata request failed: 503 busy"); a gateway that
cannot be reached becomes a NetworkError saying so. An answer is read as it
streams in, up to MAX_ANSWER_BYTES once unpacked: a gzip answer of a few
kilobytes could otherwise unpack to gigabytes in the engine's memory.
"""

import json
import logging
import time
from typing import Any

import httpx

from app.errors import GatewayError, NetworkError

log = logging.getLogger(__name__)

PAGE_SIZE = 500
MAX_PAGES = 1000
# Far above a month of one vehicle's raw data (a few MB), far below trouble.
MAX_ANSWER_BYTES = 256 * 1024 * 1024
_MESSAGE_LIMIT = 200


def api_base(site_url: str) -> str:
    """The `/api` root of a site URL given with or without `/api` or a slash."""
    base = site_url.strip().rstrip("/")
    if base.endswith("/api"):
        base = base[: -len("/api")]
    return base + "/api"


class JobGateway:
    """The gateway of one job: its API root and the job's token."""

    def __init__(self, http: httpx.AsyncClient, site_url: str, token: str) -> None:
        self._http = http
        self.base = api_base(site_url)
        self._headers = {"Authenticate": token}

    async def update_job(self, job_id: str, body: dict[str, Any]) -> None:
        """PUT an update (state, progress, result) to the job."""
        await self._call("PUT", f"/job_manager/{job_id}", "job update", json=body)

    async def vehicles(self) -> list[dict[str, Any]]:
        """Every vehicle the token can see, walking the pages."""
        vehicles: list[dict[str, Any]] = []
        page, pages = 1, 1
        while page <= pages and page <= MAX_PAGES:
            body = await self._call(
                "GET", "/vehicles", "vehicles", params={"set": PAGE_SIZE, "page": page}
            )
            if isinstance(body, list):
                # Not an envelope: the whole list at once.
                return [v for v in body if isinstance(v, dict)]
            if not isinstance(body, dict) or not isinstance(body.get("data"), list):
                raise GatewayError(
                    f"vehicles request failed: {self.base}/vehicles answered "
                    "with no list of vehicles",
                    call="vehicles",
                )
            vehicles.extend(v for v in body["data"] if isinstance(v, dict))
            pages = _count(body.get("pages"), default=page)
            page += 1
        return vehicles

    async def group(self, group_id: int) -> dict[str, Any]:
        """One group object; GatewayError "group N not found" when missing."""
        try:
            body = await self._call("GET", f"/groups/{group_id}", "group")
        except GatewayError as exc:
            if exc.status == 404:
                raise GatewayError(
                    f"group {group_id} not found", status=404, call="group"
                ) from exc
            raise
        if not isinstance(body, dict):
            raise GatewayError(
                f"group request failed: group {group_id} is not an object",
                call="group",
            )
        return body

    async def rawdata(self, query: dict[str, str]) -> list[dict[str, Any]]:
        """The events of a rawdata query, from the envelope or a bare list."""
        body = await self._call("GET", "/rawdata", "rawdata", params=query)
        events = body.get("events") if isinstance(body, dict) else body
        if not isinstance(events, list):
            raise GatewayError(
                "rawdata request failed: the answer has no list of events",
                call="rawdata",
            )
        return [event for event in events if isinstance(event, dict)]

    async def _call(self, method: str, path: str, what: str, **kwargs: Any) -> Any:
        # TODO(engine): a 429 is not retried after X-RateLimit-Reset, so a job
        # over a large fleet on a busy gateway can end in a rate-limit error.
        url = self.base + path
        started = time.monotonic()
        try:
            async with self._http.stream(
                method, url, headers=self._headers, **kwargs
            ) as response:
                body = await _read_limited(response, what)
        except httpx.TimeoutException as exc:
            raise NetworkError(
                f"{what} request failed: {self.base} did not answer in time"
            ) from exc
        except httpx.HTTPError as exc:
            raise NetworkError(
                f"{what} request failed: could not reach {self.base} "
                f"({type(exc).__name__})"
            ) from exc

        log.debug(
            "%s %s -> %s in %.0f ms",
            method,
            url,
            response.status_code,
            (time.monotonic() - started) * 1000,
        )
        if not response.is_success:
            raise GatewayError(
                f"{what} request failed: {response.status_code} "
                f"{_message(response, body)}".rstrip(),
                status=response.status_code,
                call=what,
            )
        if not body:
            return None
        try:
            return json.loads(body)
        except ValueError as exc:
            raise GatewayError(
                f"{what} request failed: the answer is not JSON",
                status=response.status_code,
                call=what,
            ) from exc


async def _read_limited(response: httpx.Response, what: str) -> bytes:
    """The unpacked body, or GatewayError once it passes MAX_ANSWER_BYTES."""
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) > MAX_ANSWER_BYTES:
            raise GatewayError(
                f"{what} request failed: the gateway's answer is larger than "
                f"{MAX_ANSWER_BYTES // (1024 * 1024)} MB",
                status=response.status_code,
                call=what,
            )
    return bytes(body)


def _message(response: httpx.Response, body: bytes) -> str:
    """The gateway's own words about an error, kept short."""
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    if isinstance(data, dict) and isinstance(data.get("message"), str):
        text = data["message"]
    else:
        text = body.decode("utf-8", "replace") or response.reason_phrase
    return " ".join(text.split())[:_MESSAGE_LIMIT]


def _count(value: Any, *, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default
