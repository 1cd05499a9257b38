"""The /api/tasks routes: scheduled reports, stored and checked.

Accepted as the documents disagree: `processes` as nested
`[[configuration, parameters], ...]` or as one flat `[configuration,
parameters]`; recipients as `users` or `user`; `schedule` as one cron
string or a list. Stored and answered in one form: nested processes,
`users`, a list of schedules.

Each schedule is checked as the app's cron editor checks it (five fields
or a macro, at most 200 characters, and it must run at some time), each
`tz` must be a known zone and `back`, when given, days and hours (at most
366 days). A task holds at most MOST_SCHEDULES (20) schedules and
MOST_PROCESSES (100) processes, so one task cannot keep the runner busy.
The task runner (scheduler.py) runs the schedules in the zone
`schedule_zone` gives, and answers show its last run as
`last_run: {fired_at, job_id}` (null before the first).
"""

import logging
import time
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from app.errors import UsageError
from app.sandbox.context import Sandbox
from app.sandbox.listing import page_of
from app.sandbox.web import ApiError, json_object
from app.schedule.back import parse_back
from app.schedule.expression import MOST_SCHEDULES, CronError, parse_cron
from app.schedule.runs import zone_named

if TYPE_CHECKING:
    from app.sandbox.scheduler import TaskRunner

log = logging.getLogger(__name__)

SERVER_FIELDS = ("id", "owner", "created_at", "updated_at", "last_run")
DEFAULT_ZONE = "UTC"
MOST_PROCESSES = 100

# TODO(sandbox): a task's run makes a job but sends no email: recipients and
# users of a scheduled report in the sandbox never hear of its result.


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
    if len(pairs) > MOST_PROCESSES:
        raise ApiError(
            400,
            f"processes: {len(pairs)} processes in one task; give at most "
            f"{MOST_PROCESSES}",
        )

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
        _check_times(index, configuration, parameters)
        processes.append([configuration, parameters])
    return processes


def _check_times(
    index: int, configuration: dict[str, Any], parameters: dict[str, Any]
) -> None:
    """ApiError 400 for an unknown zone or a bad `back` in a process."""
    try:
        for part in (configuration, parameters):
            if "tz" in part:
                zone_named(part["tz"] if isinstance(part["tz"], str) else "")
        if "back" in parameters:
            parse_back(parameters["back"])
    except UsageError as exc:
        raise ApiError(400, f"processes[{index}]: {exc}") from exc


def _schedule(value: Any) -> list[str]:
    entries = [value] if isinstance(value, str) else value
    if not isinstance(entries, list) or not all(isinstance(e, str) for e in entries):
        raise ApiError(400, "schedule: a cron string or a list of cron strings")
    if len(entries) > MOST_SCHEDULES:
        raise ApiError(
            400,
            f"schedule: {len(entries)} schedules in one task; give at most "
            f"{MOST_SCHEDULES}",
        )
    for entry in entries:
        try:
            parse_cron(entry)
        except CronError as exc:
            raise ApiError(400, f"schedule: {exc}") from exc
    return list(entries)


def schedule_zone(task: dict[str, Any]) -> str:
    """The zone a task's schedule runs in: its first process's `tz`.

    The report's own `tz` (in the parameters) first, then the
    configuration's; UTC when neither is given.
    """
    configuration, parameters = task["processes"][0]
    for part in (parameters, configuration):
        if isinstance(part.get("tz"), str):
            return str(part["tz"])
    return DEFAULT_ZONE


class TaskRoutes:
    """The tasks endpoints of one sandbox."""

    def __init__(self, sandbox: Sandbox, runner: "TaskRunner") -> None:
        self.sandbox = sandbox
        self.store = sandbox.store
        self.runner = runner

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
        return self._view(task)

    def _view(self, task: dict[str, Any]) -> dict[str, Any]:
        """A stored task as answered: with its last run, if any."""
        run = self.store.task_run(task["id"])
        last = None
        if run is not None and run["fired_at"] is not None:
            last = {"fired_at": run["fired_at"], "job_id": run["job_id"]}
        return {**task, "last_run": last}

    async def list_tasks(self, request: Request) -> Response:
        principal = self.sandbox.sessions.check(request, write=True)
        tasks = [self._view(task) for task in self.store.tasks_of(principal.user_id)]
        return JSONResponse(page_of(request, tasks))

    async def create(self, request: Request) -> Response:
        principal = self.sandbox.sessions.check(request, write=True)
        task = checked_task(await json_object(request))
        task_id = self.store.add_task(principal.user_id, task, time.time())
        self.runner.task_saved(task_id)
        log.info("task %s created: %s", task_id, task["name"])
        return JSONResponse(self._own_task_view(task_id), status_code=201)

    def _own_task_view(self, task_id: int) -> dict[str, Any]:
        task = self.store.task(task_id)
        assert task is not None
        return self._view(task)

    async def get(self, request: Request) -> Response:
        return JSONResponse(self._own_task(request))

    async def replace(self, request: Request) -> Response:
        current = self._own_task(request)
        changes = await json_object(request)
        task = checked_task({**current, **changes})
        self.store.replace_task(current["id"], task, time.time())
        # Times passed under the old schedule are not run under the new one.
        self.runner.task_saved(current["id"])
        log.info("task %s updated", current["id"])
        return JSONResponse(self._own_task_view(current["id"]))

    async def delete(self, request: Request) -> Response:
        task = self._own_task(request)
        self.store.delete_task(task["id"])
        self.runner.wake()
        log.info("task %s deleted", task["id"])
        return Response(status_code=204)
