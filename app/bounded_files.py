"""Reading a file the user names on the command line, within bounds.

`preview MANIFEST`, `preview --values @FILE` and `run --args @FILE` take a
path. A device (/dev/zero) would be read until memory runs out, and a FIFO
would block forever waiting for a writer, so only regular files are read,
and only up to a size limit.
"""

import logging
import os
import stat
from pathlib import Path

from app.errors import UsageError
from app.jsonlimits import MAX_DOCUMENT_BYTES

log = logging.getLogger(__name__)


def read_bounded(path: Path, what: str, limit: int = MAX_DOCUMENT_BYTES) -> bytes:
    """The bytes of a regular file of at most limit bytes.

    what names the file in messages ("the manifest 'm.json'"). UsageError
    for a file that cannot be read, is not a regular file, or is larger.
    """
    try:
        # Non-blocking: opening a FIFO must not wait for a writer.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise UsageError(f"cannot read {what}: {exc.strerror or exc}") from exc

    with os.fdopen(fd, "rb") as stream:
        try:
            # Checked on the file opened, not on the name, which could change.
            if not stat.S_ISREG(os.fstat(stream.fileno()).st_mode):
                raise UsageError(
                    f"cannot read {what}: it is not a regular file "
                    "(a device, a pipe or a folder)"
                )
            data = stream.read(limit + 1)
        except OSError as exc:
            raise UsageError(f"cannot read {what}: {exc.strerror or exc}") from exc

    if len(data) > limit:
        raise UsageError(f"{what} is larger than {_size(limit)}, the most accepted")
    log.debug("read %d bytes of %s", len(data), what)
    return data


def _size(limit: int) -> str:
    megabytes = limit / (1024 * 1024)
    return f"{megabytes:g} MB" if megabytes >= 1 else f"{limit} bytes"
