"""One job, from the gateway's POST to its last PUT.

`JobRequest.parse` reads the body a gateway POSTs to /jobs and refuses a
malformed one. `run_job` then does the work in the order the protocol
expects: check the parameters before anything else, resolve the vehicles,
fetch each vehicle's raw data and compute its rows (reporting progress as
it goes), write the files, and PUT done with the files and a summary, or
error with a message a person can act on. An engine started with
--job-delay makes each job wait, running and reporting progress, between
the check of its parameters and its work.
"""

import asyncio
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from app.engine.catalog import Catalog
from app.engine.files import FolderRecord, claim_folder, is_id, write_files
from app.engine.gateway import JobGateway, api_base
from app.engine.params import ReportSettings, read_settings
from app.engine.reports.timeline import Row
from app.engine.vehicles import resolve_vehicles
from app.engine.writers import ReportTable
from app.errors import PegasusError, UsageError
from app.jsonvalues import lenient_number

log = logging.getLogger(__name__)

# Progress: a little once the parameters pass, the rest spread over vehicles.
CHECKED_PERCENT = 5
RESOLVED_PERCENT = 10
COMPUTED_PERCENT = 90
FINAL_PUT_TIMEOUT = 3.0
# A gateway may close a job it has had no news of for a while (the sandbox
# after 15 minutes): a long stretch without progress still sends some.
NEWS_EVERY = 60.0  # seconds
# With --job-delay, the wait is shown as the first half of the progress,
# updated at most every DELAY_STEP seconds.
DELAY_PERCENT = 50
DELAY_STEP = 1.0


@dataclass(frozen=True)
class JobRequest:
    """A job as the gateway sent it: who, where, which script, with what."""

    site_id: str
    job_id: str
    script: str
    site_url: str
    token: str
    tz: Any
    user_id: Any
    created_at: float | None
    expires: float | None
    parameters: dict[str, Any]

    @classmethod
    def parse(cls, body: Any) -> "JobRequest":
        """Read a POST /jobs body; UsageError saying what is malformed."""
        if not isinstance(body, dict):
            raise UsageError("the body must be a JSON object")
        config = body.get("configuration")
        if not isinstance(config, dict):
            raise UsageError("the body has no configuration object")
        parameters = body.get("parameters", {})
        if not isinstance(parameters, dict):
            raise UsageError("parameters must be an object")

        site_url = config.get("site_url")
        if not isinstance(site_url, str) or not site_url.startswith(
            ("http://", "https://")
        ):
            raise UsageError("configuration.site_url must be an http(s) URL")
        token = config.get("api_token")
        if not isinstance(token, str) or not token:
            raise UsageError("configuration.api_token is missing")
        script = config.get("job_name")
        if not isinstance(script, str) or not script:
            raise UsageError("configuration.job_name (the script) is missing")

        return cls(
            site_id=_id(config, "site_id"),
            job_id=_id(config, "job_id"),
            script=script,
            site_url=site_url,
            token=token,
            tz=config.get("tz"),
            user_id=config.get("user_id"),
            created_at=lenient_number(config.get("job_created_at")),
            expires=lenient_number(config.get("job_expires")),
            parameters=parameters,
        )

    @property
    def key(self) -> tuple[str, str]:
        return (self.site_id, self.job_id)

    def __repr__(self) -> str:
        # Never show the token, whatever prints this object.
        return f"JobRequest(site={self.site_id}, job={self.job_id}, {self.script})"


class Progress:
    """PUTs the running percentage when it goes up, or when the gateway has
    heard nothing for NEWS_EVERY seconds."""

    def __init__(self, gateway: JobGateway, job_id: str) -> None:
        self._gateway = gateway
        self._job_id = job_id
        self.percentage = -1  # the last one sent
        self._sent_at = time.monotonic()
        self._floor = 0  # where the work's 0 % is shown (after a delay)

    def start_work_at(self, percentage: int) -> None:
        """Show the work's progress from percentage on, its 100 % at 100."""
        self._floor = percentage

    async def update(self, percentage: int) -> None:
        shown = self._floor + percentage * (100 - self._floor) // 100
        if shown <= self.percentage:
            return
        self.percentage = shown
        await self._send()

    async def keep_alive(self) -> None:
        """Send the percentage again if the gateway has not heard of the job
        for a while."""
        if self.percentage >= 0 and time.monotonic() - self._sent_at >= NEWS_EVERY:
            await self._send()

    async def _send(self) -> None:
        self._sent_at = time.monotonic()
        body = {"state": "running", "progress": {"percentage": self.percentage}}
        try:
            await self._gateway.update_job(self._job_id, body)
        except PegasusError as exc:
            # The work goes on: only the final PUT really matters.
            log.warning("job %s: progress update failed: %s", self._job_id, exc)


async def run_job(
    request: JobRequest,
    catalog: Catalog,
    http: httpx.AsyncClient,
    files_root: Path,
    delay: float = 0.0,
) -> None:
    """Do one job and report its end to the gateway; never raises but cancel.

    delay: seconds the job waits, running, before its work (--job-delay).
    """
    gateway = JobGateway(http, request.site_url, request.token)
    progress = Progress(gateway, request.job_id)
    started = time.monotonic()
    log.info("job %s/%s: %s started", request.site_id, request.job_id, request.script)
    try:
        result = await _work(request, catalog, gateway, progress, files_root, delay)
    except PegasusError as exc:
        log.warning("job %s failed: %s", request.job_id, exc)
        await _finish(gateway, request, progress, error=str(exc))
        return
    except asyncio.CancelledError:
        await _finish(
            gateway,
            request,
            progress,
            error="the engine stopped before the report was finished",
        )
        raise
    except Exception:
        log.exception("job %s: the engine failed", request.job_id)
        await _finish(
            gateway,
            request,
            progress,
            error="the engine failed while making the report (see the engine log)",
        )
        return

    await _finish(gateway, request, progress, result=result)
    log.info(
        "job %s done in %.1f s: %s",
        request.job_id,
        time.monotonic() - started,
        ", ".join(result["files"]),
    )


async def _work(
    request: JobRequest,
    catalog: Catalog,
    gateway: JobGateway,
    progress: Progress,
    files_root: Path,
    delay: float = 0.0,
) -> dict[str, Any]:
    folder = _claim_folder(request, files_root)
    entry = catalog.get(request.script)
    if entry is None:
        raise UsageError(f"this engine has no script named {request.script!r}")

    settings = read_settings(entry.script, request.parameters, request.tz)
    if delay > 0:
        await _wait_running(request.job_id, delay, progress)
    await progress.update(CHECKED_PERCENT)

    vehicles = await resolve_vehicles(gateway, settings.vehicle_ids, settings.group_ids)
    await progress.update(RESOLVED_PERCENT)

    rows: list[Row] = []
    span = COMPUTED_PERCENT - RESOLVED_PERCENT
    for done, vehicle in enumerate(vehicles, start=1):
        queries = entry.report.rawdata_queries(vehicle, settings)
        events = await _fetch_events(gateway, queries, progress)
        rows.extend(entry.report.rows(vehicle, events, settings))
        await progress.update(RESOLVED_PERCENT + span * done // len(vehicles))

    table = ReportTable(
        script=entry.script.script,
        title=entry.script.title,
        columns=entry.report.columns,
        rows=rows,
        about=_about(settings),
        time_columns=entry.report.time_columns,
    )
    try:
        files = await asyncio.to_thread(write_files, folder, table, settings.formats)
    except OSError as exc:
        raise PegasusError(
            f"the engine could not write the report files in {folder}: "
            f"{exc.strerror or exc}"
        ) from exc
    return {
        "files": files,
        "summary": entry.report.summary(rows, len(vehicles), settings),
    }


async def _wait_running(job_id: str, delay: float, progress: Progress) -> None:
    """Stay running for delay seconds, the progress rising to DELAY_PERCENT."""
    log.info("job %s waits %.1f s before its work (--job-delay)", job_id, delay)
    started = time.monotonic()
    await progress.update(0)
    while (left := started + delay - time.monotonic()) > 0:
        await asyncio.sleep(min(DELAY_STEP, left))
        waited = min(1.0, (time.monotonic() - started) / delay)
        await progress.update(int(DELAY_PERCENT * waited))
        await progress.keep_alive()
    await progress.update(DELAY_PERCENT)
    progress.start_work_at(DELAY_PERCENT)


def _claim_folder(request: JobRequest, files_root: Path) -> Path:
    """The job's folder, recorded as this gateway's until the job expires."""
    record = FolderRecord.of_job(
        api_base(request.site_url), request.created_at, request.expires, time.time()
    )
    try:
        return claim_folder(files_root, request.site_id, request.job_id, record)
    except OSError as exc:
        raise PegasusError(
            f"the engine could not prepare its files folder in {files_root}: "
            f"{exc.strerror or exc}"
        ) from exc


async def _fetch_events(
    gateway: JobGateway, queries: list[dict[str, str]], progress: Progress
) -> list[dict[str, Any]]:
    """The events of every query, each event once (windows share their ends)."""
    events: list[dict[str, Any]] = []
    seen: set[int | str] = set()
    for query in queries:
        await progress.keep_alive()
        for event in await gateway.rawdata(query):
            key = event.get("id")
            if isinstance(key, int | str):
                if key in seen:
                    continue
                seen.add(key)
            events.append(event)
    return events


async def _finish(
    gateway: JobGateway,
    request: JobRequest,
    progress: Progress,
    *,
    result: dict[str, Any] | None = None,
    error: str = "",
) -> None:
    """The last PUT: done with the result, or error with its message."""
    if result is not None:
        body = {"state": "done", "progress": {"percentage": 100}, "result": result}
    else:
        body = {
            "state": "error",
            "progress": {"percentage": max(progress.percentage, 0)},
            "result": {"error": error},
        }

    try:
        # Bounded: this also runs while the engine is shutting down.
        async with asyncio.timeout(FINAL_PUT_TIMEOUT if error else None):
            await gateway.update_job(request.job_id, body)
    except (PegasusError, TimeoutError) as exc:
        log.warning(
            "job %s: could not tell the gateway it ended (%s): %s",
            request.job_id,
            body["state"],
            exc or "no answer in time",
        )


def _about(settings: ReportSettings) -> dict[str, Any]:
    """What the JSON file says about its rows besides the rows."""
    about: dict[str, Any] = {"tz": settings.clock.name}
    if settings.period is not None:
        about["from"] = settings.clock.wall(settings.period.start)
        about["to"] = settings.clock.wall(settings.period.end)
    about["generated_at"] = settings.clock.wall(settings.now)
    about["units"] = settings.units.as_dict()
    return about


def _id(config: dict[str, Any], key: str) -> str:
    value = config.get(key)
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise UsageError(f"configuration.{key} must be a number")
    text = str(value).strip()
    if not is_id(text):
        raise UsageError(f"configuration.{key} must be a whole number, not {text!r}")
    return text
