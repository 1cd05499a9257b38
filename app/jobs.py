"""Report jobs on a gateway: the job object and following one to its end.

A job is created with POST /api/job_manager and then updated by its engine
(PEGASUS_API.md §5.3, §7.3). Gateways differ in small ways, so reading a
job is tolerant: missing keys, numbers sent as strings and an empty
`progress` all give a usable Job.
"""

import asyncio
import datetime as dt
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from app.errors import GatewayError, NetworkError
from app.jsonvalues import lenient_number

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
    interval: float = 1.0,
    max_interval: float = 5.0,
    known: Job | None = None,
) -> Job:
    """Poll a job until it is done or in error, and return it as it ended.

    on_update is called each time the job differs from what was last seen
    (known, if given, counts as seen). The wait between polls grows while
    nothing changes and as the job gets older, up to max_interval. A few
    failed polls in a row (network, or a busy gateway) are retried.
    """
    started = time.monotonic()
    last = known
    delay = interval
    failures = 0

    while True:
        try:
            job = await gateway.job(job_id)
            failures = 0
        except (NetworkError, GatewayError) as exc:
            failures += 1
            if not _worth_retrying(exc) or failures > MAX_POLL_FAILURES:
                raise
            log.warning("polling job %s failed (%s); trying again", job_id, exc)
            await asyncio.sleep(max_interval)
            continue

        changed = job != last
        if changed:
            log.debug("%s", job.describe())
            last = job
            if on_update is not None:
                on_update(job)
        if job.finished:
            log.info("job %s ended: %s", job_id, job.state)
            return job

        # Quick while the job moves, slower when it stalls or runs for long.
        delay = interval if changed else min(delay * 1.5, max_interval)
        age_floor = interval + (time.monotonic() - started) / 60
        delay = max(delay, min(age_floor, max_interval))
        await asyncio.sleep(delay)


def _worth_retrying(exc: Exception) -> bool:
    if isinstance(exc, NetworkError):
        return True
    return isinstance(exc, GatewayError) and exc.status in RETRY_STATUSES


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
