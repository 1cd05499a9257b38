"""JSON that any local program may send to the engine or the sandbox.

A request body is read within a size limit and its JSON within the bounds
of app.jsonlimits; what is refused says where, as a BodyError carrying the
HTTP status: 413 for a body over the limit, 400 for text that is not JSON,
that nests too deep, or that holds a number JSON cannot carry (a stored
NaN once made every later answer of the sandbox fail):
"args/min_distance: not a finite number (NaN, Infinity or too large)", or
text with a lone surrogate (`"\\ud800"`, half of a character, which could
be stored but never answered again): "result/error: the text holds a lone
surrogate ...".
"""

import json
from typing import Any

from starlette.requests import Request

from app.errors import PegasusError
from app.jsonlimits import (
    LONE_SURROGATE_PROBLEM,
    JsonLimitError,
    lone_surrogate_paths,
    nonfinite_paths,
    read_json,
)

DEFAULT_LIMIT = 1_000_000  # bytes: far above any real job, task or update


class BodyError(PegasusError):
    """A request body (or JSON parameter) a server will not take."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


async def read_body(request: Request, limit: int = DEFAULT_LIMIT) -> bytes:
    """The request's body, or BodyError 413 once it passes limit bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyError(413, f"the body is larger than {limit} bytes")

    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        # Counted as it arrives: a sender may lie about its length, or not say.
        if size > limit:
            raise BodyError(413, f"the body is larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def parse_json(text: str | bytes, where: str = "the body", path: str = "") -> Any:
    """JSON text as Python values; BodyError 400 naming where it is wrong.

    `where` names the whole text in messages ("the body", "search.groups");
    `path` starts the names of places inside it ("" names "args/tz").
    """
    try:
        value = read_json(text)
    except JsonLimitError as exc:
        raise BodyError(400, f"{where} cannot be used: {exc}") from exc
    except ValueError as exc:
        # json.JSONDecodeError and UnicodeDecodeError are both ValueErrors.
        raise BodyError(400, f"{where} is not valid JSON: {_reason(exc)}") from exc

    # Surrogates first: the place of a number may be named by such a key.
    place = next(lone_surrogate_paths(value), None)
    if place is not None:
        raise BodyError(400, f"{_named(where, path, place)}: {LONE_SURROGATE_PROBLEM}")
    place = next(nonfinite_paths(value), None)
    if place is not None:
        raise BodyError(
            400,
            f"{_named(where, path, place)}: not a finite number "
            "(NaN, Infinity or too large)",
        )
    return value


def _named(where: str, path: str, place: str) -> str:
    return "/".join(part for part in (path, place) if part) or where


def _reason(exc: ValueError) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} at line {exc.lineno}, column {exc.colno}"
    return str(exc)
