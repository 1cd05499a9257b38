"""`python -m app sandbox`: serve the local sandbox gateway on loopback.

The first line printed is `sandbox listening on URL` (the app reads it);
the next says how to sign in. The demo password is public on purpose, and
shown; a password given in PEGASUS_SANDBOX_PASSWORD (which, unlike the
command line, other users of the computer cannot read with `ps`) is never
printed. No token is ever printed.
"""

import argparse
import json
import logging
import math
import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from app.addresses import url_problem
from app.errors import UsageError
from app.lifeline import add_watch_argument, exit_when_parent_dies
from app.paths import data_dir
from app.sandbox.clock import add_clock_arguments, clock_settings
from app.sandbox.context import SandboxSettings
from app.sandbox.faults import FaultSettings, settings_from_flags
from app.sandbox.fleet import MAX_EXTRA_VEHICLES
from app.sandbox.gateway import build_app
from app.serve import serve

log = logging.getLogger(__name__)

PASSWORD_ENV = "PEGASUS_SANDBOX_PASSWORD"
DEFAULT_PASSWORD = "demo"  # the documented, public sign-in of the demo
DEFAULT_SESSION = 3600.0  # seconds a session lasts after its last use


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--port", type=int, default=0, help="TCP port on 127.0.0.1 (0: any free one)"
    )
    parser.add_argument(
        "--db",
        type=Path,
        metavar="PATH",
        help="the SQLite file for sessions, jobs and tasks "
        "(default: sandbox.sqlite3 in the app's data folder)",
    )
    parser.add_argument("--user", default="demo", help="the user name to sign in with")
    parser.add_argument(
        "--password",
        help=f"that user's password; when not given, the environment variable "
        f"{PASSWORD_ENV}, else {DEFAULT_PASSWORD!r}. Prefer the variable: other "
        "users of this computer can read a command line (with ps), not it",
    )
    parser.add_argument(
        "--engine",
        action="append",
        default=[],
        metavar="URL",
        help="an engine this gateway lists and sends jobs to (repeatable)",
    )
    parser.add_argument(
        "--seed", type=int, default=1, help="the seed of the fleet's movements"
    )
    parser.add_argument(
        "--site-id",
        type=int,
        metavar="N",
        help="the site id given to engines (default: the database's own, "
        "drawn at random when the database is made)",
    )
    parser.add_argument(
        "--token-ttl",
        type=float,
        metavar="SECONDS",
        help="sessions end SECONDS after sign-in, however much they are used; an "
        "expired token gets 401 (default: a session lasts an hour after its "
        "last use). Engines' job tokens are not limited",
    )
    parser.add_argument(
        "--engine-check-every",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="while jobs are open, how often their engines are asked if alive",
    )
    parser.add_argument(
        "--engine-grace",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="how long an engine may not answer before its open jobs end in error",
    )
    parser.add_argument(
        "--job-stall",
        type=float,
        default=900.0,
        metavar="SECONDS",
        help="how long an open job may go without news from its engine before "
        "it ends in error (default: 15 minutes)",
    )
    parser.add_argument(
        "--extra-vehicles",
        type=int,
        default=0,
        metavar="N",
        help="list N more vehicles (ids from 1001, never reporting) beside the "
        "demo fleet, to try pickers and paging on a large fleet",
    )
    parser.add_argument(
        "--user-prefs",
        metavar="JSON",
        help="the signed-in user's saved preferences, a JSON object of texts "
        'such as \'{"distanceunits": "mile", "language": "es"}\', in place of '
        "the demo's",
    )
    add_fault_arguments(parser)
    add_clock_arguments(parser)
    add_watch_argument(parser)


def add_fault_arguments(parser: argparse.ArgumentParser) -> None:
    """The faults the sandbox makes on purpose, for trying clients (none by
    default). They spare the /api/sandbox/ routes and engines' calls."""
    group = parser.add_argument_group(
        "faults",
        "made on purpose to try clients; none by default. They spare the "
        "/api/sandbox/ routes and engines' calls. PUT /api/sandbox/faults "
        "changes them while the sandbox runs (see app/sandbox/README.md)",
    )
    group.add_argument(
        "--fault-latency",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="wait SECONDS before handling each /api request",
    )
    group.add_argument(
        "--fault-5xx",
        type=float,
        default=0.0,
        metavar="SHARE",
        help="answer this share (0 to 1) of /api requests with 503 instead of "
        "handling them; never POST /api/login",
    )
    group.add_argument(
        "--fault-drop-downloads",
        type=int,
        default=0,
        metavar="BYTES",
        help="cut the connection of a file download after BYTES bytes, once per "
        "file, so the next try succeeds (0: never)",
    )
    group.add_argument(
        "--fault-no-range",
        action="store_true",
        help="downloads ignore Range: always 200 and the whole file",
    )
    group.add_argument(
        "--fault-malformed",
        type=float,
        default=0.0,
        metavar="SHARE",
        help="answer this share (0 to 1) of GET /api/job_manager/:id with broken JSON",
    )
    group.add_argument(
        "--fault-slow-create",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="POST /api/job_manager stores and sends the job, then waits "
        "SECONDS before answering",
    )
    group.add_argument(
        "--fault-seed",
        type=int,
        default=0,
        metavar="N",
        help="the seed of the faults' random choices",
    )


def settings_from(args: argparse.Namespace) -> SandboxSettings:
    """Checked settings from the command line; UsageError says what is wrong."""
    if args.token_ttl is not None and not (
        math.isfinite(args.token_ttl) and args.token_ttl > 0
    ):
        raise UsageError("--token-ttl must be a positive number of seconds")
    password = _password(args.password)
    if not args.user or not password:
        raise UsageError("--user and --password cannot be empty")
    if args.site_id is not None and not 1 <= args.site_id < 10**18:
        raise UsageError("--site-id must be a whole number from 1 to 18 digits")
    for option, most in (
        ("engine_check_every", 86_400),
        ("engine_grace", 86_400),
        ("job_stall", 30 * 86_400),
    ):
        value = getattr(args, option)
        if not 0 < value <= most:
            flag = "--" + option.replace("_", "-")
            raise UsageError(
                f"{flag} must be a number of seconds above 0, at most {most}"
            )
    for engine in args.engine:
        problem = engine_problem(engine)
        if problem is not None:
            raise UsageError(f"--engine {engine!r} cannot be used: {problem}")
    if not 0 <= args.extra_vehicles <= MAX_EXTRA_VEHICLES:
        raise UsageError(
            f"--extra-vehicles must be a whole number from 0 to {MAX_EXTRA_VEHICLES}"
        )

    return SandboxSettings(
        db_path=args.db or data_dir() / "sandbox.sqlite3",
        username=args.user,
        password=password,
        engines=tuple(args.engine),
        seed=args.seed,
        site_id=args.site_id,
        token_ttl=args.token_ttl or DEFAULT_SESSION,
        engine_check_every=args.engine_check_every,
        engine_grace=args.engine_grace,
        job_stall=args.job_stall,
        clock=clock_settings(args),
        extra_vehicles=args.extra_vehicles,
        user_prefs=user_prefs(args.user_prefs),
    )


def fault_settings_from(args: argparse.Namespace) -> FaultSettings:
    """The faults asked for on the command line; UsageError names a bad one."""
    return settings_from_flags(
        {
            "latency": args.fault_latency,
            "server_errors": args.fault_5xx,
            "drop_downloads": args.fault_drop_downloads,
            "no_range": args.fault_no_range,
            "malformed": args.fault_malformed,
            "slow_create": args.fault_slow_create,
            "token_ttl": args.token_ttl,
            "seed": args.fault_seed,
        }
    )


def user_prefs(text: str | None) -> dict[str, Any] | None:
    """--user-prefs read as a JSON object of texts; None when not given."""
    if text is None:
        return None
    try:
        prefs = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"--user-prefs is not JSON: {exc.msg}") from exc
    if not isinstance(prefs, dict) or not all(
        isinstance(value, str) for value in prefs.values()
    ):
        raise UsageError(
            '--user-prefs must be a JSON object of texts, like {"distanceunits": '
            '"mile"}'
        )
    return prefs


def engine_problem(url: str) -> str | None:
    """What keeps url from being an engine's address; None if nothing."""
    problem = url_problem(url)
    if problem is not None:
        return problem
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return "it is not an http(s) URL with a host, like http://127.0.0.1:8765"
    return None


def _password(given: str | None) -> str:
    """--password, else the environment's, else the demo's."""
    if given is not None:
        return given
    from_env = os.environ.get(PASSWORD_ENV)
    if from_env is None:
        return DEFAULT_PASSWORD
    if not from_env:
        raise UsageError(f"{PASSWORD_ENV} is set but empty; give it a password")
    return from_env


def main(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    faults = fault_settings_from(args)
    if args.watch_stdin:
        exit_when_parent_dies()

    # A password from the environment was kept out of sight on purpose.
    shown = (
        f'password "{settings.password}"'
        if args.password is not None or PASSWORD_ENV not in os.environ
        else f"the password in {PASSWORD_ENV}"
    )
    banner = f'Sign in with user "{settings.username}" and {shown}'
    serve(
        lambda url: build_app(settings, url, faults),
        name="sandbox",
        port=args.port,
        banner=banner,
    )
    return 0
