"""The /api/tasks routes: scheduled reports, stored and checked.

Accepted as the documents disagree: `processes` as nested
`[[configuration, parameters], ...]` or as one flat `[configuration,
parameters]`; recipients as `users` or `user`; `schedule` as one cron
string or a list. Stored and answered in one form: nested processes,
`users`, a list of schedules.
"""

import logging
import time
from typing import Any

from croniter import croniter
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from app.sandbox.context import Sandbox
from app.sandbox.listing import page_of
from app.sandbox.web import ApiError, json_object

log = logging.getLogger(__name__)

SERVER_FIELDS = ("id", "owner", "created_at", "updated_at")

# TODO(sandbox): tasks are stored but never run on their schedule; a user who
# schedules a report in the sandbox gets no job and no email until it is added.


def checked_task(body: dict[str, Any]) -> dict[str, Any]:
    """A task body in its one stored form; ApiError 400 says what is wrong."""
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ApiError(400, "name: the task needs a name")

    task = {k: v for k, v in body.items() if k not in SERVER_FIELDS}
    task["name"] = name.strip()
    task["processes"] = _processes(body.get("processes"))
    task["schedule"] = _schedule(body.get("schedule", []))
    return task


def _processes(value: Any) -> list[list[dict[str, Any]]]:
    if not isinstance(value, list) or not value:
        raise ApiError(
            400, "processes: a list of [configuration, parameters] pairs is required"
        )
    pairs = [value] if isinstance(value[0], dict) else value

    processes = []
    for index, pair in enumerate(pairs):
        if (
            not isinstance(pair, list)
            or not 1 <= len(pair) <= 2
            or not all(isinstance(part, dict) for part in pair)
        ):
            raise ApiError(
                400, f"processes[{index}]: expected [configuration, parameters]"
            )
        configuration = dict(pair[0])
        for key in ("script", "engine"):
            if not isinstance(configuration.get(key), str) or not configuration[key]:
                raise ApiError(
                    400, f"processes[{index}]: the configuration needs a {key}"
                )

        parameters = dict(pair[1]) if len(pair) == 2 else {}
        if "user" in parameters and "users" not in parameters:
            parameters["users"] = parameters.pop("user")
        processes.append([configuration, parameters])
    return processes


def _schedule(value: Any) -> list[str]:
    entries = [value] if isinstance(value, str) else value
    if not isinstance(entries, list) or not all(isinstance(e, str) for e in entries):
        raise ApiError(400, "schedule: a cron string or a list of cron strings")
    for entry in entries:
        if not croniter.is_valid(entry):
            raise ApiError(
                400,
                f"schedule: {entry!r} is not a cron expression "
                "(minute hour day-of-month month day-of-week)",
            )
    return list(entries)


class TaskRoutes:
    """The tasks endpoints of one sandbox."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.store = sandbox.store

    def routes(self) -> list[Route]:
        return [
            Route("/api/tasks", self.list_tasks, methods=["GET"]),
            Route("/api/tasks", self.create, methods=["POST"]),
            Route("/api/tasks/{task_id:int}", self.get, methods=["GET"]),
            Route("/api/tasks/{task_id:int}", self.replace, methods=["PUT"]),
            Route("/api/tasks/{task_id:int}", self.delete, methods=["DELETE"]),
        ]

    def _own_task(self, request: Request) -> dict[str, Any]:
        principal = self.sandbox.sessions.check(request, write=True)
        task_id: int = request.path_params["task_id"]
        task = self.store.task(task_id)
        if task is None or task["owner"] != principal.user_id:
            raise ApiError(404, f"there is no task {task_id} for this user")
        return task

    async def list_tasks(self, request: Request) -> Response:
        principal = self.sandbox.sessions.check(request, write=True)
        return JSONResponse(page_of(request, self.store.tasks_of(principal.user_id)))

    async def create(self, request: Request) -> Response:
        principal = self.sandbox.sessions.check(request, write=True)
        task = checked_task(await json_object(request))
        task_id = self.store.add_task(principal.user_id, task, time.time())
        log.info("task %s created: %s", task_id, task["name"])
        return JSONResponse(self.store.task(task_id), status_code=201)

    async def get(self, request: Request) -> Response:
        return JSONResponse(self._own_task(request))

    async def replace(self, request: Request) -> Response:
        current = self._own_task(request)
        changes = await json_object(request)
        task = checked_task({**current, **changes})
        self.store.replace_task(current["id"], task, time.time())
        log.info("task %s updated", current["id"])
        return JSONResponse(self.store.task(current["id"]))

    async def delete(self, request: Request) -> Response:
        task = self._own_task(request)
        self.store.delete_task(task["id"])
        log.info("task %s deleted", task["id"])
        return Response(status_code=204)
