"""The /api/job_manager routes: create, dispatch, follow and download jobs.

A new job is stored in state `created`, answered at once (201), then sent
to its engine by a background task with a token made for that job alone;
a job that cannot be sent, for whatever reason, ends in error at once.
The engine reports with PUT /api/job_manager/:id using that token; state
done or error closes the job. An update is checked against the job and
written in one transaction, after its whole body has arrived: an update
that was still arriving when the job closed (a slow PUT beside the "done"
one, or after the watchdog closed it) is refused with 409 and changes
nothing. Files are streamed from the engine, whole or a byte range
(relay.py), and only the names the engine listed in `result.files` can be
asked for. Two faults (faults.py) act here: a create answered late, after
its job is stored and sent, and a download cut once per file.
"""

import asyncio
import logging
import time
from typing import Any

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from app.sandbox.context import Sandbox
from app.sandbox.engine_log import token_owner
from app.sandbox.engines import EngineError
from app.sandbox.faults import Faults
from app.sandbox.fleet import FLEET_TZ
from app.sandbox.listing import page_of
from app.sandbox.relay import (
    FileRelay,
    UnsatisfiableRangeError,
    known_length,
    unsatisfiable,
    wanted_range,
)
from app.sandbox.sessions import Principal
from app.sandbox.store import Store
from app.sandbox.web import ApiError, json_object

log = logging.getLogger(__name__)

DEFAULT_LIFETIME = 86_400  # seconds, when a job gives no `expires`
MAX_LIFETIME = 30 * 86_400

# TODO(sandbox): expired jobs are never removed and there is no DELETE or
# cancel; the jobs list of a long-used sandbox only grows.
UPDATE_STATES = ("running", "done", "error")
CLOSED_STATES = ("done", "error")
UPDATE_OBJECTS = ("parameters", "progress", "result")


def close_with_error(store: Store, job_id: int, message: str) -> bool:
    """Close an open job in error with message; False if it was closed."""

    def closing(job: dict[str, Any]) -> dict[str, Any]:
        return {
            "state": "error",
            "done_at": time.time(),
            "result": {**job["result"], "error": message},
        }

    _, closed = store.change_open_job(job_id, closing)
    if closed is None:
        return False
    log.info("job %s is error: %s", job_id, message)
    return True


def job_view(job: dict[str, Any]) -> dict[str, Any]:
    """A stored job in the shape the API shows."""
    return {
        "id": job["id"],
        "engine": job["engine"],
        "name": job["name"],
        "script": job["script"],
        "created_at": job["created_at"],
        "expires": job["expires"],
        "state": job["state"],
        "owner": job["owner"],
        "done_at": job["done_at"],
        "progress": job["progress"],
        "result": job["result"],
        "params": job["params"],
        "transaction": None,
        "cache_key": None,
        # The scheduled task that started the job, if one did (scheduler.py).
        "task": (
            {"id": job["task_id"], "name": job["task_name"]}
            if job.get("task_id") is not None
            else None
        ),
    }


class JobRoutes:
    """The job_manager endpoints of one sandbox."""

    def __init__(self, sandbox: Sandbox, faults: Faults | None = None) -> None:
        self.sandbox = sandbox
        self.store = sandbox.store
        self.faults = faults or Faults()

    def routes(self) -> list[Route]:
        return [
            Route("/api/job_manager/engines", self.engines, methods=["GET"]),
            Route("/api/job_manager", self.list_jobs, methods=["GET"]),
            Route("/api/job_manager", self.create, methods=["POST"]),
            Route("/api/job_manager/{job_id:int}", self.get, methods=["GET"]),
            Route("/api/job_manager/{job_id:int}", self.update, methods=["PUT"]),
            Route("/api/job_manager/{job_id:int}/{name}", self.file, methods=["GET"]),
        ]

    def fail_undispatched(self) -> None:
        """Close jobs the sandbox stopped before handing them to an engine."""
        for job in self.store.undispatched_jobs():
            log.warning("job %s was never sent to its engine; closing it", job["id"])
            close_with_error(
                self.store,
                job["id"],
                "the sandbox gateway stopped before sending the job",
            )

    async def engines(self, request: Request) -> Response:
        self.sandbox.sessions.check(request)
        return JSONResponse({"engines": self.sandbox.engines.engines})

    async def list_jobs(self, request: Request) -> Response:
        principal = self.sandbox.sessions.check(request)
        jobs = [
            job_view(job)
            for job in self.store.jobs_of(principal.user_id)
            if not principal.is_job or job["id"] == principal.job_id
        ]
        return JSONResponse(page_of(request, jobs))

    async def create(self, request: Request) -> Response:
        principal = self.sandbox.sessions.check(request, write=True)
        body = await json_object(request)
        script, engine, name, expires, args = self._checked_request(body)
        job = self.open_job(principal.user_id, script, engine, name, expires, args)

        delay = self.faults.settings.slow_create
        if delay > 0:
            # The job exists and is on its way to the engine: a client that
            # gives up now must find it rather than start another.
            log.info(
                "job %s answered after %.1f s (--fault-slow-create)", job["id"], delay
            )
            await asyncio.sleep(delay)
        return JSONResponse(job_view(job), status_code=201)

    def open_job(
        self,
        owner: int,
        script: str,
        engine: str,
        name: str,
        expires: int,
        args: dict[str, Any],
        task: tuple[int, str] | None = None,
    ) -> dict[str, Any]:
        """Store a new job and hand it to its listed engine in the background.

        Used for a user's POST and for a scheduled task's run (with the
        task's id and name), so the engine gets both the same way.
        """
        now = time.time()
        job_id = self.store.add_job(
            {
                "owner": owner,
                "engine": engine,
                "name": name,
                "script": script,
                "created_at": now,
                "expires": expires,
                "state": "created",
                "progress": {},
                "result": {},
                "params": args,
                "task_id": task[0] if task else None,
                "task_name": task[1] if task else None,
            }
        )
        log.info("job %s created: %s on %s", job_id, script, engine)

        lifetime = expires
        token = self.sandbox.sessions.job_token(
            owner, job_id, expires_at=now + lifetime
        )
        tz = args.get("tz") if isinstance(args.get("tz"), str) else FLEET_TZ
        order = {
            "configuration": {
                "site_id": self.sandbox.site_id,
                "site_url": self.sandbox.base_url,
                "user_id": owner,
                "api_token": token,
                "tz": tz,
                "job_id": job_id,
                "job_name": script,
                "job_created_at": now,
                "job_expires": lifetime,
            },
            "parameters": args,
        }
        self.sandbox.background.spawn(
            self._dispatch(job_id, engine, order), name=f"dispatch-job-{job_id}"
        )

        job = self.store.job(job_id)
        assert job is not None
        return job

    def _checked_request(
        self, body: dict[str, Any]
    ) -> tuple[str, str, str, int, dict[str, Any]]:
        script = body.get("script")
        if not isinstance(script, str) or not script.strip():
            raise ApiError(400, "script: the script id of the report is required")
        engine_text = body.get("engine")
        if not isinstance(engine_text, str) or not engine_text.strip():
            raise ApiError(400, "engine: the URL of the engine to run on is required")
        engine = self.sandbox.engines.resolve(engine_text)
        if engine is None:
            listed = ", ".join(self.sandbox.engines.engines) or "none"
            raise ApiError(
                400,
                f"engine: {engine_text} is not one of this gateway's engines "
                f"(listed: {listed})",
            )

        name = body.get("name") or script
        if not isinstance(name, str):
            raise ApiError(400, "name: the report name must be text")
        expires = body.get("expires", DEFAULT_LIFETIME)
        if isinstance(expires, bool) or not isinstance(expires, int | float):
            raise ApiError(400, "expires: a number of seconds is required")
        if not 1 <= expires <= MAX_LIFETIME:
            raise ApiError(
                400,
                f"expires: {expires!r} is out of range; give from 1 to "
                f"{MAX_LIFETIME} seconds (30 days)",
            )
        args = body.get("args", {})
        if args is None:
            args = {}
        if not isinstance(args, dict):
            raise ApiError(400, "args: the report arguments must be a JSON object")
        return script, engine, name, int(expires), args

    async def _dispatch(self, job_id: int, engine: str, order: dict[str, Any]) -> None:
        sent = time.monotonic()
        try:
            status = await self.sandbox.engines.start_job(engine, order)
        except EngineError as exc:
            log.warning("job %s could not be started: %s", job_id, exc)
            self.sandbox.engine_log.dispatched(
                job_id, time.monotonic() - sent, exc.status, str(exc)
            )
            close_with_error(self.store, job_id, str(exc))
            return
        except Exception as exc:
            # Whatever went wrong (a port out of range raises OverflowError),
            # the job must not stay `created` with nobody working on it.
            log.warning("job %s could not be sent to %s", job_id, engine, exc_info=True)
            self.sandbox.engine_log.dispatched(
                job_id, time.monotonic() - sent, None, _cause(exc)
            )
            close_with_error(
                self.store,
                job_id,
                f"the job could not be sent to the engine {engine} ({_cause(exc)})",
            )
            return
        self.sandbox.engine_log.dispatched(
            job_id, time.monotonic() - sent, status, None
        )
        now = time.time()
        self.store.update_job(job_id, dispatched_at=now, news_at=now)
        log.info("job %s handed to %s", job_id, engine)

    def _visible_job(self, principal: Principal, job_id: int) -> dict[str, Any]:
        job = self.store.job(job_id)
        hidden = job is None or job["owner"] != principal.user_id
        if principal.is_job and principal.job_id != job_id:
            hidden = True
        if hidden or job is None:
            raise ApiError(404, f"there is no job {job_id} for this user")
        return job

    async def get(self, request: Request) -> Response:
        principal = self.sandbox.sessions.check(request)
        job = self._visible_job(principal, request.path_params["job_id"])
        return JSONResponse(job_view(job))

    async def update(self, request: Request) -> Response:
        # Every PUT is recorded, refused ones too, for check-engine.
        token = token_owner(request, self.store)
        seen: dict[str, Any] = {}
        job_id: int = request.path_params["job_id"]
        try:
            response = await self._update(request, seen)
        except ApiError as exc:
            self.sandbox.engine_log.put(job_id, token, seen.get("body"), exc.status)
            raise
        self.sandbox.engine_log.put(
            job_id, token, seen.get("body"), response.status_code
        )
        return response

    async def _update(self, request: Request, seen: dict[str, Any]) -> Response:
        job_id: int = request.path_params["job_id"]
        principal = self.sandbox.sessions.check(request)
        if principal.job_id != job_id:
            raise ApiError(
                401,
                f"only the engine running job {job_id} may update it, "
                "with the token the gateway gave it for that job",
            )
        self._visible_job(principal, job_id)

        # The whole body first: the job may close while it arrives, so the
        # check of its state and the write happen together, after it.
        seen["body"] = await json_object(request)
        changes = _checked_update(seen["body"])
        before, after = self.store.change_open_job(
            job_id, lambda job: _merged_update(job, changes)
        )
        if before is None:
            raise ApiError(404, f"there is no job {job_id} for this user")
        if after is None:
            raise ApiError(
                409,
                f"job {job_id} is already {before['state']}; it takes no more updates",
            )
        if after["state"] != before["state"]:
            log.info("job %s is %s", job_id, after["state"])
        return JSONResponse(job_view(after))

    async def file(self, request: Request) -> Response:
        principal = self.sandbox.sessions.check(request)
        job = self._visible_job(principal, request.path_params["job_id"])
        name: str = request.path_params["name"]
        files = job["result"].get("files")
        if not isinstance(files, list) or name not in files:
            raise ApiError(404, f"job {job['id']} has no file named {name!r}")

        try:
            upstream = await self.sandbox.engines.open_file(
                job["engine"], self.sandbox.site_id, job["id"], name
            )
        except EngineError as exc:
            log.warning("file %s of job %s: %s", name, job["id"], exc)
            if exc.status == 404:
                # Gone for good: a 502 would have clients wait and ask again.
                raise ApiError(
                    404,
                    f"the engine no longer has the file {name!r} of job {job['id']}",
                ) from exc
            raise ApiError(502, str(exc)) from exc

        return await self._relayed(request, job["id"], name, upstream)

    async def _relayed(
        self, request: Request, job_id: int, name: str, upstream: httpx.Response
    ) -> Response:
        """The engine's file answer passed on: whole, a range, maybe cut."""
        total = known_length(upstream)
        ranges = total is not None and not self.faults.settings.no_range
        try:
            wanted = wanted_range(request.headers, upstream) if ranges else None
        except UnsatisfiableRangeError:
            return await unsatisfiable(upstream)

        length = wanted.length if wanted else total
        cut_after = (
            None if length is None else self.faults.cut_point(job_id, name, length)
        )
        log.debug("file %s of job %s: range %s", name, job_id, wanted)
        return FileRelay(
            upstream,
            ranges=ranges,
            wanted=wanted,
            cut_after=cut_after,
            on_cut=lambda sent: self.faults.cut_made(job_id, name, sent),
        )


def _checked_update(body: dict[str, Any]) -> dict[str, Any]:
    """The parts of an engine's PUT the sandbox understands, checked."""
    changes: dict[str, Any] = {}
    for key in UPDATE_OBJECTS:
        if key in body and body[key] is not None:
            if not isinstance(body[key], dict):
                raise ApiError(400, f"{key}: must be a JSON object")
            changes[key] = body[key]
    if "state" in body:
        if body["state"] not in UPDATE_STATES:
            raise ApiError(
                400,
                f"state: {body['state']!r} is not one of {', '.join(UPDATE_STATES)}",
            )
        changes["state"] = body["state"]
    return changes


def _cause(exc: BaseException) -> str:
    """ "OverflowError: port must be 0-65535", from within any exception group."""
    while isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
        exc = exc.exceptions[0]
    return f"{type(exc).__name__}: {exc}".rstrip(": ")


def _merged_update(job: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """The columns an engine's checked update writes to the job as it is now."""
    merged: dict[str, Any] = {"news_at": time.time()}
    for key, column in (
        ("parameters", "params"),
        ("progress", "progress"),
        ("result", "result"),
    ):
        if key in changes:
            merged[column] = {**job[column], **changes[key]}
    if "state" in changes:
        merged["state"] = changes["state"]
        if changes["state"] in CLOSED_STATES:
            merged["done_at"] = merged["news_at"]
    return merged
