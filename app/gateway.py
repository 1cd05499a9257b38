"""The client of a Pegasus Gateway: the calls of its API.

How each call is sent, retried, signed in again and read is the session's
(app.gateway_session); here are the calls themselves. Two need more than
one request. Creating a job is never repeated blindly: an answer lost
after the request went out leads to a look for the job before any new
send (send_job). A download goes to a hidden part file and, when cut off,
goes on from where it stopped with a Range request (app.resume); the file
is named only once whole, and is marked as coming from the internet where
the system keeps such marks (see app.downloads).
"""

import asyncio
import logging
import re
import time
import urllib.parse
from pathlib import Path
from typing import Any

import httpx

from app.addresses import normalize_site_url, url_problem, without_user_info
from app.answers import Answer, message_suffix, ms_since, read_limited
from app.downloads import (
    claim_final_name,
    download_key,
    drop_part,
    make_folder,
    mark_downloaded,
    part_path,
    part_size,
    saved_name,
)
from app.errors import GatewayError, NetworkError
from app.gateway_errors import never_sent
from app.gateway_session import (
    MAX_ANSWER_BYTES,
    MAX_DOWNLOAD_BYTES,
    GatewaySession,
)
from app.job_lookup import find_created
from app.jobs import Job
from app.jsonlimits import MAX_DOCUMENT_BYTES
from app.paging import more_pages, new_items
from app.resume import (
    ProgressListener,
    Start,
    body_start,
    complete_already,
    receive,
    request_headers,
)
from app.retry import BusyError, Streak

__all__ = [
    "DEFAULT_EXPIRES",
    "JOB_MANAGER_PATH",
    "MAX_ANSWER_BYTES",
    "MAX_DOWNLOAD_BYTES",
    "Gateway",
    "job_body",
    "normalize_site_url",
]

log = logging.getLogger(__name__)

DEFAULT_EXPIRES = 432000  # five days, as in the gateway's own examples
MAX_PAGES = 10000

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


class Gateway(GatewaySession):
    """One session with a Pegasus Gateway (a real one or the sandbox).

    The calls of the API; how each request is sent, retried, signed in
    again and read is GatewaySession's (app.gateway_session).
    """

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
        self._reauth.token_changed()
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

        try:
            answer = await self._send(
                "GET",
                f"{address}/manifest",
                call=call,
                where=f"the engine at {base}",
                limit=MAX_DOCUMENT_BYTES,
            )
        except NetworkError as exc:
            log.warning("%s", exc)
            raise
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
            fresh = new_items(batch, seen)
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
            if not more_pages(data, page, len(batch), len(items), page_size):
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
        """POST a job_body() to the gateway's job_manager; the new job.

        The job is never created twice. A send refused before any
        connection was made, or answered 429 or 503, surely made nothing: it
        is sent again after a wait. A send that timed out, was cut off after
        the request went out, or was answered 502/504 may have made
        the job: before any new send, the user's newest jobs are searched
        for it (app.job_lookup: same script, name, engine and parameters,
        created since just before the first send), and a job found is
        taken as the answer. Only when none is found is the job sent
        again. Past the retry deadline the error says the job may exist.
        """
        since = self._clock.since()
        streak = Streak(self.retry, self._rng)
        unsure = False

        while True:
            try:
                job = await self._job_sent_or_found(body, since, unsure=unsure)
                break
            except (NetworkError, BusyError) as exc:
                unsure = unsure or _maybe_sent(exc)
                wait = self._retry_wait(exc, streak)
                if wait is None:
                    raise self._create_failed(exc, unsure=unsure) from exc
                self._link.trouble(str(exc))
                await asyncio.sleep(wait)

        self._link.answered()
        self._jobs_held.add(job.id)
        return job

    async def _job_sent_or_found(
        self, body: dict[str, Any], since: float, *, unsure: bool
    ) -> Job:
        """The job made by an earlier send if unsure and found, else a new one."""
        if unsure:
            found = await find_created(self._jobs_page, body, since, self._jobs_held)
            if found is not None:
                log.info(
                    "job %s was created although its answer was lost; it is "
                    "used rather than created again",
                    found.id,
                )
                return found

        answer = await self._authorized(
            lambda: self._answer("POST", JOB_MANAGER_PATH, json=body)
        )
        job = Job.from_json(self._json_object(answer))
        if job.id <= 0:
            raise self._shape_error(answer, "a job with an id")
        log.info("job %s created: %s on %s", job.id, body["script"], body["engine"])
        return job

    async def _jobs_page(self, page: int, size: int) -> Any:
        """One page of the user's jobs, newest first on the gateways we know."""
        query = {"set": size, "page": page}
        return self._json(await self._request("GET", JOB_MANAGER_PATH, params=query))

    def _create_failed(
        self, error: NetworkError | BusyError, *, unsure: bool
    ) -> NetworkError | GatewayError:
        """The error for a create given up on, saying whether the job may exist."""
        log.warning("%s", error)
        if not unsure:
            return error
        text = (
            f"{error}; the job may have been created all the same: look for it "
            "in the job list before running the report again"
        )
        if isinstance(error, NetworkError):
            return NetworkError(text)
        return GatewayError(text, status=error.status, call=error.call)

    async def job(self, job_id: int) -> Job:
        """The job as the gateway knows it now."""
        answer = await self._request("GET", f"/job_manager/{int(job_id)}")
        return Job.from_json(self._json_object(answer))

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

        The name is made safe and unique in folder (app.downloads.saved_name:
        the answer's Content-Disposition `filename*` may give it). The bytes
        go to a hidden `.part` file named after the gateway, job and file,
        renamed only once complete and of the size announced, so a partial
        file is never shown under a report's name. A download cut off is
        tried again with `Range` from where it stopped, within this call
        and by a later call for the same file and folder; a gateway that
        ignores Range sends the whole file again. The part is removed when
        the gateway refuses the file (an error status, too large). The file
        is then marked as downloaded from the gateway (Windows only).
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
        key = download_key(self.site_url, job_id, filename)
        part = part_path(folder, filename, key)
        make_folder(folder)

        # TODO(downloads): the lock holds within this client only; two app
        # processes saving the same file to one folder would share its part.
        async with self._part_locks.setdefault(part, asyncio.Lock()):
            try:
                name = await self._retrying(
                    call,
                    lambda streak: self._authorized(
                        lambda: self._fetch_part(part, path, call, streak, on_progress)
                    ),
                )
            except GatewayError as exc:
                if not isinstance(exc, BusyError):
                    drop_part(part)  # refused: nothing to resume
                raise
            final = claim_final_name(part, folder, saved_name(filename, name))

        mark_downloaded(final, self.site_url, host_url=self.api_url + path)
        log.info("downloaded %s of job %s to %s", filename, job_id, final)
        return final

    async def _fetch_part(
        self,
        part: Path,
        path: str,
        call: str,
        streak: Streak,
        on_progress: ProgressListener | None,
    ) -> str:
        """One try at the rest of a file; the answer's Content-Disposition."""
        url = self.api_url + path
        client = self._client_for(url)
        offset = part_size(part)
        headers = {**self._auth_headers(), **request_headers(offset)}
        request = client.build_request("GET", url, headers=headers)
        started = time.monotonic()

        with self._failures(call, self._where):
            async with asyncio.timeout(self.deadline):
                response = await client.send(request, stream=True)
            try:
                self._heard(response)
                start = await self._download_start(response, part, offset, call)
                if start is not None:
                    await receive(
                        response,
                        part,
                        start,
                        call=call,
                        limit=self.max_download_bytes,
                        stall=self.deadline,
                        on_bytes=streak.reached,
                        on_progress=on_progress,
                    )
            finally:
                await response.aclose()

        log.debug("%s from byte %d in %.0f ms", call, offset, ms_since(started))
        return response.headers.get("content-disposition", "")

    async def _download_start(
        self, response: httpx.Response, part: Path, offset: int, call: str
    ) -> Start | None:
        """Where the answer's bytes go; None if the part is already whole."""
        if complete_already(response, offset):
            return None
        start = body_start(response, offset) if response.status_code < 300 else None
        if start is not None:
            return start

        if offset > 0 and response.status_code in (206, 416):
            # Not the range asked for: the next try asks for the whole file.
            drop_part(part)
            raise NetworkError(
                f"{self._where} sent another part of the file than asked "
                f"during {call}; the download starts again"
            )
        async with asyncio.timeout(self.deadline):
            body = await read_limited(
                response, limit=self.max_answer_bytes, call=call, where=self._where
            )
        self._fail_unless_ok(Answer(response, body), call)
        raise self._shape_error(Answer(response, body), "a file")


def _maybe_sent(error: NetworkError | BusyError) -> bool:
    """Whether a failed create may have reached the gateway all the same."""
    if isinstance(error, BusyError):
        # 429 and 503 say the request was not taken on; a proxy's 502 or 504
        # may hide a create the gateway finished.
        return error.status not in (429, 503)
    return not never_sent(error)
