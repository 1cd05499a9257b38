"""The client of a Pegasus Gateway: one signed-in session over HTTPS.

Every call goes through one httpx.AsyncClient with TLS verified. The token
travels in the `Authenticate` header (PEGASUS_API.md §1.2), never in a URL,
a log line or an error message. Whatever goes wrong, the caller gets one of
the app's errors naming the call and what to do about it.
"""

import errno
import json
import logging
import os
import secrets
import socket
import ssl
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import httpx

from app import APP_ID, __version__
from app.downloads import safe_filename, unique_path
from app.errors import AuthError, GatewayError, NetworkError, UsageError
from app.jobs import Job

log = logging.getLogger(__name__)

DEFAULT_EXPIRES = 432000  # five days, as in the gateway's own examples
MAX_PAGES = 10000
CHUNK_SIZE = 64 * 1024

ProgressListener = Callable[[int, int | None], None]

_STATUS_HINTS = {
    404: "; it does not exist on this gateway, or is hidden from this user",
    429: "; the gateway limits how fast it may be called: wait and retry",
}


def normalize_site_url(url: str) -> str:
    """The site URL without `/api`, query or trailing slash; http(s) only."""
    text = url.strip()
    parsed = urllib.parse.urlsplit(text)
    if parsed.scheme.lower() not in ("http", "https") or not parsed.hostname:
        raise UsageError(
            f"the gateway address {text!r} must be a full URL starting with "
            "https:// (or http:// for a local gateway), e.g. "
            "https://cloud.pegasusgateway.com"
        )

    path = parsed.path.rstrip("/")
    if path.lower().endswith("/api"):
        path = path[: -len("/api")].rstrip("/")
    return urllib.parse.urlunsplit((parsed.scheme.lower(), parsed.netloc, path, "", ""))


class Gateway:
    """One session with a Pegasus Gateway (a real one or the sandbox)."""

    def __init__(
        self, url: str, *, token: str | None = None, timeout: float = 30.0
    ) -> None:
        self.site_url = normalize_site_url(url)
        self.api_url = self.site_url + "/api"
        self.timeout = timeout
        self._token = token or None
        # Redirects are not followed: a custom header would go along with them.
        self._client = httpx.AsyncClient(
            timeout=timeout,
            follow_redirects=False,
            headers={
                "User-Agent": f"{APP_ID}/{__version__}",
                "Accept": "application/json",
            },
        )

    @property
    def token(self) -> str | None:
        return self._token

    @token.setter
    def token(self, value: str | None) -> None:
        self._token = value or None

    def __repr__(self) -> str:
        state = "signed in" if self._token else "not signed in"
        return f"<Gateway {self.site_url} ({state})>"

    async def __aenter__(self) -> "Gateway":
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    # -- calls ------------------------------------------------------------

    async def login(self, username: str, password: str) -> None:
        """Sign in with a user name and password and keep the session token."""
        body = {"username": username, "password": password}
        response = await self._request("POST", "/login", json=body, signing_in=True)
        data = self._json_object(response)

        token = data.get("auth")
        if not isinstance(token, str) or not token.strip():
            raise GatewayError(
                f"{self._call('POST', '/login')} answered without a session token "
                "(no 'auth' in the answer); is this a Pegasus Gateway?",
                status=response.status_code,
                call=self._call("POST", "/login"),
            )
        self._token = token.strip()
        log.info("signed in to %s as %s", self.site_url, username)

    async def user(self) -> dict[str, Any]:
        """The signed-in user: user name, scopes, prefs (§1.5)."""
        return self._json_object(await self._request("GET", "/user"))

    async def engines(self) -> list[str]:
        """The engine URLs this gateway can use, as a list of strings."""
        response = await self._request("GET", "/job_manager/engines")
        data = self._json(response)

        # Both shapes are in the wild (PEGASUS_API.md §9.1).
        if isinstance(data, dict) and "engines" in data:
            data = data["engines"]
        if not isinstance(data, list) or not all(isinstance(e, str) for e in data):
            raise self._shape_error(response, "a list of engine URLs")
        return list(dict.fromkeys(e.strip() for e in data if e.strip()))

    async def manifest_text(self, engine_url: str) -> str:
        """The raw text of an engine's manifest, fetched from the engine.

        The gateway's token is not sent: the engine is another server.
        """
        base = engine_url.strip().rstrip("/")
        if urllib.parse.urlsplit(base).scheme.lower() not in ("http", "https"):
            raise GatewayError(
                f"the engine address {engine_url!r} is not an http(s) URL; "
                "ask the gateway's administrator to fix its engine list",
                call=f"GET {base}/manifest",
            )
        response = await self._send(
            "GET",
            f"{base}/manifest",
            call=f"GET {base}/manifest",
            where=f"the engine at {base}",
        )
        if response.status_code >= 400:
            raise GatewayError(
                f"the engine at {base} answered GET /manifest with HTTP "
                f"{response.status_code}{_message_suffix(response)}",
                status=response.status_code,
                call=f"GET {base}/manifest",
            )
        return response.text

    async def list_all(
        self,
        resource: str,
        *,
        params: dict[str, Any] | None = None,
        page_size: int = 1000,
    ) -> list[dict[str, Any]]:
        """Every item of a paginated collection, e.g. list_all("vehicles")."""
        path = "/" + resource.strip("/")
        items: list[dict[str, Any]] = []
        page = 1

        while page <= MAX_PAGES:
            query = {**(params or {}), "set": page_size, "page": page}
            response = await self._request("GET", path, params=query)
            data = self._json(response)

            if isinstance(data, list):  # a gateway that does not paginate
                return self._items(data, response)
            if not isinstance(data, dict) or not isinstance(data.get("data"), list):
                raise self._shape_error(response, "a page {data, page, pages}")
            batch = self._items(data["data"], response)
            items.extend(batch)

            pages = data.get("pages")
            if not isinstance(pages, int) or page >= pages or not batch:
                break
            page += 1
        return items

    async def create_job(
        self,
        *,
        script: str,
        name: str,
        engine: str,
        args: dict[str, Any],
        expires: int = DEFAULT_EXPIRES,
    ) -> Job:
        """Ask the gateway to run a script on an engine; the new job."""
        body = {
            "script": script,
            "name": name,
            "expires": expires,
            "engine": engine,
            "args": args,
        }
        response = await self._request("POST", "/job_manager", json=body)
        job = Job.from_json(self._json_object(response))
        if job.id <= 0:
            raise self._shape_error(response, "a job with an id")

        log.info("job %s created: %s on %s", job.id, script, engine)
        return job

    async def job(self, job_id: int) -> Job:
        """The job as the gateway knows it now."""
        response = await self._request("GET", f"/job_manager/{int(job_id)}")
        return Job.from_json(self._json_object(response))

    async def download(
        self,
        job_id: int,
        filename: str,
        folder: Path,
        *,
        on_progress: ProgressListener | None = None,
    ) -> Path:
        """Save one of a job's result files in folder; the path written.

        The server's name is made safe and unique in folder. The bytes go to
        a temporary `.part` file, renamed only once complete, so a failed
        download never leaves a file under the final name.
        """
        quoted = urllib.parse.quote(filename, safe="")
        path = f"/job_manager/{int(job_id)}/{quoted}"
        call = self._call("GET", path)
        part_path, part = _open_part(folder, filename)

        try:
            with part:
                await self._stream_to(part, path, call, on_progress)
            final = _claim_final_name(part_path, folder, filename)
        except BaseException:
            part_path.unlink(missing_ok=True)
            raise

        log.info("downloaded %s of job %s to %s", filename, job_id, final)
        return final

    # -- plumbing ---------------------------------------------------------

    async def _stream_to(
        self,
        part: IO[bytes],
        path: str,
        call: str,
        on_progress: ProgressListener | None,
    ) -> None:
        request = self._client.build_request(
            "GET", self.api_url + path, headers=self._auth_headers()
        )
        started = time.monotonic()
        try:
            response = await self._client.send(request, stream=True)
            try:
                if response.status_code >= 300:
                    await response.aread()
                    self._fail_unless_ok(response, call)

                total = _content_length(response)
                received = 0
                async for chunk in response.aiter_bytes(CHUNK_SIZE):
                    part.write(chunk)
                    received += len(chunk)
                    if on_progress is not None:
                        on_progress(received, total)
            finally:
                await response.aclose()
        except httpx.HTTPError as exc:
            error = self._network_error(exc, call, self._where)
            log.warning("%s", error)
            raise error from exc

        log.debug("%s: %s bytes in %.0f ms", call, received, _ms_since(started))

    async def _request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        signing_in: bool = False,
    ) -> httpx.Response:
        """Send a call to the gateway's API and fail unless it succeeded."""
        call = self._call(method, path)
        response = await self._send(
            method,
            self.api_url + path,
            call=call,
            where=self._where,
            json=json,
            params=params,
            headers={} if signing_in else self._auth_headers(),
        )
        self._fail_unless_ok(response, call, signing_in=signing_in)
        return response

    async def _send(
        self,
        method: str,
        url: str,
        *,
        call: str,
        where: str,
        **kwargs: Any,
    ) -> httpx.Response:
        started = time.monotonic()
        try:
            response = await self._client.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            error = self._network_error(exc, call, where)
            log.warning("%s", error)
            raise error from exc

        log.debug("%s -> %s in %.0f ms", call, response.status_code, _ms_since(started))
        return response

    def _fail_unless_ok(
        self, response: httpx.Response, call: str, *, signing_in: bool = False
    ) -> None:
        """Raise the app's error for any answer but a success."""
        status = response.status_code
        if status < 300:
            return
        if status == 401:
            what = "user name or password" if signing_in else "session"
            log.warning("%s: the gateway refused the %s (401)", call, what)
            if signing_in:
                raise AuthError("the gateway refused the user name or password")
            raise AuthError(
                f"the gateway no longer accepts this session (401 on {call}); "
                "sign in again (a missing permission also gives 401)"
            )
        if status < 400:
            location = response.headers.get("location", "somewhere else")
            raise GatewayError(
                f"{call} was redirected to {location}; use the gateway's final "
                "address (for example https:// instead of http://)",
                status=status,
                call=call,
            )

        hint = _STATUS_HINTS.get(status, "")
        error = GatewayError(
            f"{call} failed with HTTP {status}{_message_suffix(response)}{hint}",
            status=status,
            call=call,
        )
        log.warning("%s", error)
        raise error

    def _json(self, response: httpx.Response) -> Any:
        call = _call_of(response)
        content_type = response.headers.get("content-type", "no content type")
        try:
            return json.loads(response.content)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise GatewayError(
                f"{call} answered with something that is not JSON "
                f"({content_type.split(';')[0]}); is {self.site_url} a Pegasus "
                "Gateway?",
                status=response.status_code,
                call=call,
            ) from exc

    def _json_object(self, response: httpx.Response) -> dict[str, Any]:
        data = self._json(response)
        if not isinstance(data, dict):
            raise self._shape_error(response, "a JSON object")
        return data

    def _items(self, data: list[Any], response: httpx.Response) -> list[dict[str, Any]]:
        if not all(isinstance(item, dict) for item in data):
            raise self._shape_error(response, "a list of objects")
        return data

    def _shape_error(self, response: httpx.Response, expected: str) -> GatewayError:
        call = _call_of(response)
        return GatewayError(
            f"{call} answered with JSON of an unexpected shape (expected "
            f"{expected}); is {self.site_url} a Pegasus Gateway?",
            status=response.status_code,
            call=call,
        )

    def _network_error(
        self, exc: httpx.HTTPError, call: str, where: str
    ) -> NetworkError:
        if isinstance(exc, httpx.TimeoutException):
            return NetworkError(
                f"{where} did not answer {call} within {self.timeout:g} s; "
                "check the address and your connection"
            )
        if isinstance(exc, httpx.ConnectError):
            return NetworkError(f"could not reach {where}: {_plain_reason(exc)}")
        return NetworkError(
            f"the connection to {where} failed during {call}: {_plain_reason(exc)}"
        )

    def _call(self, method: str, path: str) -> str:
        """How a call is named in messages: "GET /api/job_manager/5"."""
        return f"{method} {urllib.parse.urlsplit(self.api_url).path}{path}"

    @property
    def _where(self) -> str:
        return f"the gateway at {self.site_url}"

    def _auth_headers(self) -> dict[str, str]:
        return {"Authenticate": self._token} if self._token else {}


def _call_of(response: httpx.Response) -> str:
    return f"{response.request.method} {response.request.url.path}"


def _message_suffix(response: httpx.Response) -> str:
    """ ": <message>" from a JSON error body, or a word on what came instead."""
    try:
        data = json.loads(response.content)
    except (json.JSONDecodeError, UnicodeDecodeError):
        kind = response.headers.get("content-type", "").split(";")[0]
        return f" (the answer was {kind} instead of JSON)" if kind else ""
    if isinstance(data, dict):
        for key in ("message", "error", "detail"):
            if isinstance(data.get(key), str) and data[key].strip():
                return ": " + data[key].strip()
    return ""


def _plain_reason(exc: BaseException) -> str:
    """The cause of a network failure in a few words."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return f"its TLS certificate could not be verified ({seen.verify_message})"
        if isinstance(seen, socket.gaierror):
            return "the host name is not known (check the address)"
        if isinstance(seen, ConnectionRefusedError) or (
            isinstance(seen, OSError) and seen.errno == errno.ECONNREFUSED
        ):
            return "connection refused (is the server running on that port?)"
        seen = seen.__cause__ or seen.__context__

    text = str(exc).strip()
    if "refused" in text.lower():
        return "connection refused (is the server running on that port?)"
    return text or type(exc).__name__


def _content_length(response: httpx.Response) -> int | None:
    value = response.headers.get("content-length")
    return int(value) if value and value.isdigit() else None


def _ms_since(started: float) -> float:
    return (time.monotonic() - started) * 1000


def _open_part(folder: Path, filename: str) -> tuple[Path, IO[bytes]]:
    """A new temporary `.part` file in folder, open for writing."""
    path = folder / f"{safe_filename(filename)}.{secrets.token_hex(4)}.part"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        return path, path.open("xb")
    except OSError as exc:
        raise UsageError(f"cannot write files in {folder}: {exc.strerror}") from exc


def _claim_final_name(part_path: Path, folder: Path, filename: str) -> Path:
    """Give the complete file its name, never replacing an existing file."""
    for _attempt in range(100):
        final = unique_path(folder, filename)
        try:
            # A hard link fails if the name was taken meanwhile; rename would not.
            os.link(part_path, final)
        except FileExistsError:
            continue
        except OSError:
            # Some file systems have no hard links; the name was free just now.
            part_path.rename(final)
            return final
        part_path.unlink()
        return final
    raise UsageError(f"could not find a free file name for {filename} in {folder}")
