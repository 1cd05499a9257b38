"""An exclusive lock on a file, held by one process at a time.

Two sandboxes on one database would both hand out job ids and answer for
each other's jobs. The first takes this lock (flock on POSIX, a byte-range
lock on Windows) and holds it while it runs; the operating system lets it
go when the process ends, however it ends, so a crash leaves no stale lock.
The holder's pid is written in the file, for the message the next one
shows. The lock file is opened without following a symbolic link (where
the system can say so): a link planted in its place could otherwise make
the sandbox truncate and write another file.
"""

import contextlib
import errno
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
        stream = self._open()

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

    def _open(self) -> IO[str]:
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
        try:
            descriptor = os.open(self.path, flags, 0o600)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise LocalServerError(
                    f"the lock file {self.path} is a symbolic link, which a "
                    "sandbox never follows; remove the link"
                ) from exc
            raise LocalServerError(
                f"cannot create the lock file {self.path}: {exc.strerror or exc}"
            ) from exc
        return os.fdopen(descriptor, "r+", encoding="utf-8")

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
