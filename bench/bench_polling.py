"""Following 500 running jobs: how the window keeps up, what the gateway gets.

The sandbox gateway and the embedded engine run as child processes, the
engine told to keep every job running (--job-delay) for longer than the
benchmark lasts. JOBS jobs are created, then followed for WINDOW seconds
by the real jobs controller and jobs panel of the real window (offscreen),
as the app follows the jobs a user started (or all of them again after a
restart). Measured meanwhile: the longest stall of the event loop (a Qt
timer due every HEARTBEAT_MS notes how late it fires), counted apart for
the first SETTLE seconds, when the jobs are taken on; and the status
requests per second the sandbox counted (GET /api/sandbox/stats). The same
again with the window hidden.

The baseline, in the same run, on the same jobs and for as long: each job
polled once a second by a plain loop through the same gateway client,
showing each change in the same panel. Before both, the window following
nothing for as long tells how much of a stall the machine's load alone
causes (printed on stderr).
"""

import asyncio
import contextlib
import logging
import os
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import qasync
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication

from app.children import LocalServer, app_command
from app.controllers.session import Session
from app.errors import PegasusError
from app.gateway import Gateway
from app.gui import Workspace, build_workspace
from app.jobs import Job
from app.local_stack import DEMO_PASSWORD, DEMO_USER, SANDBOX_PASSWORD_ENV
from app.paths import DATA_DIR_ENV
from app.settings import Settings
from bench.figures import Figure

JOBS = 500
WINDOW = 25.0  # seconds each way of following is watched
SETTLE = 1.0  # of which the first are taking the jobs on
HEARTBEAT_MS = 5
# Longer than the whole benchmark: no job ends while it is measured.
JOB_DELAY = 900
CREATING_AT_ONCE = 20
SCRIPT = "fleet_status"
STATUS_CALL = "GET /api/job_manager/{job_id}"
NAIVE_INTERVAL = 1.0
# A flooded gateway answers late, the count of requests included.
STATS_TIMEOUT = 120.0
TARGET_STALL_MS = 50.0
# 500 jobs coming at once (all followed again after a restart) freeze the
# window once, for a moment.
TARGET_TAKING_ON_MS = 500.0
TARGET_SHARE = 0.2
# Hidden, polls are four times as far apart; half leaves room for noise.
TARGET_HIDDEN_SHARE = 0.5


@dataclass
class Measure:
    """What one way of following showed over its window."""

    stall: float  # the longest lateness of the heartbeat, seconds
    requests: int  # status requests the sandbox counted
    seconds: float
    taking_on: float  # the longest stall in the first SETTLE seconds
    busy: float  # the longest CPU time of the window's thread between beats

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


class Heartbeat:
    """A Qt timer due every few milliseconds that notes how late it fires.

    Also noted: the longest the window's thread was busy between two beats
    (its CPU time), which other processes on a loaded machine do not add to.
    """

    def __init__(self, interval_ms: int) -> None:
        self._interval = interval_ms / 1000
        self._timer = QTimer()
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._on_timer_timeout)
        self._last = self._last_busy = 0.0
        self.longest = self.longest_busy = 0.0

    def start(self) -> None:
        self.longest = self.longest_busy = 0.0
        self._last, self._last_busy = time.perf_counter(), time.thread_time()
        self._timer.start()

    def restart(self) -> float:
        """The longest stall seen so far, in seconds; then count anew."""
        self._on_timer_timeout()
        longest, self.longest, self.longest_busy = self.longest, 0.0, 0.0
        return longest

    def stop(self) -> float:
        """Stop; the longest stall seen, in seconds."""
        self._timer.stop()
        self._on_timer_timeout()
        return self.longest

    def _on_timer_timeout(self) -> None:
        now, busy = time.perf_counter(), time.thread_time()
        self.longest = max(self.longest, now - self._last - self._interval)
        self.longest_busy = max(self.longest_busy, busy - self._last_busy)
        self._last, self._last_busy = now, busy


class WarningCounter(logging.Handler):
    """Counts the app's warnings instead of printing each: against a
    flooded gateway the baseline makes hundreds."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0
        self.first = ""

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1
        self.first = self.first or record.getMessage()


@contextlib.contextmanager
def counted_warnings() -> Iterator[WarningCounter]:
    logger = logging.getLogger("app")
    counter = WarningCounter()
    logger.addHandler(counter)
    kept = logger.propagate
    logger.propagate = False
    try:
        yield counter
    finally:
        logger.propagate = kept
        logger.removeHandler(counter)


class Stand:
    """The window, the signed-in gateway and the jobs being measured."""

    def __init__(self, workspace: Workspace, gateway: Gateway) -> None:
        self.workspace = workspace
        self.gateway = gateway
        self.jobs: list[Job] = []
        self.heartbeat = Heartbeat(HEARTBEAT_MS)
        self.naive_failures = 0
        self._naive: list[asyncio.Task[None]] = []
        self._stats = httpx.AsyncClient(
            base_url=gateway.site_url, trust_env=False, timeout=STATS_TIMEOUT
        )

    async def aclose(self) -> None:
        await self._stats.aclose()
        await self.gateway.aclose()

    async def create_jobs(self) -> None:
        """JOBS jobs on the gateway, a few at a time."""
        gate = asyncio.Semaphore(CREATING_AT_ONCE)
        engine = (await self.gateway.engines())[0]

        async def create(number: int) -> Job:
            async with gate:
                return await self.gateway.create_job(
                    script=SCRIPT, name=f"Fleet status {number}", engine=engine, args={}
                )

        self.jobs = list(await asyncio.gather(*(create(n) for n in range(JOBS))))

    async def measure(
        self, start: Callable[[], Any], stop: Callable[[], Coroutine[Any, Any, None]]
    ) -> Measure:
        """Start following, watch for WINDOW seconds, stop; what was seen."""
        await self._call("DELETE")
        began = time.perf_counter()
        self.heartbeat.start()
        start()
        # Taking the jobs on (rows, tasks, their records) is one freeze of
        # its own; the stalls while following are counted after it.
        await asyncio.sleep(SETTLE)
        taking_on = self.heartbeat.restart()
        await asyncio.sleep(WINDOW - SETTLE)
        stall = self.heartbeat.stop()
        busy = self.heartbeat.longest_busy
        seconds = time.perf_counter() - began
        # Stopped first: a flooded gateway would keep the count waiting.
        # Requests sent in the window and answered after it are counted.
        await stop()
        counted = await self._call("GET")
        requests = int(counted["by_path"].get(STATUS_CALL, 0))
        return Measure(stall, requests, seconds, taking_on, busy)

    # -- the app's way --------------------------------------------------------

    def follow_in_app(self) -> None:
        controller = self.workspace.jobs
        controller.start_session(Session(self.gateway, DEMO_USER))
        for job in self.jobs:
            controller.watch(job)

    async def stop_app(self) -> None:
        self.workspace.jobs.end_session()
        # The cancelled tasks end on the loop's next turns.
        await asyncio.sleep(0.5)

    # -- the baseline ----------------------------------------------------------

    def follow_naively(self) -> None:
        self._naive = [
            asyncio.get_running_loop().create_task(self._every_second(job))
            for job in self.jobs
        ]

    async def stop_naive(self) -> None:
        for task in self._naive:
            task.cancel()
        await asyncio.gather(*self._naive, return_exceptions=True)

    async def _every_second(self, job: Job) -> None:
        panel = self.workspace.window.jobs_panel
        last = job
        while True:
            try:
                job = await self.gateway.job(job.id)
            except PegasusError:
                # A flooded gateway fails some polls; the loop goes on.
                self.naive_failures += 1
            if job != last:
                panel.show_job(job)
                last = job
            await asyncio.sleep(NAIVE_INTERVAL)

    async def _call(self, method: str) -> dict[str, Any]:
        answer = await self._stats.request(
            method,
            "/api/sandbox/stats",
            headers={"Authenticate": self.gateway.token or ""},
        )
        answer.raise_for_status()
        counted: dict[str, Any] = answer.json()
        return counted


def start_servers(folder: Path) -> tuple[LocalServer, LocalServer]:
    """The engine (jobs kept running) and the sandbox that sends it jobs."""
    engine = LocalServer(
        "engine",
        app_command(
            "engine",
            "--port",
            "0",
            "--files",
            str(folder / "engine-files"),
            "--job-delay",
            str(JOB_DELAY),
            "--watch-stdin",
        ),
    )
    engine_url = engine.start()
    sandbox = LocalServer(
        "sandbox",
        app_command(
            "sandbox",
            "--port",
            "0",
            "--db",
            str(folder / "sandbox.sqlite3"),
            "--user",
            DEMO_USER,
            "--engine",
            engine_url,
            "--watch-stdin",
        ),
        env={SANDBOX_PASSWORD_ENV: DEMO_PASSWORD},
    )
    try:
        sandbox.start()
    except BaseException:
        engine.stop()
        raise
    return engine, sandbox


async def measure_all(stand: Stand) -> tuple[Measure, Measure, Measure]:
    """The app's way shown, then hidden, then the baseline."""
    await stand.gateway.login(DEMO_USER, DEMO_PASSWORD)
    await stand.create_jobs()
    window = stand.workspace.window
    idle = await stand.measure(_nothing, _nothing_to_stop)
    _note(
        f"the window following nothing stalled up to {1000 * idle.stall:.0f} ms "
        "meanwhile: what this machine's load alone causes"
    )

    with counted_warnings() as warnings:
        shown = await stand.measure(stand.follow_in_app, stand.stop_app)
        window.hide()
        hidden = await stand.measure(stand.follow_in_app, stand.stop_app)
        window.show()
    if warnings.count:
        _note(f"{warnings.count} warnings while following, the first: {warnings.first}")
    with counted_warnings():
        naive = await stand.measure(stand.follow_naively, stand.stop_naive)
    if stand.naive_failures:
        _note(f"baseline: {stand.naive_failures} polls failed (the gateway flooded)")
    return shown, hidden, naive


def _nothing() -> None:
    pass


async def _nothing_to_stop() -> None:
    pass


def _note(text: str) -> None:
    print(f"bench_polling: {text}", file=sys.stderr, flush=True)


def run() -> list[Figure]:
    kept = os.environ.get(DATA_DIR_ENV)
    with tempfile.TemporaryDirectory() as folder:
        # The window's settings and files, not the user's.
        os.environ[DATA_DIR_ENV] = str(Path(folder) / "data")
        (Path(folder) / "data").mkdir()
        engine, sandbox = start_servers(Path(folder))
        try:
            shown, hidden, naive = _in_window(sandbox.url or "")
        finally:
            sandbox.stop()
            engine.stop()
            if kept is None:
                os.environ.pop(DATA_DIR_ENV, None)
            else:
                os.environ[DATA_DIR_ENV] = kept
    return figures(shown, hidden, naive)


def _in_window(url: str) -> tuple[Measure, Measure, Measure]:
    """Measure in the real window, on a qasync loop of its own."""
    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    workspace = build_workspace(Settings.open())
    workspace.window.show()
    stand = Stand(workspace, Gateway(url))
    try:
        return loop.run_until_complete(measure_all(stand))
    finally:
        loop.run_until_complete(stand.aclose())
        loop.run_until_complete(workspace.aclose())
        workspace.window.close()
        loop.close()
        asyncio.set_event_loop(None)


def figures(shown: Measure, hidden: Measure, naive: Measure) -> list[Figure]:
    stall_ms = 1000 * max(shown.stall, hidden.stall)
    busy_ms = 1000 * max(shown.busy, hidden.busy)
    taking_on_ms = 1000 * max(shown.taking_on, hidden.taking_on)
    share = shown.rate / naive.rate if naive.rate else float("inf")
    return [
        Figure(
            name=f"longest event-loop stall following {JOBS} jobs",
            value=stall_ms,
            baseline=1000 * naive.stall,
            unit="ms",
            target=f"< {TARGET_STALL_MS:.0f} ms (baseline: each polled every second)",
            met=stall_ms < TARGET_STALL_MS,
        ),
        Figure(
            name=f"longest busy stretch of the window's thread following {JOBS} jobs",
            value=busy_ms,
            baseline=1000 * naive.busy,
            unit="ms CPU",
            target=f"< {TARGET_STALL_MS:.0f} ms (the stall less other processes)",
            met=busy_ms < TARGET_STALL_MS,
        ),
        Figure(
            name=f"longest event-loop stall taking on {JOBS} jobs at once",
            value=taking_on_ms,
            baseline=1000 * naive.taking_on,
            unit="ms",
            target=f"< {TARGET_TAKING_ON_MS:.0f} ms (baseline: polling tasks only)",
            met=taking_on_ms < TARGET_TAKING_ON_MS,
        ),
        Figure(
            name=f"status requests/s following {JOBS} jobs",
            value=shown.rate,
            baseline=naive.rate,
            unit="req/s",
            target=f"ratio < {TARGET_SHARE:.2f} (each polled every second)",
            met=share < TARGET_SHARE,
        ),
        Figure(
            name=f"status requests/s following {JOBS} jobs, window hidden",
            value=hidden.rate,
            baseline=shown.rate,
            unit="req/s",
            target=f"ratio < {TARGET_HIDDEN_SHARE:.2f} (the window shown)",
            met=hidden.rate < TARGET_HIDDEN_SHARE * shown.rate,
        ),
    ]
