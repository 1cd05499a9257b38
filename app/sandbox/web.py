"""HTTP plumbing shared by the sandbox's routes.

Every error leaves the sandbox as JSON `{"message": "..."}` with a status
from the Pegasus list (400, 401, 404, 409, 413, 502, ...): routes raise
ApiError, and the handlers here turn it, Starlette's own 404/405 and any
crash into that shape. Bodies are read within a size limit and parsed
strictly (app.jsonbody): no NaN or Infinity, no deep nesting, so nothing
stored can later fail to be answered.
"""

import logging
from typing import Any
from urllib.parse import parse_qsl

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app.errors import PegasusError
from app.jsonbody import BodyError, parse_json, read_body

log = logging.getLogger(__name__)


class ApiError(PegasusError):
    """A request the sandbox refuses; the text is the message the client sees."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def error_response(status: int, message: str) -> JSONResponse:
    return JSONResponse({"message": message}, status_code=status)


async def on_api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    log.debug("%s %s -> %s %s", request.method, request.url.path, exc.status, exc)
    return error_response(exc.status, exc.message)


async def on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        message = f"there is no {request.url.path} on this gateway"
    elif exc.status_code == 405:
        message = f"{request.method} is not allowed on {request.url.path}"
    else:
        message = str(exc.detail)
    return error_response(exc.status_code, message)


async def on_crash(request: Request, exc: Exception) -> Response:
    log.error("%s %s failed: %s", request.method, request.url.path, exc, exc_info=exc)
    return error_response(500, f"the sandbox gateway failed: {type(exc).__name__}")


EXCEPTION_HANDLERS = {
    ApiError: on_api_error,
    HTTPException: on_http_error,
    Exception: on_crash,
}


async def json_object(request: Request) -> dict[str, Any]:
    """The request body as a JSON object; 400 (or 413) if it is anything else."""
    try:
        data = parse_json(await read_body(request) or b"{}")
    except BodyError as exc:
        raise ApiError(exc.status, exc.message) from exc
    if not isinstance(data, dict):
        raise ApiError(400, "the body must be a JSON object")
    return data


async def json_or_form(request: Request) -> dict[str, Any]:
    """A body sent as JSON or form-encoded, as the official examples do."""
    content_type = request.headers.get("content-type", "")
    if "application/x-www-form-urlencoded" in content_type:
        try:
            body = (await read_body(request)).decode("utf-8", "replace")
        except BodyError as exc:
            raise ApiError(exc.status, exc.message) from exc
        return dict(parse_qsl(body, keep_blank_values=True))
    return await json_object(request)


def json_parameter(name: str, text: str) -> Any:
    """A query parameter written as JSON; ApiError 400 naming it otherwise."""
    try:
        return parse_json(text, where=name, path=name)
    except BodyError as exc:
        raise ApiError(400, exc.message) from exc


def int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    """An integer query parameter within [low, high]; 400 names it otherwise."""
    text = request.query_params.get(name)
    if text is None or text == "":
        return default
    try:
        value = int(text)
    except ValueError as exc:
        raise ApiError(400, f"{name}: {text!r} is not a whole number") from exc
    if not low <= value <= high:
        raise ApiError(400, f"{name}: {value} is out of range ({low} to {high})")
    return value
