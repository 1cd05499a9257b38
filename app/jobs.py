"""Report jobs on a gateway: the job object and following one to its end.

A job is created with POST /api/job_manager and then updated by its engine
(PEGASUS_API.md §5.3, §7.3). Gateways differ in small ways, so reading a
job is tolerant: missing keys, numbers sent as strings and an empty
`progress` all give a usable Job. Following a job polls it at the pace of
app/polling.py: soon at first, then less often as it ages, and slower
still while nobody looks at the window.
"""

import datetime as dt
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from app.errors import GatewayError, NetworkError
from app.jsonvalues import lenient_number
from app.polling import Pacer, PaceRule

if TYPE_CHECKING:
    from app.gateway import Gateway

log = logging.getLogger(__name__)

TERMINAL_STATES = frozenset({"done", "error"})
# Answers worth polling again for: the gateway is busy, not refusing us.
RETRY_STATUSES = frozenset({429, 502, 503, 504})
MAX_POLL_FAILURES = 3

JobListener = Callable[["Job"], None]


@dataclass
class Job:
    """A report job as the gateway last described it."""

    id: int
    script: str = ""
    name: str = ""
    state: str = "created"
    percentage: float = 0.0
    files: list[str] = field(default_factory=list)
    error: str = ""
    summary: dict[str, Any] = field(default_factory=dict)
    created_at: float | None = None
    done_at: float | None = None
    params: dict[str, Any] = field(default_factory=dict)
    engine: str = ""
    # The scheduled task that started the job (`task: {id, name}`), if any.
    task_id: int | None = None
    task_name: str = ""

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Job":
        """A Job from the gateway's JSON, filling in what is missing."""
        progress = data.get("progress")
        result = data.get("result")
        result = result if isinstance(result, dict) else {}
        state = _text(data.get("state")).lower() or "created"

        percentage = _finite(
            lenient_number(
                progress.get("percentage") if isinstance(progress, dict) else progress
            )
        )
        if percentage is None:
            percentage = 100.0 if state == "done" else 0.0

        files = result.get("files")
        if isinstance(files, str):
            files = [files]
        params = data.get("params", data.get("args", data.get("parameters")))
        task = _dict(data.get("task"))
        task_id = task.get("id") if type(task.get("id")) is int else None

        return cls(
            id=int(_finite(lenient_number(data.get("id"))) or 0),
            script=_text(data.get("script")),
            name=_text(data.get("name")),
            state=state,
            percentage=min(max(percentage, 0.0), 100.0),
            files=[f for f in files if isinstance(f, str)]
            if isinstance(files, list)
            else [],
            error=_text(result.get("error")) or _text(data.get("error")),
            summary=_dict(result.get("summary")),
            created_at=_moment(data.get("created_at")),
            done_at=_moment(data.get("done_at")),
            params=_dict(params),
            engine=_text(data.get("engine")),
            task_id=task_id,
            task_name=_text(task.get("name")),
        )

    @property
    def finished(self) -> bool:
        return self.state in TERMINAL_STATES

    def describe(self) -> str:
        """One line for a log or a terminal: "job 12 trips: running 40%"."""
        label = f"job {self.id} {self.script}".rstrip()
        return f"{label}: {self.state} {self.percentage:.0f}%"


async def follow(
    gateway: "Gateway",
    job_id: int,
    on_update: JobListener | None = None,
    *,
    interval: float | None = None,
    max_interval: float | None = None,
    known: Job | None = None,
    pacer: Pacer | None = None,
    age: float = 0.0,
) -> Job:
    """Poll a job until it is done or in error, and return it as it ended.

    on_update is called each time the job differs from what was last seen
    (known, if given, counts as seen). The first poll is at once when
    nothing is known, soon otherwise; then the wait grows as the job gets
    older (app/polling.py). pacer spaces the polls of all the jobs of a
    session and slows them while the window is hidden; without one, the
    job is paced alone, with interval and max_interval (if given) as its
    shortest and longest wait. age: how old the job already was when
    following began (a job followed again after a restart). A few failed
    polls in a row (network, or a busy gateway) are retried.
    """
    if pacer is None:
        pacer = Pacer(_own_rule(interval, max_interval))
    elif interval is not None or max_interval is not None:
        raise TypeError("follow() takes a pacer or interval bounds, not both")

    started = pacer.now() - age
    with pacer.following():
        if known is not None:
            await pacer.sleep(pacer.first_wait())
        return await _poll_until_finished(
            gateway, job_id, on_update, known, pacer, started
        )


async def _poll_until_finished(
    gateway: "Gateway",
    job_id: int,
    on_update: JobListener | None,
    last: Job | None,
    pacer: Pacer,
    started: float,
) -> Job:
    failures = 0
    while True:
        await pacer.turn()
        try:
            job = await gateway.job(job_id)
            failures = 0
        except (NetworkError, GatewayError) as exc:
            failures += 1
            if not _worth_retrying(exc, read_before=last is not None):
                raise
            if failures > MAX_POLL_FAILURES:
                raise
            log.warning("polling job %s failed (%s); trying again", job_id, exc)
            await pacer.sleep(pacer.next_wait(pacer.now() - started))
            continue

        if job != last:
            log.debug("%s", job.describe())
            last = job
            if on_update is not None:
                on_update(job)
        if job.finished:
            log.info("job %s ended: %s", job_id, job.state)
            return job

        await pacer.sleep(pacer.next_wait(pacer.now() - started))


def _own_rule(interval: float | None, max_interval: float | None) -> PaceRule:
    """The default rule, with the shortest and longest wait given, if any."""
    rule = PaceRule()
    if interval is not None:
        # One job alone: the budget shared by a crowd must not slow it down.
        budget = max(rule.budget, 1 / interval) if interval > 0 else rule.budget
        rule = replace(rule, first=(interval, interval), floor=interval, budget=budget)
    if max_interval is not None:
        rule = replace(rule, ceiling=max(max_interval, rule.floor))
    return rule


def _worth_retrying(exc: Exception, *, read_before: bool) -> bool:
    """Whether a failed poll is worth another try.

    A job already read once comes from a gateway that speaks the protocol:
    one garbled answer (a body cut short, a proxy's page) is then a passing
    fault, not a sign of the wrong server.
    """
    if isinstance(exc, NetworkError):
        return True
    if not isinstance(exc, GatewayError):
        return False
    return exc.status in RETRY_STATUSES or (read_before and exc.status == 200)


def _finite(number: float | None) -> float | None:
    """number, or None for NaN and infinities ("NaN" is valid text to float).

    A NaN never equals itself, so a job carrying one would look changed on
    every poll, and it shows as "nan%".
    """
    return number if number is not None and math.isfinite(number) else None


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _moment(value: Any) -> float | None:
    """Epoch seconds from a number, a numeric string or an ISO date-time."""
    number = _finite(lenient_number(value))
    if number is not None:
        # Some gateways send milliseconds (PEGASUS_API.md §9.27).
        return number / 1000 if number > 1e11 else number
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        moment = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.timestamp()
