"""Runs stored tasks at their cron times, as a gateway runs scheduled reports.

Each task's schedules are read with the app's own cron code (app.schedule),
in the task's time zone (tasks.schedule_zone), with its rule for daylight
saving: a report at set hours runs once per wall-clock time. At a fire
time each of the task's processes becomes a job, made and sent to its
engine by the same path as a user's POST /api/job_manager, its `from` and
`to` spanning the process's `back` up to the fire time (app.schedule.back).
The job carries the task's id and name (`task` in the job's answer).

How far each task's schedule has been run is kept in the SQLite file
(`task_runs`). When the runner finds several fire times due at once (the
sandbox was stopped through them, or its computer slept) it starts one
run, for the latest of them: a report is not mailed once per missed time.
A task's schedule counts from when the task was created or last changed.

The runner sleeps until the next fire time. It keeps each task's next
fire time until the task changes or runs, yields to requests between
tasks, and outlives any failure: a task that cannot be read or run is
logged with its cause and skipped, and the next pass goes on.

With a test clock (clock.py) `POST /api/sandbox/clock {"to": ISO}` or
`{"advance": SECONDS}` moves the clock forward, stopping at each fire
time on the way, so each gets its run as if the time had passed with the
sandbox running. It answers the
ids of the jobs started. The route exists only with a test clock.
"""

import asyncio
import contextlib
import datetime as dt
import logging
import sqlite3
import time
import zoneinfo
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from app.errors import PegasusError, UsageError
from app.sandbox.clock import LAST_MOMENT, SandboxClock
from app.sandbox.context import Sandbox
from app.sandbox.jobs import DEFAULT_LIFETIME, JobRoutes, close_with_error
from app.sandbox.tasks import schedule_zone
from app.sandbox.web import ApiError, json_object
from app.schedule.back import parse_back, period_before
from app.schedule.expression import CronExpression, parse_cron
from app.schedule.runs import fire_times, last_run, zone_named

log = logging.getLogger(__name__)

MOST_SLEEP = 60.0  # real seconds between looks, whatever the schedules say
MOST_STEPS = 1000  # fire times one move of the test clock stops at
MOST_MOVE = 20 * 366 * 86_400.0  # seconds one move of the test clock may go
# Parameters that say where a report goes, not what it holds: the gateway
# acts on them, the engine is not given them.
DELIVERY_KEYS = ("back", "recipients", "users", "user")
LOOPBACK_CLIENTS = ("127.0.0.1", "::1")


@dataclass
class Plan:
    """A stored task read for running, with its next fire time worked out."""

    task: dict[str, Any]
    zone: zoneinfo.ZoneInfo
    schedules: list[CronExpression]  # each distinct one once
    since: dt.datetime  # fire times up to here are done
    key: tuple[float, float]  # the task's version and since, as stored
    upcoming: dt.datetime | None = field(init=False)  # the first after since

    def __post_init__(self) -> None:
        firsts = [
            next(fire_times(cron, self.zone, self.since), None)
            for cron in self.schedules
        ]
        self.upcoming = min((f for f in firsts if f is not None), default=None)

    def latest_due(self, now: dt.datetime) -> dt.datetime | None:
        """The latest fire time in (since, now], of any of its schedules."""
        if self.upcoming is None or self.upcoming > now:
            return None
        due = [last_run(cron, self.zone, self.since, now) for cron in self.schedules]
        return max((moment for moment in due if moment), default=None)


class TaskRunner:
    """Starts the runs of every stored task; one per sandbox.

    A task's plan (its schedules read, its next fire time) is kept until
    the task changes or runs, so a pass over tasks with nothing due does
    no cron arithmetic.
    """

    def __init__(self, sandbox: Sandbox, jobs: JobRoutes, clock: SandboxClock) -> None:
        self.sandbox = sandbox
        self.store = sandbox.store
        self.jobs = jobs
        self.clock = clock
        self._wake = asyncio.Event()
        # One pass at a time: the runner's own, or a move of the test clock.
        self._passing = asyncio.Lock()
        self._kept: dict[int, Plan] = {}
        # Tasks already reported unusable, with the version that was.
        self._warned: set[tuple[int, float]] = set()

    def task_saved(self, task_id: int) -> None:
        """A task was created or changed: its schedule counts from now."""
        self.store.save_task_run(task_id, self.clock.now())
        self.wake()

    def wake(self) -> None:
        """Look at the tasks again now (one was added, changed or deleted)."""
        self._wake.set()

    async def run(self) -> None:
        """Start what is due, sleep until the next fire time; until cancelled."""
        log.info("running scheduled tasks")
        while True:
            delay = MOST_SLEEP
            try:
                async with self._passing:
                    await self._run_due()
                delay = self._delay()
            except Exception as exc:  # noqa: BLE001
                # The runner must outlive any one failure: a task it cannot
                # read or run is skipped, and the next pass tries again.
                log.warning(
                    "the scheduled tasks could not be run (trying again in %.0f "
                    "s): %s: %s",
                    delay,
                    type(exc).__name__,
                    exc,
                    exc_info=not isinstance(exc, sqlite3.Error | PegasusError),
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), delay)
            self._wake.clear()

    async def run_due(self) -> list[int]:
        """Start one run of each task with a fire time due; the jobs made."""
        async with self._passing:
            return await self._run_due()

    async def _run_due(self) -> list[int]:
        now = self.clock.now()
        moment = dt.datetime.fromtimestamp(now, dt.UTC)
        started = []
        for plan in self._plans(now):
            if plan.upcoming is None or plan.upcoming > moment:
                continue
            try:
                fire_time = plan.latest_due(moment)
                if fire_time is not None:
                    started += self._start_run(plan, fire_time, now)
            except Exception as exc:  # noqa: BLE001
                # One task's failure must not stop the others' runs; this
                # run is skipped rather than retried without end.
                log.warning(
                    "task %s could not run: %s: %s",
                    plan.task["id"],
                    type(exc).__name__,
                    exc,
                    exc_info=not isinstance(exc, PegasusError),
                )
                self.store.save_task_run(plan.task["id"], now)
            # Let requests and a stop be served between tasks.
            await asyncio.sleep(0)
        return started

    async def advance_to(self, target: float) -> list[int]:
        """Move the test clock to target, running each fire time on the way."""
        started = []
        async with self._passing:
            for _ in range(MOST_STEPS):
                upcoming = self._upcoming()
                if upcoming is None or upcoming > target:
                    break
                self.clock.move_to(max(upcoming, self.clock.now()))
                started += await self._run_due()
            else:
                log.warning(
                    "more than %d fire times before %s: the rest start one run each",
                    MOST_STEPS,
                    _iso(target),
                )
            self.clock.move_to(max(target, self.clock.now()))
            started += await self._run_due()
        self.wake()
        return started

    def _delay(self) -> float:
        """Real seconds until the next fire time, at most MOST_SLEEP."""
        upcoming = self._upcoming()
        if upcoming is None:
            return MOST_SLEEP
        real = self.clock.real_seconds(upcoming - self.clock.now())
        return MOST_SLEEP if real is None else min(real, MOST_SLEEP)

    def _upcoming(self) -> float | None:
        """The earliest fire time not yet run, of any task (epoch seconds)."""
        times = [plan.upcoming for plan in self._plans(self.clock.now())]
        found = [moment.timestamp() for moment in times if moment is not None]
        return min(found, default=None)

    def _plans(self, now: float) -> list[Plan]:
        plans = []
        for task in self.store.all_tasks():
            plan = self._plan(task, now)
            if plan is not None:
                plans.append(plan)
        self._kept = {plan.task["id"]: plan for plan in plans}
        return plans

    def _plan(self, task: dict[str, Any], now: float) -> Plan | None:
        """The task read for running; None (and a warning once) if it cannot be."""
        try:
            since = self._since(task, now)
            kept = self._kept.get(task["id"])
            if kept is not None and kept.key == (task["updated_at"], since):
                return kept

            parsed = [parse_cron(entry) for entry in task["schedule"]]
            return Plan(
                task=task,
                zone=zone_named(schedule_zone(task)),
                schedules=list({cron.fields: cron for cron in parsed}.values()),
                since=dt.datetime.fromtimestamp(since, dt.UTC),
                key=(task["updated_at"], since),
            )
        except Exception as exc:  # noqa: BLE001
            # Stored by an older version that checked less, or with times
            # the calendar cannot hold: the other tasks still run.
            if (task["id"], task["updated_at"]) not in self._warned:
                self._warned.add((task["id"], task["updated_at"]))
                log.warning(
                    "task %s cannot run: %s",
                    task["id"],
                    exc,
                    exc_info=not isinstance(exc, UsageError | KeyError | TypeError),
                )
            return None

    def _since(self, task: dict[str, Any], now: float) -> float:
        """Where the task's schedule counts from: its last check, or its saving.

        A time later than the clock (recorded under a test clock set ahead)
        would keep the task silent until then: it counts from now instead.
        """
        run = self.store.task_run(task["id"])
        since = float(run["checked_until"] if run else task["updated_at"])
        if since > now:
            log.info(
                "task %s was checked up to %s, later than the clock (%s): its "
                "schedule counts from now",
                task["id"],
                _iso(since),
                _iso(now),
            )
            self.store.save_task_run(task["id"], now)
            since = now
        return since

    def _start_run(self, plan: Plan, fire_time: dt.datetime, now: float) -> list[int]:
        """One run of a task: a job for each of its processes."""
        task = plan.task
        first = plan.upcoming
        if first is not None and first < fire_time:
            log.info(
                "task %s: fire times from %s to %s were missed; one run, for the "
                "latest",
                task["id"],
                first.isoformat(),
                fire_time.isoformat(),
            )

        started = [
            self._start_job(task, process, fire_time, plan.zone)
            for process in task["processes"]
        ]
        # Recorded after the jobs: a stop in between repeats the run rather
        # than losing it.
        self.store.save_task_run(
            task["id"], now, fire_time.timestamp(), started[0] if started else None
        )
        log.info(
            "task %s (%s) ran for %s: jobs %s",
            task["id"],
            task["name"],
            fire_time.isoformat(),
            ", ".join(map(str, started)),
        )
        return started

    def _start_job(
        self,
        task: dict[str, Any],
        process: list[dict[str, Any]],
        fire_time: dt.datetime,
        zone: zoneinfo.ZoneInfo,
    ) -> int:
        """The job of one process of a run, sent to its engine; its id."""
        configuration, parameters = process
        script = str(configuration["script"])
        name = str(configuration.get("name") or script)
        args = {k: v for k, v in parameters.items() if k not in DELIVERY_KEYS}
        args.setdefault("tz", zone.key)
        origin = (int(task["id"]), str(task["name"]))

        try:
            if "back" in parameters:
                back = parse_back(parameters["back"])
                args["from"], args["to"] = period_before(fire_time, back)
        except PegasusError as exc:
            return self._failed_job(task, configuration, name, args, f"{exc}")

        engine = self.sandbox.engines.resolve(str(configuration["engine"]))
        if engine is None:
            listed = ", ".join(self.sandbox.engines.engines) or "none"
            return self._failed_job(
                task,
                configuration,
                name,
                args,
                f"the task's engine {configuration['engine']} is not one of this "
                f"gateway's engines (listed: {listed})",
            )
        job = self.jobs.open_job(
            task["owner"], script, engine, name, DEFAULT_LIFETIME, args, task=origin
        )
        return int(job["id"])

    def _failed_job(
        self,
        task: dict[str, Any],
        configuration: dict[str, Any],
        name: str,
        args: dict[str, Any],
        message: str,
    ) -> int:
        """A job of the run that cannot be sent, closed in error at once."""
        job_id = self.store.add_job(
            {
                "owner": task["owner"],
                "engine": str(configuration["engine"]),
                "name": name,
                "script": str(configuration["script"]),
                "created_at": time.time(),
                "expires": DEFAULT_LIFETIME,
                "state": "created",
                "progress": {},
                "result": {},
                "params": args,
                "task_id": task["id"],
                "task_name": task["name"],
            }
        )
        log.warning("task %s: job %s cannot be sent: %s", task["id"], job_id, message)
        close_with_error(self.store, job_id, message)
        return job_id


class ClockRoutes:
    """GET and POST /api/sandbox/clock: a test clock, read and moved."""

    def __init__(self, sandbox: Sandbox, runner: TaskRunner) -> None:
        self.sandbox = sandbox
        self.runner = runner

    def routes(self) -> list[Route]:
        if not self.runner.clock.is_test:
            return []
        return [
            Route("/api/sandbox/clock", self.read, methods=["GET"]),
            Route("/api/sandbox/clock", self.move, methods=["POST"]),
        ]

    def _check(self, request: Request) -> None:
        self.sandbox.sessions.check(request, write=True)
        if request.client is None or request.client.host not in LOOPBACK_CLIENTS:
            raise ApiError(403, "the test clock answers this computer only")

    async def read(self, request: Request) -> Response:
        self._check(request)
        return JSONResponse(self._state())

    async def move(self, request: Request) -> Response:
        self._check(request)
        body = await json_object(request)
        target = _target(body, self.runner.clock.now())
        try:
            started = await self.runner.advance_to(target)
        except UsageError as exc:
            raise ApiError(400, str(exc)) from exc
        log.info("test clock moved to %s; jobs started: %s", _iso(target), started)
        return JSONResponse({**self._state(), "started": started})

    def _state(self) -> dict[str, Any]:
        clock = self.runner.clock
        return {"now": _iso(clock.now()), "rate": clock.rate}


def _target(body: dict[str, Any], now: float) -> float:
    """Where a POST asks the clock to go, in epoch seconds; ApiError if unclear."""
    if ("to" in body) == ("advance" in body):
        raise ApiError(400, 'give either "to" (ISO 8601) or "advance" (seconds)')
    if "advance" in body:
        seconds = body["advance"]
        if isinstance(seconds, bool) or not isinstance(seconds, int | float):
            raise ApiError(400, "advance: give a number of seconds")
        if not 0 <= seconds <= MOST_MOVE:
            raise ApiError(400, "advance: give from 0 seconds to 20 years")
        return _within_calendar(now + seconds)

    text = body["to"]
    try:
        moment = dt.datetime.fromisoformat(text) if isinstance(text, str) else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise ApiError(400, "to: give a date and time with its offset (ISO 8601)")
    if not now <= moment.timestamp() <= now + MOST_MOVE:
        raise ApiError(400, "to: the clock moves only forward, at most 20 years")
    return _within_calendar(moment.timestamp())


def _within_calendar(target: float) -> float:
    if target > LAST_MOMENT:
        raise ApiError(
            400, f"the test clock ends at {_iso(LAST_MOMENT)}, the calendar's end"
        )
    return target


def _iso(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.UTC).isoformat()
