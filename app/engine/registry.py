"""The engine's running jobs: every background task kept, none dropped.

The app owns one JobRegistry. Each job runs as an asyncio task held here
until it ends; a task that ends with an exception has it logged; on
shutdown every task still running is cancelled and awaited, so each job
gets the chance to tell its gateway it was stopped.
"""

import asyncio
import logging
from collections.abc import Coroutine, Hashable
from typing import Any

log = logging.getLogger(__name__)

# Long enough for each job's last PUT (see job.FINAL_PUT_TIMEOUT).
CLOSE_TIMEOUT = 10.0


class JobRegistry:
    """The running job tasks, by key (site id, job id)."""

    def __init__(self) -> None:
        self._tasks: dict[Hashable, asyncio.Task[None]] = {}

    def __len__(self) -> int:
        return len(self._tasks)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._tasks

    def keys(self) -> set[Hashable]:
        """The keys of the jobs running now."""
        return set(self._tasks)

    def start(self, key: Hashable, work: Coroutine[Any, Any, None]) -> None:
        """Run work as a task under key; the key must not be running."""
        if key in self._tasks:
            work.close()
            raise KeyError(key)
        task = asyncio.create_task(work, name=f"job {key}")
        self._tasks[key] = task
        task.add_done_callback(lambda done: self._on_task_done(key, done))

    async def close(self) -> None:
        """Cancel every running task and wait for them to end."""
        tasks = list(self._tasks.values())
        if not tasks:
            return
        log.info("stopping %d running jobs", len(tasks))
        for task in tasks:
            task.cancel()
        await asyncio.wait(tasks, timeout=CLOSE_TIMEOUT)

    def _on_task_done(self, key: Hashable, task: asyncio.Task[None]) -> None:
        if self._tasks.get(key) is task:
            del self._tasks[key]
        if task.cancelled():
            log.info("job %s was cancelled", key)
            return
        error = task.exception()
        if error is not None:
            log.error("job %s crashed", key, exc_info=error)
