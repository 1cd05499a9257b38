"""A result file streamed from its engine to the client, whole or a range.

The engine's answer is read as it comes and passed on: the sandbox never
holds a file. When the engine gave the file's length (and did not encode
it), the answer announces that length, and a `Range: bytes=N-`, `N-M` or
`-N` is honoured with 206 and Content-Range by skipping the bytes before
N: engines need not know ranges. A range that starts past the end is a
416 (`Content-Range: bytes */LENGTH`); one that cannot be read, several at
once, or an `If-Range` that names another version of the file, gets the
whole file (200), as HTTP allows.

A cut (faults.py) sends part of the body, then ends the response early:
the server closes the connection, and the client sees fewer bytes than
announced.
"""

import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import httpx
from starlette.datastructures import Headers
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.types import Send

log = logging.getLogger(__name__)

MAX_DIGITS = 18  # a larger position is past the end of any file anyway
PASSED_HEADERS = ("content-disposition", "etag", "last-modified")


@dataclass(frozen=True)
class ByteRange:
    """Bytes start..end (both included) of a file of `total` bytes."""

    start: int
    end: int
    total: int

    @property
    def length(self) -> int:
        return self.end - self.start + 1


class UnsatisfiableRangeError(Exception):
    """The range asked for holds no byte of the file."""


def requested_range(header: str | None, total: int) -> ByteRange | None:
    """The one range a Range header asks for; None for the whole file.

    UnsatisfiableRangeError when it starts past the end (or is an empty suffix).
    """
    if not header:
        return None
    unit, _, spec = header.strip().partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    first, dash, last = (part.strip() for part in spec.partition("-"))
    if not dash or not _digits(first, allow_empty=True) or not _digits(last, True):
        return None

    if not first:
        # A suffix: the last N bytes.
        if not last:
            return None
        size = _number(last)
        if size == 0 or total == 0:
            raise UnsatisfiableRangeError
        return ByteRange(max(0, total - size), total - 1, total)

    start = _number(first)
    end = _number(last) if last else None
    if end is not None and end < start:
        return None
    if start >= total:
        raise UnsatisfiableRangeError
    return ByteRange(start, total - 1 if end is None else min(end, total - 1), total)


def _digits(text: str, allow_empty: bool) -> bool:
    return (allow_empty and text == "") or (text.isascii() and text.isdigit())


def _number(text: str) -> int:
    return int(text) if len(text) <= MAX_DIGITS else 10**MAX_DIGITS


def wanted_range(headers: Headers, upstream: httpx.Response) -> ByteRange | None:
    """The range a request asks of the engine's file, if it may be had.

    None (the whole file) when its length is unknown, or when If-Range
    names another version than the engine's ETag or Last-Modified.
    """
    total = known_length(upstream)
    if total is None:
        return None
    if_range = headers.get("if-range")
    if if_range is not None:
        versions = {upstream.headers.get(key) for key in ("etag", "last-modified")}
        if if_range.strip() not in versions - {None}:
            return None
    return requested_range(headers.get("range"), total)


async def unsatisfiable(upstream: httpx.Response) -> Response:
    """The 416 for a range outside the engine's file, which is let go."""
    await upstream.aclose()
    total = known_length(upstream)
    return JSONResponse(
        {"message": f"the range asked for is outside the file ({total} bytes)"},
        status_code=416,
        headers={"content-range": f"bytes */{total}"},
    )


class FileRelay(StreamingResponse):
    """The engine's file answer passed on, sliced to a range, maybe cut."""

    def __init__(
        self,
        upstream: httpx.Response,
        *,
        ranges: bool,
        wanted: ByteRange | None,
        cut_after: int | None,
        on_cut: Callable[[int], None],
    ) -> None:
        total = known_length(upstream)
        headers = {
            key: upstream.headers[key]
            for key in PASSED_HEADERS
            if key in upstream.headers
        }
        if total is not None:
            headers["accept-ranges"] = "bytes" if ranges else "none"
            headers["content-length"] = str(wanted.length if wanted else total)
        if wanted is not None:
            headers["content-range"] = (
                f"bytes {wanted.start}-{wanted.end}/{wanted.total}"
            )

        self._upstream = upstream
        self._skip = wanted.start if wanted else 0
        self._length = wanted.length if wanted else total
        self._cut_after = cut_after
        self._on_cut = on_cut
        self._ended_early = False
        super().__init__(
            self._chunks(),
            status_code=206 if wanted else 200,
            media_type=upstream.headers.get("content-type", "application/octet-stream"),
            headers=headers,
        )

    async def stream_response(self, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": self.status_code,
                "headers": self.raw_headers,
            }
        )
        async for chunk in self.body_iterator:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        if self._ended_early:
            # Returning without the last message: the server closes the
            # connection, as a network that drops it would.
            return
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def _chunks(self) -> AsyncIterator[bytes]:
        sent = 0
        try:
            async for chunk in self._read():
                if self._cut_after is not None and sent + len(chunk) >= self._cut_after:
                    yield chunk[: self._cut_after - sent]
                    self._ended_early = True
                    self._on_cut(self._cut_after)
                    return
                sent += len(chunk)
                yield chunk
            if self._length is not None and sent < self._length:
                log.warning(
                    "the engine's file ended after %s of %s bytes", sent, self._length
                )
                self._ended_early = True
        finally:
            await self._upstream.aclose()

    async def _read(self) -> AsyncIterator[bytes]:
        """The bytes of the range (or file), from the engine's answer."""
        # TODO(sandbox): the bytes before a range are read from the engine
        # and dropped; an engine that honours Range could be asked for the
        # range alone, which would spare it the start of a large file.
        skip, left = self._skip, self._length
        chunks = (
            self._upstream.aiter_bytes() if left is None else self._upstream.aiter_raw()
        )
        async for chunk in chunks:
            if skip:
                dropped = min(skip, len(chunk))
                chunk, skip = chunk[dropped:], skip - dropped
            if left is not None:
                chunk = chunk[:left]
                left -= len(chunk)
            if chunk:
                yield chunk
            if left == 0:
                return


def known_length(upstream: httpx.Response) -> int | None:
    """The file's length in bytes as the engine sends it; None if unknown.

    An encoded answer (gzip...) is passed on decoded, of unknown length.
    """
    encoding = upstream.headers.get("content-encoding", "identity").strip().lower()
    text = upstream.headers.get("content-length", "")
    if encoding != "identity" or not (text.isascii() and text.isdigit()):
        return None
    return int(text)
