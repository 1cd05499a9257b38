"""An exclusive lock on a file, held by one process at a time.

Two sandboxes on one database would both hand out job ids and answer for
each other's jobs. The first takes this lock (flock on POSIX, a byte-range
lock on Windows) and holds it while it runs; the operating system lets it
go when the process ends, however it ends, so a crash leaves no stale lock.
The holder's pid is written in the file, for the message the next one
shows.
"""

import contextlib
import logging
import os
import sys
from pathlib import Path
from typing import IO

from app.errors import LocalServerError

log = logging.getLogger(__name__)


class FileLock:
    """An exclusive, non-blocking lock on one file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stream: IO[str] | None = None

    def acquire(self, busy_message: str) -> None:
        """Take the lock; LocalServerError(busy_message) if another holds it."""
        try:
            stream = self.path.open("a+", encoding="utf-8")
        except OSError as exc:
            raise LocalServerError(
                f"cannot create the lock file {self.path}: {exc.strerror or exc}"
            ) from exc

        try:
            _lock(stream)
        except OSError as exc:
            holder = ""
            # Windows keeps others from reading a locked byte: no pid then.
            with contextlib.suppress(OSError):
                stream.seek(0)
                holder = stream.read().strip()
            stream.close()
            suffix = f" (pid {holder})" if holder.isdigit() else ""
            raise LocalServerError(busy_message + suffix) from exc

        stream.seek(0)
        stream.truncate()
        stream.write(str(os.getpid()))
        stream.flush()
        self._stream = stream
        log.debug("locked %s", self.path)

    def release(self) -> None:
        """Let the lock go; safe to call twice."""
        stream, self._stream = self._stream, None
        if stream is None:
            return
        with contextlib.suppress(OSError):
            _unlock(stream)
        stream.close()


if sys.platform == "win32":
    import msvcrt

    def _lock(stream: IO[str]) -> None:
        stream.seek(0)
        msvcrt.locking(stream.fileno(), msvcrt.LK_NBLCK, 1)

    def _unlock(stream: IO[str]) -> None:
        stream.seek(0)
        msvcrt.locking(stream.fileno(), msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _lock(stream: IO[str]) -> None:
        fcntl.flock(stream.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock(stream: IO[str]) -> None:
        fcntl.flock(stream.fileno(), fcntl.LOCK_UN)
