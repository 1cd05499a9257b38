"""Closes jobs whose engine has gone away, so none stays `running` forever.

An engine that dies mid-job never sends its last PUT. While any job is
open, the watchdog asks each of their engines for GET /manifest every
`check_every` seconds; an engine that has not answered for `grace` seconds
has its open jobs closed in error ("the engine URL stopped answering while
the job was running"). Jobs left open by an earlier run of the sandbox are
watched the same way from the start. A job still open when its token
expires is closed too: its engine can no longer report on it.

An engine can also answer and still never report: restarted on the same
port, it no longer knows the job; or it is alive but cannot reach the
gateway. So a job whose engine has sent no news of it (no update since it
was handed over, or since its last update) for `stall` seconds is closed
in error as well ("the engine URL sent no news of the job for 15 minutes").
For a job left open by an earlier run, the silence counts from this run's
start: news sent while no sandbox was listening could not arrive.
"""

import asyncio
import logging
import sqlite3
import time
from collections import defaultdict
from typing import Any

from app.sandbox.engines import EngineLink
from app.sandbox.jobs import close_with_error
from app.sandbox.store import Store

log = logging.getLogger(__name__)


class EngineWatchdog:
    """Watches the engines of open jobs; one per sandbox."""

    def __init__(
        self,
        store: Store,
        engines: EngineLink,
        check_every: float,
        grace: float,
        stall: float,
    ) -> None:
        self.store = store
        self.engines = engines
        self.check_every = check_every
        self.grace = grace
        self.stall = stall
        self._started = time.time()
        # When each watched engine last answered (or started being watched).
        self._last_answer: dict[str, float] = {}

    async def run(self) -> None:
        """Check now, then every check_every seconds, until cancelled."""
        log.info(
            "watching engines of open jobs every %.1f s (grace %.0f s, "
            "no news for %.0f s)",
            self.check_every,
            self.grace,
            self.stall,
        )
        while True:
            try:
                await self.check()
            except sqlite3.Error as exc:
                log.warning("could not check the open jobs: %s", exc)
            await asyncio.sleep(self.check_every)

    async def check(self) -> None:
        """One round: ask each engine of an open job, close what is lost."""
        now = time.time()
        by_engine: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for job in self.store.open_jobs():
            news_at = max(
                job["news_at"] or job["dispatched_at"] or job["created_at"],
                self._started,
            )
            if job["created_at"] + job["expires"] <= now:
                close_with_error(
                    self.store,
                    job["id"],
                    "the job expired before its engine reported its end",
                )
            elif now - news_at >= self.stall:
                log.warning(
                    "job %s: no news from %s for %.0f s",
                    job["id"],
                    job["engine"],
                    now - news_at,
                )
                close_with_error(
                    self.store,
                    job["id"],
                    f"the engine {job['engine']} sent no news of the job for "
                    f"{_duration(self.stall)}",
                )
            else:
                by_engine[job["engine"]].append(job)

        # Engines with nothing open are forgotten: a later job starts afresh.
        for engine in set(self._last_answer) - set(by_engine):
            del self._last_answer[engine]

        for engine, jobs in by_engine.items():
            if await self.engines.answers(engine):
                self._last_answer[engine] = time.time()
                continue
            silent_since = self._last_answer.setdefault(engine, now)
            if time.time() - silent_since < self.grace:
                continue

            log.warning(
                "engine %s has not answered for %.0f s; closing its %d open jobs",
                engine,
                time.time() - silent_since,
                len(jobs),
            )
            for job in jobs:
                close_with_error(
                    self.store,
                    job["id"],
                    f"the engine {engine} stopped answering while the job was running",
                )
            del self._last_answer[engine]


def _duration(seconds: float) -> str:
    """ "15 minutes", "1 minute", "90 seconds": whole minutes when it is some."""
    if seconds >= 60 and seconds % 60 == 0:
        minutes = int(seconds // 60)
        return f"{minutes} minute" + ("s" if minutes != 1 else "")
    return f"{seconds:g} second" + ("s" if seconds != 1 else "")
