"""An owner for asyncio tasks started from Qt signals.

Controllers start their coroutines here instead of with a bare
`asyncio.create_task`, so that no task is dropped: each is kept until it
ends, a task started under a key replaces (cancels) the previous one with
that key, an unexpected exception reaches the crash handler through
sys.excepthook, and `aclose()` cancels and awaits whatever is left.
"""

import asyncio
import logging
import sys
from collections.abc import Coroutine
from typing import Any

from app.plurals import counted

log = logging.getLogger(__name__)


class TaskOwner:
    """Keeps the running tasks of one controller."""

    def __init__(self, owner: str) -> None:
        self._owner = owner
        self._tasks: set[asyncio.Task[Any]] = set()
        self._keyed: dict[str, asyncio.Task[Any]] = {}
        self._closed = False

    @property
    def running(self) -> int:
        return len(self._tasks)

    def start(
        self, coro: Coroutine[Any, Any, Any], *, key: str | None = None
    ) -> asyncio.Task[Any]:
        """Run coro as a task; with a key, cancel the task that had that key."""
        if self._closed:
            coro.close()
            raise RuntimeError(f"{self._owner} is closed; no new work is started")

        if key is not None:
            self.cancel(key)
        name = f"{self._owner}:{key or getattr(coro, '__qualname__', 'task')}"
        task = asyncio.get_event_loop().create_task(coro, name=name)
        self._tasks.add(task)
        if key is not None:
            self._keyed[key] = task
        task.add_done_callback(self._on_task_done)
        return task

    def cancel(self, key: str) -> None:
        task = self._keyed.pop(key, None)
        if task is not None and not task.done():
            log.debug("cancelling %s", task.get_name())
            task.cancel()

    def cancel_all(self) -> None:
        """Cancel every task; the owner stays open for new ones."""
        for task in list(self._tasks):
            task.cancel()
        self._keyed.clear()

    def is_running(self, key: str) -> bool:
        task = self._keyed.get(key)
        return task is not None and not task.done()

    async def aclose(self) -> None:
        """Cancel every task and wait until all have ended."""
        self._closed = True
        tasks = [task for task in self._tasks if not task.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        log.debug("%s: %s cancelled on close", self._owner, counted(len(tasks), "task"))

    def _on_task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        for key, kept in list(self._keyed.items()):
            if kept is task:
                del self._keyed[key]

        if task.cancelled():
            return
        error = task.exception()
        if error is not None:
            # Errors a person can act on are handled inside the coroutines;
            # anything reaching here is a bug, for the crash handler.
            log.error("task %s failed", task.get_name(), exc_info=error)
            sys.excepthook(type(error), error, error.__traceback__)
