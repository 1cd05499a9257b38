"""Scheduled tasks as the gateway keeps them, read and written without Qt.

A task (PEGASUS_API.md §6) is `{name, processes, schedule}`; each process
is a `[configuration, parameters]` pair: the configuration names the report
(`name`, `script`, `tz`, `engine`), the parameters are the report's own
values plus what the gateway acts on (`recipients`, `users`, `back`).
The documents disagree on the shapes, and each is read here as it comes:

- `processes` as nested `[[configuration, parameters], ...]` or as one flat
  `[configuration, parameters]` pair (DESIGN.md, quirk 3);
- `users` or `user` for the users who receive the report (quirk 4);
- `schedule` as one cron string or a list of them.

One shape is written: nested processes, `users`, a list of schedules.
Also here: the report's parameters a task asks for (the form without its
period, which `back` gives), checked recipients, and the args of a job
that runs a task now.
"""

import copy
import datetime as dt
import logging
import math
import re
from dataclasses import dataclass, field
from typing import Any

from app.errors import GatewayError, UsageError
from app.schedule.back import Back, parse_back, period_before
from app.schedule.description import describe
from app.schedule.expression import CronError, parse_cron
from app.schedule.runs import next_runs, zone_named

log = logging.getLogger(__name__)

DEFAULT_ZONE = "UTC"
# Parameters that say where a report goes, not what it holds: the gateway
# acts on them; a job of the report is not given them.
DELIVERY_KEYS = ("back", "recipients", "users", "user")
# What task_body() sets itself over the report's values.
TASK_KEYS_SET_HERE = ("tz", *DELIVERY_KEYS)
# Fields a task form leaves to the task: the period comes from `back`, the
# report's zone is the task's.
PERIOD_PEG_TYPES = ("$from", "$to")
TASK_PEG_TYPES = (*PERIOD_PEG_TYPES, "$tz")
# The last moment the calendar has (9999-12-31T00:00Z, with room for any
# zone's offset): a last run said to be later cannot be shown.
LAST_MOMENT = 253_402_214_400.0
# An address as mail servers take it, in the part a person can get wrong.
_EMAIL = re.compile(r"[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>.]+", re.ASCII)
_SEPARATORS = re.compile(r"[\s,;]+")

JsonObject = dict[str, Any]


@dataclass
class Process:
    """One report a task runs: its configuration and its parameters."""

    configuration: JsonObject = field(default_factory=dict)
    parameters: JsonObject = field(default_factory=dict)

    @property
    def script(self) -> str:
        return _text(self.configuration.get("script"))

    @property
    def engine(self) -> str:
        return _text(self.configuration.get("engine"))

    @property
    def report_name(self) -> str:
        return _text(self.configuration.get("name")) or self.script

    @property
    def back(self) -> Back | None:
        """The period each run reports on; None when not given or unusable."""
        value = self.parameters.get("back")
        if value is None:
            return None
        try:
            return parse_back(value)
        except UsageError as exc:
            log.warning("a task's back %r cannot be used: %s", value, exc)
            return None

    @property
    def report_values(self) -> JsonObject:
        """The report's own parameters: without what the gateway acts on."""
        return {
            key: copy.deepcopy(value)
            for key, value in self.parameters.items()
            if key not in DELIVERY_KEYS
        }

    @property
    def recipients(self) -> list[str]:
        return [r for r in _list(self.parameters.get("recipients")) if _is_text(r)]

    @property
    def users(self) -> list[int]:
        listed = self.parameters.get("users", self.parameters.get("user"))
        return [u for u in _list(listed) if isinstance(u, int) and u is not True]


@dataclass(frozen=True)
class LastRun:
    """When a task last fired, and the job that run made (sandbox: last_run)."""

    fired_at: float
    job_id: int | None


@dataclass
class Task:
    """A scheduled task as the gateway described it."""

    id: int | None
    name: str
    processes: list[Process]
    schedule: list[str]
    last_run: LastRun | None = None

    @property
    def first(self) -> Process:
        return self.processes[0] if self.processes else Process()

    @property
    def zone(self) -> str:
        """The zone the schedule runs in: the first process's `tz`.

        The report's own (its parameters) first, then the configuration's,
        as the gateway reads it; UTC when neither is given.
        """
        for part in (self.first.parameters, self.first.configuration):
            if _is_text(part.get("tz")):
                return str(part["tz"]).strip()
        return DEFAULT_ZONE


def read_task(data: Any) -> Task:
    """A task from the gateway's JSON, in any of the documented shapes.

    GatewayError when it is no task at all (no processes that can be read).
    """
    if not isinstance(data, dict):
        raise GatewayError("a task from the gateway is not a JSON object")
    raw_id = data.get("id")
    task_id = raw_id if isinstance(raw_id, int) and raw_id is not True else None

    return Task(
        id=task_id,
        name=_text(data.get("name")) or f"Task {task_id}",
        processes=read_processes(data.get("processes"), task_id),
        schedule=read_schedule(data.get("schedule")),
        last_run=_last_run(data.get("last_run")),
    )


def read_processes(value: Any, task_id: int | None = None) -> list[Process]:
    """Nested `[[configuration, parameters], ...]` or one flat pair."""
    where = f"task {task_id}" if task_id is not None else "a task"
    if not isinstance(value, list) or not value:
        raise GatewayError(f"{where} has no processes the app can read")
    pairs = [value] if isinstance(value[0], dict) else value

    processes = []
    for index, pair in enumerate(pairs):
        if not isinstance(pair, list) or not pair or len(pair) > 2:
            raise GatewayError(
                f"{where}: process {index + 1} is not a [configuration, "
                "parameters] pair"
            )
        if not all(isinstance(part, dict) for part in pair):
            raise GatewayError(
                f"{where}: process {index + 1} holds something other than objects"
            )
        parameters = dict(pair[1]) if len(pair) == 2 else {}
        if "user" in parameters and "users" not in parameters:
            parameters["users"] = parameters.pop("user")
        processes.append(Process(dict(pair[0]), parameters))
    return processes


def read_schedule(value: Any) -> list[str]:
    """A list of cron strings from one string or a list; others dropped."""
    entries = [value] if isinstance(value, str) else _list(value)
    return [entry.strip() for entry in entries if _is_text(entry)]


def task_body(
    *,
    name: str,
    script: str,
    report_name: str,
    engine: str,
    tz: str,
    values: JsonObject,
    recipients: list[str],
    users: list[int],
    back: Back,
    schedule: list[str],
) -> JsonObject:
    """The body of POST /api/tasks (and PUT), in the one shape written.

    The report's values go with `tz` (the task's zone), and with where the
    report goes and what it covers: `recipients`, `users` and `back`.
    """
    parameters = copy.deepcopy(values)
    for key in TASK_KEYS_SET_HERE:
        parameters.pop(key, None)
    parameters.update(
        {
            "recipients": list(recipients),
            "users": list(users),
            "back": {"days": back.days, "hours": back.hours},
            "tz": tz,
        }
    )
    configuration = {"name": report_name, "script": script, "tz": tz, "engine": engine}
    return {
        "name": name.strip(),
        "processes": [[configuration, parameters]],
        "schedule": list(schedule),
    }


def run_now_args(process: Process, zone: str, now: dt.datetime) -> JsonObject:
    """The args of a job that runs the process now, as its schedule would.

    The period `back` gives, ending at the start of this minute (an engine
    refuses a period that ends in the future), as the wall-clock times of
    the task's zone; UsageError when the process has no usable `back`.
    """
    back = process.back
    if back is None:
        raise UsageError(
            f"{process.report_name}: the task says no period (`back`), so it "
            "cannot be run now; edit it and give days or hours"
        )
    local = now.astimezone(zone_named(zone)).replace(second=0, microsecond=0)
    start, end = period_before(local, back)
    args = process.report_values
    args.update({"tz": zone, "from": start, "to": end})
    return args


def parse_recipients(text: str) -> list[str]:
    """The addresses in text (commas, semicolons or spaces between them).

    UsageError naming the first that is not an email address.
    """
    addresses = [part for part in _SEPARATORS.split(text.strip()) if part]
    for address in addresses:
        if not _EMAIL.fullmatch(address):
            raise UsageError(
                f"{address!r} is not an email address; give addresses like "
                "ops@example.com, separated by commas"
            )
    return list(dict.fromkeys(addresses))


def period_fields(schema: JsonObject) -> set[str]:
    """The properties a task fills itself: `$from`, `$to` and `$tz` fields."""
    properties = schema.get("properties")
    if not isinstance(properties, dict):
        return set()
    return {
        name
        for name, prop in properties.items()
        if isinstance(prop, dict) and prop.get("peg_type") in TASK_PEG_TYPES
    }


def without_fields(schema: JsonObject, names: set[str]) -> JsonObject:
    """schema without these properties, and not requiring them."""
    if not names:
        return schema
    trimmed = dict(schema)
    properties = schema.get("properties")
    if isinstance(properties, dict):
        trimmed["properties"] = {k: v for k, v in properties.items() if k not in names}
    required = schema.get("required")
    if isinstance(required, list):
        trimmed["required"] = [name for name in required if name not in names]
    return trimmed


def _last_run(value: Any) -> LastRun | None:
    if not isinstance(value, dict):
        return None
    fired = value.get("fired_at")
    job = value.get("job_id")
    if not isinstance(fired, int | float) or isinstance(fired, bool):
        return None
    if not (math.isfinite(fired) and 0 <= fired <= LAST_MOMENT):
        log.warning("a task's last run at %r is not a time; not shown", fired)
        return None
    return LastRun(float(fired), job if isinstance(job, int) else None)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


@dataclass
class TaskDraft:
    """What the editor holds, unchecked, for the controller to check."""

    name: str
    values: dict[str, Any]
    input_problems: dict[str, str]
    recipients_text: str
    users: list[int]
    users_text: str  # typed ids, when the users list could not be had
    users_typed: bool
    back_days: int
    back_hours: int
    zone: str
    schedules: list[str]


@dataclass(frozen=True)
class TaskSummary:
    """One line of the task list: a task as a person reads it."""

    id: int | None
    name: str
    report: str
    schedule: str  # in words
    next_run: str
    last_run: str
    outcome: str  # the last run's job state, in words


OUTCOME_WORDS = {
    "created": "Waiting",
    "running": "Running",
    "done": "Done",
    "error": "Failed",
}


def summarize(
    task: Task,
    now: dt.datetime,
    *,
    language: str = "en",
    last_state: str | None = None,
) -> TaskSummary:
    """The task list's line for task at now; last_state: its last job's state."""
    words, upcoming = [], []
    try:
        zone = zone_named(task.zone)
    except UsageError as exc:
        zone = None
        words.append(str(exc))
    for text in task.schedule:
        try:
            expression = parse_cron(text)
        except CronError as exc:
            words.append(f"{text}: {exc}")
            continue
        words.append(describe(expression, language) or text)
        if zone is not None:
            upcoming += next_runs(expression, zone, now, 1)

    first = min(upcoming, key=lambda moment: moment.timestamp(), default=None)
    last = task.last_run
    return TaskSummary(
        id=task.id,
        name=task.name,
        report=task.first.report_name,
        schedule="; ".join(words) or "no schedule",
        next_run=_moment_text(first) if first is not None else "never",
        last_run=_moment_text(dt.datetime.fromtimestamp(last.fired_at, zone or dt.UTC))
        if last is not None
        else "not yet",
        outcome=OUTCOME_WORDS.get(last_state or "", last_state or "")
        if last is not None
        else "",
    )


def _moment_text(moment: dt.datetime) -> str:
    """ "2024-10-28 02:30 (UTC+01:00)": the wall time and its offset."""
    offset = moment.strftime("%z")
    return f"{moment:%Y-%m-%d %H:%M} (UTC{offset[:3]}:{offset[3:]})"
