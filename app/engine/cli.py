"""`python -m app engine`: serve the embedded job-engine on loopback."""

import argparse
import logging
import math
from pathlib import Path

from app.engine.server import create_app
from app.engine.sites import SitePolicy
from app.errors import UsageError
from app.lifeline import add_watch_argument, exit_when_parent_dies
from app.paths import data_dir
from app.serve import serve

log = logging.getLogger(__name__)

MAX_JOB_DELAY = 86_400  # seconds


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--port", type=int, default=0, help="port on 127.0.0.1 (0: any free port)"
    )
    parser.add_argument(
        "--files",
        metavar="DIR",
        type=Path,
        help="where report files are kept (default: the app's data folder)",
    )
    parser.add_argument(
        "--allow-site",
        action="append",
        default=[],
        metavar="URL",
        help="also work for the gateway at URL, which is not on this computer "
        "(repeatable; gateways on loopback are always allowed)",
    )
    parser.add_argument(
        "--job-delay",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="each job reports running, then waits SECONDS (its progress "
        "rising) before its work, so it stays running a while (for tests; "
        "default 0)",
    )
    add_watch_argument(parser)


def main(args: argparse.Namespace) -> int:
    if not (math.isfinite(args.job_delay) and 0 <= args.job_delay <= MAX_JOB_DELAY):
        raise UsageError(
            f"--job-delay must be a number of seconds from 0 to {MAX_JOB_DELAY}"
        )
    files = args.files or data_dir() / "engine-files"
    sites = SitePolicy(args.allow_site)
    if args.watch_stdin:
        exit_when_parent_dies()

    serve(
        lambda url: create_app(files, sites=sites, job_delay=args.job_delay),
        name="engine",
        port=args.port,
    )
    return 0
