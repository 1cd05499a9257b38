"""Pieces of the engine conformance check that need no gateway.

Arguments that break a script's schema, and requests sent straight to an
engine for files outside a job (with `..`, an absolute path, percent
encoding). Those paths are sent byte for byte with http.client: httpx
would tidy the dot segments away before the engine saw them.
"""

import http.client
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from app.manifest import Script
from app.validation import field_errors

log = logging.getLogger(__name__)

PROBE_TIMEOUT = 10.0  # seconds per request
ESCAPE_DEPTH = 12  # enough `..` to climb out of any engine's files folder
# A value of the wrong type for each JSON Schema type.
WRONG_VALUES: dict[str, Any] = {
    "string": 12345,
    "number": "not a number",
    "integer": "not a number",
    "boolean": "not a boolean",
    "array": "not a list",
    "object": "not an object",
    "null": "not null",
}
UNEXPECTED = {"unexpected": [1, "two", None]}


def broken_args(script: Script) -> dict[str, Any] | None:
    """Args that break the script's schema: each property of a wrong type.

    None when no such args can be made (a schema that accepts anything).
    """
    schema = script.validation_schema or script.schema
    properties = schema.get("properties")
    if not isinstance(properties, dict) or not properties:
        return None

    args: dict[str, Any] = {}
    for name, spec in properties.items():
        kind = spec.get("type") if isinstance(spec, dict) else None
        if isinstance(kind, list):
            kind = kind[0] if kind else None
        args[name] = WRONG_VALUES.get(kind, UNEXPECTED) if kind else UNEXPECTED
    return args if field_errors(schema, args) else None


@dataclass(frozen=True)
class Probe:
    """One request for a file outside a job, and what it tries."""

    label: str
    path: str  # after the engine's base path, sent as is


def outside_probes(
    site_id: int, job_id: int, other_job_id: int | None, file_name: str | None
) -> list[Probe]:
    """Requests that must all be refused by a conforming engine.

    file_name is a file of job_id; other_job_id a job that did not list it.
    """
    base = f"/jobs/{site_id}/{job_id}"
    climb = "../" * ESCAPE_DEPTH
    probes = [
        Probe("`..` segments up to /etc/passwd", f"{base}/{climb}etc/passwd"),
        Probe(
            "percent-encoded `../` up to /etc/passwd",
            f"{base}/{'..%2F' * ESCAPE_DEPTH}etc%2Fpasswd",
        ),
        Probe("an absolute path, percent-encoded", f"{base}/%2Fetc%2Fpasswd"),
        Probe("an absolute path after a double slash", f"{base}//etc/passwd"),
    ]
    if file_name is None:
        return probes

    name = quote(file_name, safe="")
    probes.append(
        Probe("the file under another site id", f"/jobs/{site_id + 1}/{job_id}/{name}")
    )
    if other_job_id is None:
        return probes
    other = f"/jobs/{site_id}/{other_job_id}"
    probes += [
        Probe("the file under another job id", f"{other}/{name}"),
        Probe("`..%2F` into the job", f"{other}/..%2F{job_id}%2F{name}"),
        Probe("`%2E%2E%2F` into the job", f"{other}/%2E%2E%2F{job_id}%2F{name}"),
        Probe("`..%5C` (backslash) into the job", f"{other}/..%5C{job_id}%5C{name}"),
        Probe("double-encoded `..%252F`", f"{other}/..%252F{job_id}%252F{name}"),
    ]
    return probes


def raw_get(engine_url: str, path: str) -> int:
    """GET engine_url's base path + path exactly as written; the status.

    OSError and http.client.HTTPException go to the caller.
    """
    parts = urlsplit(engine_url)
    host = parts.hostname or ""
    connection: http.client.HTTPConnection
    if parts.scheme == "https":
        connection = http.client.HTTPSConnection(
            host, parts.port, timeout=PROBE_TIMEOUT
        )
    else:
        connection = http.client.HTTPConnection(host, parts.port, timeout=PROBE_TIMEOUT)
    try:
        connection.request("GET", parts.path.rstrip("/") + path)
        response = connection.getresponse()
        response.read()
        log.debug("GET %s -> %s", path, response.status)
        return response.status
    finally:
        connection.close()
