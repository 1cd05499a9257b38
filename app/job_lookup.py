"""Finding a job the gateway created although its answer never came back.

A POST that creates a job is not repeated blindly: if the connection was
cut or timed out after the request went out, the gateway may have made
the job. Before sending again, the user's newest jobs (GET
/api/job_manager, newest first) are searched for one that has the same
script, name and engine, the parameters sent (an engine may add more
later), and that was created since just before the send, by the
gateway's clock; a job this client already holds is never taken twice.

The gateway's clock is estimated from the `Date` header of its answers,
so a laptop whose clock is off does not miss the job or take an old one.
"""

import email.utils
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from app.jobs import Job

log = logging.getLogger(__name__)

LOOKUP_PAGE_SIZE = 50
MAX_LOOKUP_PAGES = 4
# A Date header has one-second steps, and the answer took time to come.
# Kept small: a job of the same report and values created just before this
# send (a run started moments earlier) must not be taken for this one.
# TODO(jobs): a marker of our own in the create, echoed by the gateway,
# would tell two such jobs apart for sure; the protocol documents none.
CLOCK_MARGIN = 2.0
# With no Date seen yet, the machine's clock is trusted this far.
UNKNOWN_CLOCK_MARGIN = 600.0

PageFetcher = Callable[[int, int], Awaitable[Any]]


class GatewayClock:
    """The gateway's time, as read from the Date headers of its answers."""

    def __init__(self) -> None:
        self.offset: float | None = None

    def note(self, date_header: str) -> None:
        """Read a Date header of an answer that just arrived."""
        if not date_header:
            return
        try:
            moment = email.utils.parsedate_to_datetime(date_header)
        except (TypeError, ValueError):
            return
        self.offset = moment.timestamp() - time.time()

    def since(self) -> float:
        """A moment, by the gateway's clock, surely before a send starting now."""
        if self.offset is None:
            return time.time() - UNKNOWN_CLOCK_MARGIN
        return time.time() + self.offset - CLOCK_MARGIN


def same_job(item: dict[str, Any], body: dict[str, Any], since: float) -> bool:
    """Whether a listed job is the one body asked for, created since then."""
    job = Job.from_json(item)
    if job.created_at is None or job.created_at < since:
        return False
    if (job.script, job.name) != (body["script"], body["name"]):
        return False
    if job.engine.rstrip("/") != str(body["engine"]).rstrip("/"):
        return False
    args = body.get("args") or {}
    return all(key in job.params and job.params[key] == v for key, v in args.items())


async def find_created(
    fetch_page: PageFetcher,
    body: dict[str, Any],
    since: float,
    taken: set[int],
) -> Job | None:
    """The job body created since then, if the gateway lists one.

    fetch_page(page, size) gives one page of the user's jobs. Walking stops
    at a page whose jobs, listed newest first, are all older than since.
    """
    # TODO(jobs): a gateway listing oldest first is searched in its first
    # MAX_LOOKUP_PAGES pages only; a user with more jobs than those hold
    # would get the job sent again (a duplicate) after a lost answer.
    for page in range(1, MAX_LOOKUP_PAGES + 1):
        data = await fetch_page(page, LOOKUP_PAGE_SIZE)
        items = data.get("data") if isinstance(data, dict) else data
        if not isinstance(items, list):
            return None
        jobs = [item for item in items if isinstance(item, dict)]

        for item in jobs:
            if same_job(item, body, since) and Job.from_json(item).id not in taken:
                return Job.from_json(item)

        if not jobs or _all_older(jobs, since) or not _more(data, page):
            return None
    log.debug("no matching job in the newest %d pages", MAX_LOOKUP_PAGES)
    return None


def _all_older(jobs: list[dict[str, Any]], since: float) -> bool:
    """Whether every job on a newest-first page was created before since."""
    ids = [Job.from_json(item).id for item in jobs]
    if ids != sorted(ids, reverse=True):
        return False  # not newest first: later pages may hold newer jobs
    moments = [Job.from_json(item).created_at for item in jobs]
    return all(moment is not None and moment < since for moment in moments)


def _more(data: Any, page: int) -> bool:
    if not isinstance(data, dict):
        return False
    pages = data.get("pages")
    return isinstance(pages, int) and page < pages
