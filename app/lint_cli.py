"""`python -m app lint PATH_OR_URL`: check a manifest, for an engine's CI.

The manifest is read from a file, or fetched from an http(s) address (an
engine's `/manifest`); no other kind of address is fetched. Every problem is
printed, one a line as `file:line:col: error|warning: message (pointer)`,
or as one JSON document with --format json. The exit status is 0 when the
manifest is clean, 1 when it has warnings only and 2 when it has errors or
cannot be read at all.
"""

import argparse
import logging
import re
import sys
import urllib.parse
from pathlib import Path

import httpx

from app.addresses import has_user_info, is_loopback_host, url_problem
from app.bounded_files import read_bounded
from app.display_text import quoted
from app.errors import ManifestError, NetworkError, UsageError
from app.jsonlimits import MAX_DOCUMENT_BYTES
from app.lint import as_json, as_text, lint_manifest

log = logging.getLogger(__name__)

FETCH_TIMEOUT = 10.0
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "manifest",
        metavar="PATH_OR_URL",
        help="a manifest JSON file, or the http(s) address of one",
    )
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="one problem a line (text, the default), or one JSON document",
    )


def main(args: argparse.Namespace) -> int:
    source = args.manifest
    data = read_source(source)
    report = lint_manifest(data, source=source)

    printed = as_json(report) if args.format == "json" else as_text(report)
    sys.stdout.write(printed)
    return report.exit_status


def read_source(source: str) -> bytes:
    """The manifest's bytes, from a file or an http(s) address."""
    match = _SCHEME.match(source)
    if match is None:
        return read_bounded(Path(source), f"the manifest {quoted(source)}")
    if match.group(1).lower() not in ("http", "https"):
        raise UsageError(
            f"cannot lint {quoted(source)}: only http and https addresses are "
            "fetched; give a file's path for anything else"
        )
    return fetch(source)


def fetch(url: str) -> bytes:
    """The body of GET url, within the size limit of a manifest."""
    if has_user_info(url):
        raise UsageError(
            "the manifest's address holds a user name or password; give it without them"
        )
    problem = url_problem(url)
    if problem is not None:
        raise UsageError(
            f"the manifest's address {quoted(url)} is not valid: {problem}"
        )

    # Loopback engines never go through a proxy, as in app.gateway.
    direct = is_loopback_host(urllib.parse.urlsplit(url).hostname or "")
    log.debug("GET %s", url)
    try:
        with (
            httpx.Client(timeout=FETCH_TIMEOUT, trust_env=not direct) as client,
            client.stream("GET", url) as response,
        ):
            if response.status_code != httpx.codes.OK:
                raise ManifestError(
                    f"the manifest at {url} cannot be read: the server answered "
                    f"HTTP {response.status_code}"
                )
            return _bounded_body(response, url)
    except httpx.HTTPError as exc:
        raise NetworkError(f"cannot fetch the manifest at {url}: {exc}") from exc


def _bounded_body(response: httpx.Response, url: str) -> bytes:
    body = bytearray()
    for chunk in response.iter_bytes():
        body += chunk
        if len(body) > MAX_DOCUMENT_BYTES:
            megabytes = MAX_DOCUMENT_BYTES // (1024 * 1024)
            raise ManifestError(
                f"the manifest at {url} is larger than {megabytes} MB, the most "
                "accepted"
            )
    return bytes(body)
