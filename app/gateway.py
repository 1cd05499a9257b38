"""The client of a Pegasus Gateway: one signed-in session over HTTPS.

Every call goes through httpx with TLS verified: one client for remote
hosts, which follows the environment's proxy settings, and one for loopback
hosts, which never goes through a proxy (a local gateway's sign-in must not
leave the machine). The token travels in the `Authenticate` header
(PEGASUS_API.md §1.2), never in a URL, a log line or an error message.
Every call has an overall deadline, so a server that trickles its answer
cannot hang the caller, and a size limit on its answer counted once
unpacked (MAX_ANSWER_BYTES; a download, which goes to disk, stops at
MAX_DOWNLOAD_BYTES), so a small gzip answer cannot fill the memory.
Whatever goes wrong, the caller gets one of the app's errors naming the
call and what to do about it. A downloaded file is marked as coming from
the internet where the system keeps such marks (see app.downloads).
"""

import asyncio
import contextlib
import json
import logging
import re
import time
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import httpx

from app import APP_ID, __version__
from app.addresses import (
    is_loopback_host,
    normalize_site_url,
    url_problem,
    without_user_info,
)
from app.answers import (
    Answer,
    content_length,
    message_suffix,
    ms_since,
    plain_reason,
    read_limited,
    size_words,
)
from app.downloads import claim_final_name, mark_downloaded, open_part
from app.errors import AuthError, GatewayError, NetworkError
from app.jobs import Job
from app.jsonlimits import MAX_DOCUMENT_BYTES, JsonLimitError, read_json

log = logging.getLogger(__name__)

DEFAULT_EXPIRES = 432000  # five days, as in the gateway's own examples
MAX_PAGES = 10000
CHUNK_SIZE = 64 * 1024
MAX_ANSWER_BYTES = 20 * 1024 * 1024  # once unpacked: far above any real answer
MAX_DOWNLOAD_BYTES = 2 * 1024**3  # a report file, written to disk as it comes

ProgressListener = Callable[[int, int | None], None]

_STATUS_HINTS = {
    404: "; it does not exist on this gateway, or is hidden from this user",
    429: "; the gateway limits how fast it may be called: wait and retry",
}


JOB_MANAGER_PATH = "/job_manager"
TASKS_PATH = "/tasks"


def job_body(
    *,
    script: str,
    name: str,
    engine: str,
    args: dict[str, Any],
    expires: int = DEFAULT_EXPIRES,
) -> dict[str, Any]:
    """The body of the request that creates a job (PEGASUS_API.md, job_manager).

    The one place it is built: what is sent, and what the report page shows
    as the body Run would send. It never holds the token, which travels in
    a header.
    """
    return {
        "script": script,
        "name": name,
        "expires": expires,
        "engine": engine,
        "args": args,
    }


class Gateway:
    """One session with a Pegasus Gateway (a real one or the sandbox)."""

    def __init__(
        self,
        url: str,
        *,
        token: str | None = None,
        timeout: float = 30.0,
        deadline: float | None = None,
        max_answer_bytes: int = MAX_ANSWER_BYTES,
        max_download_bytes: int = MAX_DOWNLOAD_BYTES,
    ) -> None:
        """timeout bounds each connect and read; deadline a whole call.

        A download has no overall deadline, but each 64 KB of it must
        arrive within the deadline (twice the timeout unless given).
        Answers are read up to max_answer_bytes, downloads up to
        max_download_bytes, both counted once unpacked.
        """
        self.site_url = normalize_site_url(url)
        self.api_url = self.site_url + "/api"
        self.timeout = timeout
        self.deadline = deadline if deadline is not None else 2 * timeout
        self.max_answer_bytes = max_answer_bytes
        self.max_download_bytes = max_download_bytes
        self._token = token or None
        # Whether the gateway has taken the session yet: a 401 before that is
        # a token given from outside that was never good, not an expiry.
        self._accepted = False
        self._clients: dict[bool, httpx.AsyncClient] = {}

    @property
    def token(self) -> str | None:
        return self._token

    @token.setter
    def token(self, value: str | None) -> None:
        """A token from outside: until a call succeeds with it, a 401 says
        the gateway did not accept this token (rather than that the session
        ended)."""
        self._token = value or None
        self._accepted = False

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
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await client.aclose()

    # -- calls ------------------------------------------------------------

    async def login(self, username: str, password: str) -> None:
        """Sign in with a user name and password and keep the session token."""
        body = {"username": username, "password": password}
        answer = await self._request("POST", "/login", json=body, signing_in=True)
        data = self._json_object(answer)

        token = data.get("auth")
        if not isinstance(token, str) or not token.strip():
            raise GatewayError(
                f"{self._call('POST', '/login')} answered without a session token "
                "(no 'auth' in the answer); is this a Pegasus Gateway?",
                status=answer.status,
                call=self._call("POST", "/login"),
            )
        self._token = token.strip()
        self._accepted = True
        log.info("signed in to %s as %s", self.site_url, username)

    async def user(self) -> dict[str, Any]:
        """The signed-in user: user name, scopes, prefs (§1.5)."""
        return self._json_object(await self._request("GET", "/user"))

    async def engines(self) -> list[str]:
        """The engine URLs this gateway can use, as a list of strings."""
        answer = await self._request("GET", "/job_manager/engines")
        data = self._json(answer)

        # Both shapes are in the wild (PEGASUS_API.md §9.1).
        if isinstance(data, dict) and "engines" in data:
            data = data["engines"]
        if not isinstance(data, list) or not all(isinstance(e, str) for e in data):
            raise self._shape_error(answer, "a list of engine URLs")
        return list(dict.fromkeys(e.strip() for e in data if e.strip()))

    async def manifest_text(self, engine_url: str) -> str:
        """The raw text of an engine's manifest, fetched from the engine.

        The gateway's token is not sent: the engine is another server.
        """
        address = engine_url.strip().rstrip("/")
        base = without_user_info(address)  # as shown in messages
        call = f"GET {base}/manifest"
        problem = url_problem(address)
        if problem is None and urllib.parse.urlsplit(address).scheme.lower() not in (
            "http",
            "https",
        ):
            problem = "it is not an http(s) URL"
        if problem is not None:
            raise GatewayError(
                f"the engine address {base!r} is not valid ({problem}); "
                "ask the gateway's administrator to fix its engine list",
                call=call,
            )

        answer = await self._send(
            "GET",
            f"{address}/manifest",
            call=call,
            where=f"the engine at {base}",
            limit=MAX_DOCUMENT_BYTES,
        )
        if answer.status >= 400:
            raise GatewayError(
                f"the engine at {base} answered GET /manifest with HTTP "
                f"{answer.status}{message_suffix(answer)}",
                status=answer.status,
                call=call,
            )
        encoding = answer.response.encoding or "utf-8"
        return answer.body.decode(encoding, errors="replace")

    async def list_all(
        self,
        resource: str,
        *,
        params: dict[str, Any] | None = None,
        page_size: int = 1000,
    ) -> list[dict[str, Any]]:
        """Every item of a paginated collection, e.g. list_all("vehicles").

        Pages are asked for page_size items at a time (1000, the most a
        gateway gives, §3.1) and walked until `pages`; a gateway that gives
        no `pages` is walked until a page comes back short or `total` is
        reached. A page that brings no item not seen before ends the walk
        (a gateway ignoring `page` would otherwise be asked MAX_PAGES times).
        """
        path = "/" + resource.strip("/")
        items: list[dict[str, Any]] = []
        seen: set[Any] = set()
        page = 1

        while page <= MAX_PAGES:
            query = {**(params or {}), "set": page_size, "page": page}
            answer = await self._request("GET", path, params=query)
            data = self._json(answer)

            if isinstance(data, list):  # a gateway that does not paginate
                return self._items(data, answer)
            if not isinstance(data, dict) or not isinstance(data.get("data"), list):
                raise self._shape_error(answer, "a page {data, page, pages}")
            batch = self._items(data["data"], answer)
            fresh = _new_items(batch, seen)
            items.extend(fresh)

            if batch and not fresh:
                log.warning(
                    "%s gave page %d again with nothing new; %d %s kept",
                    answer.call,
                    page,
                    len(items),
                    resource,
                )
                break
            if not _more_pages(data, page, len(batch), len(items), page_size):
                break
            page += 1
        else:
            log.warning(
                "%s has more than %d pages; only the first %d %s are used",
                self._call("GET", path),
                MAX_PAGES,
                len(items),
                resource,
            )

        log.debug("%d %s listed in %d pages", len(items), resource, page)
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
        body = job_body(
            script=script, name=name, engine=engine, args=args, expires=expires
        )
        return await self.send_job(body)

    async def send_job(self, body: dict[str, Any]) -> Job:
        """POST a job_body() to the gateway's job_manager; the new job."""
        answer = await self._request("POST", JOB_MANAGER_PATH, json=body)
        job = Job.from_json(self._json_object(answer))
        if job.id <= 0:
            raise self._shape_error(answer, "a job with an id")

        log.info("job %s created: %s on %s", job.id, body["script"], body["engine"])
        return job

    async def job(self, job_id: int) -> Job:
        """The job as the gateway knows it now."""
        answer = await self._request("GET", f"/job_manager/{int(job_id)}")
        return Job.from_json(self._json_object(answer))

    # -- scheduled tasks (PEGASUS_API.md §6; app.task_shapes reads them) ----

    async def tasks(self) -> list[dict[str, Any]]:
        """Every scheduled task of this user, as the gateway wrote it."""
        return await self.list_all(TASKS_PATH)

    async def create_task(self, body: dict[str, Any]) -> dict[str, Any]:
        """POST a task (app.task_shapes.task_body); the task as stored."""
        answer = await self._request("POST", TASKS_PATH, json=body)
        task = self._json_object(answer)
        log.info("task %s created: %s", task.get("id"), body.get("name"))
        return task

    async def update_task(self, task_id: int, body: dict[str, Any]) -> dict[str, Any]:
        """PUT a task's new body; the task as stored."""
        answer = await self._request("PUT", f"{TASKS_PATH}/{int(task_id)}", json=body)
        log.info("task %s changed", task_id)
        return self._json_object(answer)

    async def delete_task(self, task_id: int) -> None:
        await self._request("DELETE", f"{TASKS_PATH}/{int(task_id)}")
        log.info("task %s deleted", task_id)

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
        download never leaves a file under the final name. The file is then
        marked as downloaded from the gateway (Windows only).
        """
        # "..", "." and names with a slash would be read by the gateway as
        # another path (GET /api/job_manager/5/.. is the job list).
        if filename.strip() in ("", ".", "..") or re.search(r"[/\\]", filename):
            raise GatewayError(
                f"job {int(job_id)} lists a result file named {filename!r}, "
                "which is not a plain file name; it was not downloaded",
                call=self._call("GET", f"/job_manager/{int(job_id)}/..."),
            )
        quoted = urllib.parse.quote(filename, safe="")
        path = f"/job_manager/{int(job_id)}/{quoted}"
        call = self._call("GET", path)
        part_path, part = open_part(folder, filename)

        try:
            with part:
                await self._stream_to(part, path, call, on_progress)
            final = claim_final_name(part_path, folder, filename)
        except BaseException:
            part_path.unlink(missing_ok=True)
            raise

        mark_downloaded(final, self.site_url, host_url=self.api_url + path)
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
        url = self.api_url + path
        client = self._client_for(url)
        request = client.build_request("GET", url, headers=self._auth_headers())
        started = time.monotonic()
        received = 0
        with self._failures(call, self._where):
            async with asyncio.timeout(self.deadline):
                response = await client.send(request, stream=True)
            try:
                if response.status_code >= 300:
                    async with asyncio.timeout(self.deadline):
                        body = await read_limited(
                            response,
                            limit=self.max_answer_bytes,
                            call=call,
                            where=self._where,
                        )
                    self._fail_unless_ok(Answer(response, body), call)

                total = content_length(response)
                # No deadline for the whole file, which may be large: one per
                # chunk, so a trickle of bytes still counts as a stall.
                loop = asyncio.get_running_loop()
                async with asyncio.timeout(self.deadline) as stall:
                    async for chunk in response.aiter_bytes(CHUNK_SIZE):
                        stall.reschedule(loop.time() + self.deadline)
                        received += len(chunk)
                        self._check_download_size(received, call)
                        part.write(chunk)
                        if on_progress is not None:
                            on_progress(received, total)
            finally:
                await response.aclose()

        log.debug("%s: %s bytes in %.0f ms", call, received, ms_since(started))

    def _check_download_size(self, received: int, call: str) -> None:
        """GatewayError once a download passes max_download_bytes."""
        if received <= self.max_download_bytes:
            return
        error = GatewayError(
            f"{call} sent more than {size_words(self.max_download_bytes)}; the "
            "download was stopped, as no report file should be that large",
            call=call,
        )
        log.warning("%s", error)
        raise error

    async def _request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        signing_in: bool = False,
    ) -> Answer:
        """Send a call to the gateway's API and fail unless it succeeded."""
        call = self._call(method, path)
        answer = await self._send(
            method,
            self.api_url + path,
            call=call,
            where=self._where,
            limit=self.max_answer_bytes,
            json=json,
            params=params,
            headers={} if signing_in else self._auth_headers(),
        )
        self._fail_unless_ok(answer, call, signing_in=signing_in)
        return answer

    async def _send(
        self,
        method: str,
        url: str,
        *,
        call: str,
        where: str,
        limit: int,
        **kwargs: Any,
    ) -> Answer:
        """Send a request and read its answer, at most limit bytes unpacked."""
        client = self._client_for(url)
        started = time.monotonic()
        with self._failures(call, where):
            async with (
                asyncio.timeout(self.deadline),
                client.stream(method, url, **kwargs) as response,
            ):
                body = await read_limited(response, limit=limit, call=call, where=where)

        log.debug("%s -> %s in %.0f ms", call, response.status_code, ms_since(started))
        return Answer(response, body)

    def _client_for(self, url: str) -> httpx.AsyncClient:
        """The client for url: loopback hosts never go through a proxy."""
        direct = is_loopback_host(urllib.parse.urlsplit(url).hostname or "")
        client = self._clients.get(direct)
        if client is None:
            # Redirects are not followed: a custom header would go with them.
            client = httpx.AsyncClient(
                timeout=self.timeout,
                follow_redirects=False,
                trust_env=not direct,
                headers={
                    "User-Agent": f"{APP_ID}/{__version__}",
                    "Accept": "application/json",
                },
            )
            self._clients[direct] = client
        return client

    @contextlib.contextmanager
    def _failures(self, call: str, where: str) -> Iterator[None]:
        """httpx's errors and our deadlines, raised as the app's NetworkError."""
        try:
            yield
        except (httpx.HTTPError, TimeoutError) as exc:
            if isinstance(exc, httpx.HTTPError):
                error = self._network_error(exc, call, where)
            else:
                error = NetworkError(
                    f"{where} stopped answering {call}: nothing usable came "
                    f"within {self.deadline:g} s; check the address and your "
                    "connection"
                )
            log.warning("%s", error)
            raise error from exc

    def _fail_unless_ok(
        self, answer: Answer, call: str, *, signing_in: bool = False
    ) -> None:
        """Raise the app's error for any answer but a success."""
        status = answer.status
        if status < 300:
            self._accepted = self._accepted or not signing_in
            return
        if status == 401:
            raise self._auth_error(call, signing_in=signing_in)
        if status < 400:
            location = answer.header("location", "somewhere else")
            raise GatewayError(
                f"{call} was redirected to {location}; use the gateway's final "
                "address (for example https:// instead of http://)",
                status=status,
                call=call,
            )

        message = message_suffix(answer)
        error = GatewayError(
            f"{call} failed with HTTP {status}{message}{self._hint(status, message)}",
            status=status,
            call=call,
        )
        log.warning("%s", error)
        raise error

    def _auth_error(self, call: str, *, signing_in: bool) -> AuthError:
        """The words for a 401: which credentials were refused, and when."""
        if signing_in:
            log.warning("%s: the gateway refused the user name or password", call)
            return AuthError("the gateway refused the user name or password")
        if not self._accepted:
            log.warning("%s: 401 for a token not yet accepted", call)
            return AuthError(
                f"the gateway did not accept this token ({call}); check the token, "
                "or sign in with a user name and password"
            )
        # For support: a 401 is also what a user lacking a permission gets.
        log.warning("%s: 401, the session expired or lacks a permission", call)
        return AuthError(
            f"the gateway no longer accepts your sign-in ({call}); sign in again"
        )

    def _hint(self, status: int, message: str) -> str:
        """What to make of an error status, unless the gateway said it already."""
        if status != 404:
            return _STATUS_HINTS.get(status, "")

        # A gateway's own message for a 404 already says there is no such
        # thing; ours after it would say it a second time.
        hint = "" if message.startswith(":") else _STATUS_HINTS[404]
        if not self._accepted:
            hint += self._address_hint()
        return hint

    def _address_hint(self) -> str:
        """For a 404 before any call worked: the address may hold a path too many."""
        parts = urllib.parse.urlsplit(self.site_url)
        if not parts.path.strip("/"):
            return ""
        origin = urllib.parse.urlunsplit((parts.scheme, parts.netloc, "", "", ""))
        return (
            f"; check the gateway address: its site is probably {origin}, "
            f"without {parts.path}"
        )

    def _json(self, answer: Answer) -> Any:
        call = answer.call
        content_type = answer.header("content-type", "no content type")
        try:
            return read_json(answer.body)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise GatewayError(
                f"{call} answered with something that is not JSON "
                f"({content_type.split(';')[0]}); is {self.site_url} a Pegasus "
                "Gateway?",
                status=answer.status,
                call=call,
            ) from exc
        except JsonLimitError as exc:
            raise GatewayError(
                f"{call} answered with JSON that cannot be used: {exc}",
                status=answer.status,
                call=call,
            ) from exc

    def _json_object(self, answer: Answer) -> dict[str, Any]:
        data = self._json(answer)
        if not isinstance(data, dict):
            raise self._shape_error(answer, "a JSON object")
        return data

    def _items(self, data: list[Any], answer: Answer) -> list[dict[str, Any]]:
        if not all(isinstance(item, dict) for item in data):
            raise self._shape_error(answer, "a list of objects")
        return data

    def _shape_error(self, answer: Answer, expected: str) -> GatewayError:
        return GatewayError(
            f"{answer.call} answered with JSON of an unexpected shape (expected "
            f"{expected}); is {self.site_url} a Pegasus Gateway?",
            status=answer.status,
            call=answer.call,
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
            return NetworkError(f"could not reach {where}: {plain_reason(exc)}")
        return NetworkError(
            f"the connection to {where} failed during {call}: {plain_reason(exc)}"
        )

    def _call(self, method: str, path: str) -> str:
        """How a call is named in messages: "GET /api/job_manager/5"."""
        return f"{method} {urllib.parse.urlsplit(self.api_url).path}{path}"

    @property
    def _where(self) -> str:
        return f"the gateway at {self.site_url}"

    def _auth_headers(self) -> dict[str, str]:
        return {"Authenticate": self._token} if self._token else {}


def _item_id(item: dict[str, Any]) -> Any:
    """An item's id: on top, or under `properties` for a geofence (§3.3)."""
    if "id" in item:
        return item["id"]
    properties = item.get("properties")
    return properties.get("id") if isinstance(properties, dict) else None


def _new_items(batch: list[dict[str, Any]], seen: set[Any]) -> list[dict[str, Any]]:
    """The items of a page not listed on an earlier page (by id).

    Items without a usable id cannot be told apart, so they are all kept.
    """
    fresh = []
    for item in batch:
        key = _item_id(item)
        if isinstance(key, int | str) and not isinstance(key, bool):
            if key in seen:
                continue
            seen.add(key)
        fresh.append(item)
    return fresh


def _more_pages(
    envelope: dict[str, Any], page: int, got: int, total_so_far: int, size: int
) -> bool:
    """Whether a page after this one is to be asked for."""
    if got == 0:
        return False
    pages = envelope.get("pages")
    if isinstance(pages, int) and not isinstance(pages, bool):
        return page < pages
    total = envelope.get("total")
    if isinstance(total, int) and not isinstance(total, bool):
        return total_so_far < total
    # Neither pages nor total: a full page may have more behind it.
    return got >= size
