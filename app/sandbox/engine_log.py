"""What each job's engine did, as the sandbox saw it: for conformance checks.

For every job the sandbox keeps, in memory, how its POST to the engine went
(how long the engine took to answer, and with what) and every PUT that
named the job or came with its token: the job it targeted, whose token it
carried (this job's, another job's, a user's, none, or one the gateway
does not know), what it changed and what the sandbox answered. Tokens are
never kept, only which job or user they belong to.

`GET /api/sandbox/jobs/:id/engine_log` shows a job's record to its owner;
`python -m app check-engine` reads it to judge an engine.
"""

import collections
import logging
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from app.sandbox.sessions import Sessions, token_hash
from app.sandbox.store import Store
from app.sandbox.web import ApiError

log = logging.getLogger(__name__)

# Jobs whose record is kept; the oldest is forgotten past this, so a
# long-running sandbox does not grow without end.
MAX_JOBS_KEPT = 500
MAX_PUTS_KEPT = 200  # per job


class EngineLog:
    """The per-job records, oldest job forgotten first."""

    def __init__(self) -> None:
        self._jobs: collections.OrderedDict[int, dict[str, Any]] = (
            collections.OrderedDict()
        )

    def _record(self, job_id: int) -> dict[str, Any]:
        record = self._jobs.get(job_id)
        if record is None:
            record = {"dispatch": None, "puts": []}
            self._jobs[job_id] = record
            while len(self._jobs) > MAX_JOBS_KEPT:
                self._jobs.popitem(last=False)
        return record

    def dispatched(
        self, job_id: int, seconds: float, status: int | None, error: str | None
    ) -> None:
        """How the engine answered the job's POST /jobs, and after how long."""
        self._record(job_id)["dispatch"] = {
            "seconds": round(seconds, 3),
            "status": status,
            "error": error,
        }

    def put(self, job_id: int, token: dict[str, Any], body: Any, status: int) -> None:
        """One PUT to /api/job_manager/:job_id, under it and its token's job."""
        entry = {
            "at": time.time(),
            "job_id": job_id,
            "token": token,
            "keys": sorted(body) if isinstance(body, dict) else [],
            "state": body.get("state") if isinstance(body, dict) else None,
            "progress": body.get("progress") if isinstance(body, dict) else None,
            "status": status,
        }
        owners = {job_id}
        if token.get("job_id") is not None:
            owners.add(token["job_id"])
        for owner in owners:
            puts = self._record(owner)["puts"]
            if len(puts) < MAX_PUTS_KEPT:
                puts.append(entry)

    def of(self, job_id: int) -> dict[str, Any]:
        record = self._jobs.get(job_id) or {"dispatch": None, "puts": []}
        return {"job_id": job_id, **record}


def token_owner(request: Request, store: Store) -> dict[str, Any]:
    """Whose token a request carries, without checking or keeping it."""
    token = (
        request.headers.get("authenticate") or request.query_params.get("auth") or ""
    ).strip()
    if not token:
        return {"kind": "none", "job_id": None}
    row = store.session(token_hash(token))
    if row is None:
        return {"kind": "unknown", "job_id": None}
    if row["job_id"] is None:
        return {"kind": "user", "job_id": None}
    return {"kind": "job", "job_id": row["job_id"]}


class EngineLogRoutes:
    """The route that shows a job's record to the job's owner."""

    def __init__(self, engine_log: EngineLog, sessions: Sessions, store: Store) -> None:
        self.engine_log = engine_log
        self.sessions = sessions
        self.store = store

    def routes(self) -> list[Route]:
        return [
            Route(
                "/api/sandbox/jobs/{job_id:int}/engine_log", self.show, methods=["GET"]
            )
        ]

    async def show(self, request: Request) -> Response:
        # write=True: only a user's token; an engine has no business here.
        principal = self.sessions.check(request, write=True)
        job_id: int = request.path_params["job_id"]
        job = self.store.job(job_id)
        if job is None or job["owner"] != principal.user_id:
            raise ApiError(404, f"there is no job {job_id} for this user")
        return JSONResponse(self.engine_log.of(job_id))
