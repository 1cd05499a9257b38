"""Resuming a download cut off halfway, with an HTTP Range request.

A try that finds a part file of N bytes asks for `Range: bytes=N-`. A 206
answer whose Content-Range starts at N is appended to the part; a 200 is
the whole file again, which replaces the part; a 416 for a part already
as long as the file means the part is complete. The size of the file, from
Content-Range or Content-Length, is checked once the body has ended.
Downloads ask for no compression (`Accept-Encoding: identity`): ranges and
lengths then count the file's own bytes.

A job's files do not change once it is done, so a part is resumed without
asking whether the file is still the same one.
"""

# TODO(downloads): send If-Range with the ETag or Last-Modified of the first
# answer, so that a file changed on the server between two tries is fetched
# whole instead of being glued to the old part.

import asyncio
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from app.answers import size_words
from app.downloads import drop_part, open_part
from app.errors import GatewayError, NetworkError

log = logging.getLogger(__name__)

# A download stalls when fewer bytes than this come within its stall time.
STALL_BYTES = 64 * 1024

ProgressListener = Callable[[int, int | None], None]

_CONTENT_RANGE = re.compile(r"^\s*bytes\s+(?:(\d+)-(\d+)|\*)\s*/\s*(\d+|\*)\s*$", re.I)


@dataclass(frozen=True)
class Start:
    """Where an answer's body goes in the file, and the file's whole size."""

    offset: int
    total: int | None


def request_headers(offset: int) -> dict[str, str]:
    """The headers of a download try, asking for the rest after offset bytes."""
    headers = {"Accept-Encoding": "identity", "Accept": "*/*"}
    if offset > 0:
        headers["Range"] = f"bytes={offset}-"
    return headers


def content_range(value: str) -> tuple[int | None, int | None]:
    """(first byte, whole size) from a Content-Range; None where unknown."""
    match = _CONTENT_RANGE.match(value or "")
    if match is None:
        return None, None
    first, _last, total = match.groups()
    return (
        int(first) if first is not None else None,
        int(total) if total and total != "*" else None,
    )


def body_start(response: httpx.Response, offset: int) -> Start | None:
    """Where the body of a 2xx download answer goes; None if it does not fit.

    None means a 206 for some other range than the one asked: the part
    must be dropped and the file asked for whole.
    """
    if response.status_code != 206:
        return Start(0, _length(response))

    first, total = content_range(response.headers.get("content-range", ""))
    if first != offset:
        return None
    return Start(offset, total)


def complete_already(response: httpx.Response, offset: int) -> bool:
    """Whether a 416 says the part already holds the whole file."""
    if response.status_code != 416 or offset <= 0:
        return False
    _first, total = content_range(response.headers.get("content-range", ""))
    return total == offset


def _length(response: httpx.Response) -> int | None:
    """The size of a whole-file answer, if its header tells it plainly."""
    if response.headers.get("content-encoding", "identity").lower() != "identity":
        return None  # the length counts compressed bytes
    value = response.headers.get("content-length", "")
    return int(value) if value.isdigit() else None


async def receive(
    response: httpx.Response,
    part: Path,
    start: Start,
    *,
    call: str,
    limit: int,
    stall: float,
    on_bytes: Callable[[int], None],
    on_progress: ProgressListener | None,
) -> None:
    """Write an answer's body into the part file from start, and check it.

    No deadline for the whole file, which may be large: stall seconds for
    each STALL_BYTES, so a trickle of bytes still counts as a stall. Past limit
    bytes a GatewayError stops it. A body shorter than announced is a
    NetworkError (worth another try, which resumes); the part is kept,
    unless the answer was compressed (its bytes cannot be resumed by range).
    """
    received = start.offset
    encoded = response.headers.get("content-encoding", "identity") != "identity"
    try:
        with open_part(part, keep=start.offset > 0) as out:
            loop = asyncio.get_running_loop()
            counted = received
            async with asyncio.timeout(stall) as clock:
                # Written as they come: bytes held back in a buffer would be
                # lost to a cut. The stall clock restarts at each STALL_BYTES.
                async for chunk in response.aiter_bytes():
                    received += len(chunk)
                    if received - counted >= STALL_BYTES:
                        counted = received
                        clock.reschedule(loop.time() + stall)
                    _check_size(received, limit, call)
                    out.write(chunk)
                    on_bytes(received)
                    if on_progress is not None:
                        on_progress(received, start.total)
        _check_whole(received, start.total, part, call)
    except BaseException:
        if encoded:
            drop_part(part)
        raise


def _check_size(received: int, limit: int, call: str) -> None:
    """GatewayError once a download passes limit bytes."""
    if received <= limit:
        return
    error = GatewayError(
        f"{call} sent more than {size_words(limit)}; the download was "
        "stopped, as no report file should be that large",
        call=call,
    )
    log.warning("%s", error)
    raise error


def _check_whole(received: int, total: int | None, part: Path, call: str) -> None:
    """NetworkError unless the file has the size its answer announced."""
    if total is None or received == total:
        return
    if received > total:
        drop_part(part)  # not the announced file: start again
    raise NetworkError(
        f"{call} ended after {received:,} of the {total:,} bytes announced; "
        "the download goes on from there"
    )
