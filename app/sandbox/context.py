"""What the sandbox's routes share: its settings, store, tokens and tasks.

One Sandbox object is made per server and handed to each group of routes,
so nothing is global and a test can build a second one beside the first.
"""

import asyncio
import logging
from collections.abc import Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.sandbox.clock import ClockSettings
from app.sandbox.engine_log import EngineLog
from app.sandbox.engines import EngineLink
from app.sandbox.sessions import Sessions
from app.sandbox.store import Store
from app.sandbox.tracks import FleetTracks

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SandboxSettings:
    """How the sandbox was started (see cli.py for the options)."""

    db_path: Path
    username: str = "demo"
    password: str = "demo"
    engines: tuple[str, ...] = ()
    seed: int = 1
    site_id: int | None = None  # None: the database's own (see gateway.py)
    token_ttl: float = 3600.0
    engine_check_every: float = 5.0  # seconds, while jobs are open
    engine_grace: float = 30.0  # seconds an engine may stay silent
    job_stall: float = 900.0  # seconds a job may go without news from its engine
    clock: ClockSettings = ClockSettings()  # the task runner's (clock.py)
    extra_vehicles: int = 0  # listed beyond the demo fleet (fleet.py)
    # The signed-in user's saved preferences, in place of the demo's.
    user_prefs: dict[str, Any] | None = None


class Background:
    """Owns the asyncio tasks a request starts and does not wait for."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()

    def spawn(self, work: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.get_running_loop().create_task(work, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error(
                "background task %s failed", task.get_name(), exc_info=task.exception()
            )

    async def aclose(self, grace: float = 2.0) -> None:
        """Let running tasks finish for a moment, then cancel the rest."""
        if not self._tasks:
            return
        _, pending = await asyncio.wait(set(self._tasks), timeout=grace)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending)


@dataclass
class Sandbox:
    """The running gateway's parts."""

    settings: SandboxSettings
    base_url: str  # e.g. http://127.0.0.1:8765, without /api
    site_id: int  # given to engines, in each job's configuration
    store: Store
    sessions: Sessions
    engines: EngineLink
    tracks: FleetTracks
    started_at: float
    background: Background = field(default_factory=Background)
    # What each job's engine did, for check-engine (engine_log.py).
    engine_log: EngineLog = field(default_factory=EngineLog)
