"""What a server answered, read within bounds, and plain words about it.

An answer's body is read as it streams in, counting its bytes once
decoded: a gzip answer of a few hundred kilobytes can unpack to gigabytes,
which httpx would otherwise hold in memory whole. Past its limit the
reading stops with a GatewayError naming the call. The helpers below say,
in a few words, what an error answer or a failed connection means, for the
messages of app.gateway.
"""

import errno
import json
import socket
import ssl
import time
from dataclasses import dataclass

import httpx

from app.errors import GatewayError
from app.jsonlimits import JsonLimitError, read_json

MEGABYTE = 1024 * 1024


@dataclass(frozen=True)
class Answer:
    """A response whose body has been read (decoded, within a limit)."""

    response: httpx.Response
    body: bytes

    @property
    def status(self) -> int:
        return self.response.status_code

    @property
    def call(self) -> str:
        """How the call is named in messages: "GET /api/user"."""
        request = self.response.request
        return f"{request.method} {request.url.path}"

    def header(self, name: str, default: str = "") -> str:
        return self.response.headers.get(name, default)


async def read_limited(
    response: httpx.Response, *, limit: int, call: str, where: str
) -> bytes:
    """The decoded body of a streamed response; GatewayError past limit bytes."""
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) > limit:
            raise GatewayError(
                f"{where} answered {call} with more than {size_words(limit)}"
                "; that is too large to be used",
                status=response.status_code,
                call=call,
            )
    return bytes(body)


def size_words(count: int) -> str:
    """A byte count as a person reads it: "20 MB", "2 GB"."""
    if count >= 1024 * MEGABYTE and count % (1024 * MEGABYTE) == 0:
        return f"{count // (1024 * MEGABYTE)} GB"
    if count >= MEGABYTE:
        return f"{count / MEGABYTE:g} MB"
    return f"{count:,} bytes"


def message_suffix(answer: Answer) -> str:
    """ ": <message>" from a JSON error body, or a word on what came instead."""
    try:
        data = read_json(answer.body)
    except (json.JSONDecodeError, UnicodeDecodeError, JsonLimitError):
        kind = answer.header("content-type").split(";")[0]
        return f" (the answer was {kind} instead of JSON)" if kind else ""
    if isinstance(data, dict):
        for key in ("message", "error", "detail"):
            if isinstance(data.get(key), str) and data[key].strip():
                return ": " + data[key].strip()
    return ""


def plain_reason(exc: BaseException) -> str:
    """The cause of a network failure in a few words."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return f"its TLS certificate could not be verified ({seen.verify_message})"
        if isinstance(seen, socket.gaierror):
            return "the host name is not known (check the address)"
        if isinstance(seen, ConnectionRefusedError) or (
            isinstance(seen, OSError) and seen.errno == errno.ECONNREFUSED
        ):
            return "connection refused (is the server running on that port?)"
        seen = seen.__cause__ or seen.__context__

    text = str(exc).strip()
    if "refused" in text.lower():
        return "connection refused (is the server running on that port?)"
    return text or type(exc).__name__


def ms_since(started: float) -> float:
    return (time.monotonic() - started) * 1000
