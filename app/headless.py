"""`python -m app run`: run one report without a window.

The same pipeline as the window (catalog, script, args, run, download),
driven from the command line. Progress goes to stderr, one line per change;
the paths of the downloaded files go to stdout, one per line, so the output
can be piped. With --demo a sandbox gateway and engine of the run's own
are started in a temporary folder, and stopped and removed after it, so a
run never meets the window's demo or another run's.
"""

import argparse
import asyncio
import getpass
import json
import logging
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Coroutine
from dataclasses import dataclass
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any

from app.bounded_files import read_bounded
from app.catalog import Catalog, load_catalog, same_engine_key
from app.errors import JobError, PegasusError, UsageError
from app.gateway import Gateway
from app.jobs import Job
from app.jsonlimits import MAX_DOCUMENT_BYTES, JsonLimitError, read_json
from app.local_stack import DemoStack
from app.manifest import Script
from app.parameter_checks import check_resource_ids
from app.runs import (
    build_args,
    check_args,
    folder_problem,
    is_time_zone,
    run_report,
    user_job_prefs,
    user_tz,
)

log = logging.getLogger(__name__)

TOKEN_ENV = "PEGASUS_TOKEN"
PASSWORD_ENV = "PEGASUS_PASSWORD"

EXIT_DONE = 0
EXIT_FAILED = 1  # the job ended in error, or failed once it had started
EXIT_USAGE = 2  # bad arguments, unknown script, unreachable gateway, ...
EXIT_INTERRUPTED = 130

# Each `run --demo` has a demo of its own, in a temporary folder removed at
# its end: the window's demo folder may be in use, or another run's.
DEMO_PREFIX = "pegasus-reports-demo-"

EPILOG = f"""\
credentials: prefer the environment over the command line, where other
users of this computer can read them: {TOKEN_ENV} holds a session token,
{PASSWORD_ENV} the password for --user.

--debug (before or after `run`) also shows the log: each request and its
timing (never a token or password).

exit status: 0 the report is done and its files are saved; 1 the job ended
in error (the engine's message is printed) or failed while running; 2 bad
arguments or parameters (an unknown one included, or one the engine would
refuse: an unknown time zone, a period the report does not take, vehicles
or groups the gateway does not list), an --out folder that cannot be
written, an unknown script, or a gateway that cannot be reached or refuses
the sign-in; 130 interrupted by Ctrl+C (a job already created on a real
gateway goes on running there).

example (the line break inside the quotes is part of the JSON):
  python -m app run --demo --script trips --out reports \\
    --args '{{"from": "2026-11-02T00:00:00", "to": "2026-11-03T00:00:00",
             "vehicles": [1, 2]}}'
"""


@dataclass
class RunRequest:
    """What to run, read and checked from the command line."""

    script: str
    args: dict[str, Any]
    out: Path
    engine: str | None
    name: str | None
    tz: str | None


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the options of `run` to its subparser."""
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = EPILOG

    where = parser.add_argument_group("gateway")
    where.add_argument("--gateway", metavar="URL", help="the gateway's site URL")
    where.add_argument(
        "--token", metavar="T", help=f"a session token (or set {TOKEN_ENV})"
    )
    where.add_argument("--user", metavar="U", help="the user name to sign in with")
    where.add_argument(
        "--password",
        metavar="P",
        help=f"the password for --user (or set {PASSWORD_ENV}; asked if missing)",
    )
    where.add_argument(
        "--engine",
        metavar="URL",
        help="the engine to run on; optional when one engine has the script",
    )
    where.add_argument(
        "--demo",
        action="store_true",
        help="start a local sandbox gateway and engine of its own in place of "
        "--gateway (in a temporary folder, removed at the end)",
    )

    what = parser.add_argument_group("report")
    what.add_argument(
        "--script", metavar="S", required=True, help="the script to run, e.g. trips"
    )
    what.add_argument(
        "--args",
        metavar="JSON",
        default="{}",
        help="the report's parameters as a JSON object, or @file.json",
    )
    what.add_argument(
        "--out",
        metavar="DIR",
        default=".",
        help="the folder for the report's files (default: the current one)",
    )
    what.add_argument("--name", metavar="TEXT", help="the job's name on the gateway")
    what.add_argument(
        "--tz",
        metavar="ZONE",
        help="the report's time zone (default: the user's, else this computer's)",
    )


class CtrlC:
    """Ctrl+C (SIGINT) for the run: cancel the running task, remember it.

    Installed whatever SIGINT was before, since a shell starts background
    commands with SIGINT ignored, and then neither Ctrl+C nor `kill -INT`
    would stop the run. Inside the event loop the signal cancels the run's
    task, so its clean-up runs; outside it, it raises KeyboardInterrupt.
    While the demo servers are being stopped it is only noted.
    """

    def __init__(self) -> None:
        self.pressed = False
        self._task: asyncio.Task[Any] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._armed = True
        self._previous: Any = None

    def __enter__(self) -> "CtrlC":
        self._previous = signal.signal(signal.SIGINT, self._on_signal)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        signal.signal(signal.SIGINT, self._previous)

    async def watch(self, work: Coroutine[Any, Any, int]) -> int:
        """Run work as the task Ctrl+C cancels."""
        self._loop = asyncio.get_running_loop()
        self._task = asyncio.current_task()
        try:
            return await work
        finally:
            self._task = None

    def disarm(self) -> None:
        """From now on Ctrl+C is noted, and interrupts nothing."""
        self._armed = False

    def _on_signal(self, number: int, frame: FrameType | None) -> None:
        first = not self.pressed
        self.pressed = True
        if not self._armed:
            return
        if first and self._task is not None and self._loop is not None:
            self._loop.call_soon_threadsafe(self._task.cancel)
            return
        raise KeyboardInterrupt


def main(args: argparse.Namespace) -> int:
    """Run the report; the exit status."""
    if not getattr(args, "debug", False):
        # Every failure is printed below in plain words; the log would repeat it.
        logging.getLogger().setLevel(logging.ERROR)

    with CtrlC() as ctrl_c:
        status = _main(args, ctrl_c)
    if ctrl_c.pressed:
        _say("interrupted")
        return EXIT_INTERRUPTED
    return status


def _main(args: argparse.Namespace, ctrl_c: CtrlC) -> int:
    stack: DemoStack | None = None
    try:
        request = _read_request(args)
        if args.demo:
            _refuse_with_demo(args)
            stack = DemoStack(folder=Path(tempfile.mkdtemp(prefix=DEMO_PREFIX)))
            stack.start()
        return asyncio.run(ctrl_c.watch(_run(args, request, stack, ctrl_c)))
    except PegasusError as exc:
        # Ctrl+C also stops the demo servers, and so fails what used them.
        if not ctrl_c.pressed:
            _say(f"error: {exc}")
        return EXIT_USAGE
    except (KeyboardInterrupt, asyncio.CancelledError):
        return EXIT_INTERRUPTED
    finally:
        ctrl_c.disarm()
        if stack is not None:
            stack.stop()
            _remove_demo_folder(stack.folder)


async def _run(
    args: argparse.Namespace,
    request: RunRequest,
    stack: DemoStack | None,
    ctrl_c: CtrlC,
) -> int:
    gateway = Gateway(stack.gateway_url if stack else _required(args.gateway))
    job_ids: list[int] = []

    def on_update(job: Job) -> None:
        if not job_ids:
            job_ids.append(job.id)
        _say(job.describe())

    def on_file(path: Path) -> None:
        sys.stdout.write(f"{path}\n")
        sys.stdout.flush()

    try:
        await _sign_in(gateway, args, stack)
        user = await gateway.user()
        catalog = await load_catalog(gateway)
        script = _pick_script(catalog, request)
        job_args = build_args(
            script,
            request.args,
            tz=request.tz or user_tz(user),
            prefs=user_job_prefs(user),
        )
        # Checked here, not by the engine once the job exists: a mistake in
        # the parameters is exit status 2, never a job that ends in error.
        check_args(script, job_args)
        await check_resource_ids(gateway, script, job_args)
        await run_report(
            gateway,
            script,
            job_args,
            request.out,
            on_update=on_update,
            on_file=on_file,
            name=request.name,
        )
    except JobError as exc:
        label = f"job {job_ids[0]}" if job_ids else "the job"
        _say(f"error: {label} ({request.script}) ended in error: {exc}")
        return EXIT_FAILED
    except PegasusError as exc:
        if ctrl_c.pressed:
            # The demo servers got the Ctrl+C too; that is why this failed.
            _say_left_running(job_ids, stack)
            return EXIT_INTERRUPTED
        _say(f"error: {exc}")
        return EXIT_FAILED if job_ids else EXIT_USAGE
    except asyncio.CancelledError:
        _say_left_running(job_ids, stack)
        raise
    finally:
        await gateway.aclose()
    return EXIT_DONE


def _remove_demo_folder(folder: Path) -> None:
    """Remove a run's own demo folder, once its servers have stopped."""
    # TODO(headless): a run killed with SIGKILL leaves its folder in the
    # system's temporary folder, a few hundred KB, until the OS clears it.
    shutil.rmtree(folder, ignore_errors=True)
    if folder.exists():
        log.warning("could not remove the demo folder %s", folder)


def _say_left_running(job_ids: list[int], stack: DemoStack | None) -> None:
    """On a real gateway an interrupted run leaves its job running there."""
    if job_ids and stack is None:
        _say(f"job {job_ids[0]} goes on running on the gateway: it was not stopped")


def _read_request(args: argparse.Namespace) -> RunRequest:
    if args.tz is not None and not is_time_zone(args.tz):
        raise UsageError(
            f"--tz {args.tz!r} is not a known time zone; use a name like "
            "America/New_York or UTC"
        )
    out = Path(args.out).expanduser()
    # Checked now, not once the report is made: a run of minutes would
    # otherwise end in an error about a folder given at the start.
    problem = folder_problem(out)
    if problem is not None:
        raise UsageError(f"--out {args.out} cannot be used: {problem}")

    return RunRequest(
        script=args.script.strip(),
        args=_read_args(args.args),
        out=out,
        engine=args.engine,
        name=args.name,
        tz=args.tz,
    )


def _read_args(text: str) -> dict[str, Any]:
    """The --args JSON object, given inline or as @file.json."""
    source = "--args"
    if text.startswith("@"):
        path = Path(text[1:]).expanduser()
        source = f"the args file {path}"
        text = _read_args_file(path, source)

    try:
        value = read_json(text, strict=True)
    except json.JSONDecodeError as exc:
        raise UsageError(
            f"{source} is not valid JSON: {exc.msg} at line {exc.lineno}, "
            f"column {exc.colno}"
        ) from exc
    except JsonLimitError as exc:
        raise UsageError(f"{source} cannot be used: {exc}") from exc
    if not isinstance(value, dict):
        raise UsageError(
            f'{source} must be a JSON object, like {{"from": "...", "to": "..."}}'
        )
    return value


def _read_args_file(path: Path, source: str) -> str:
    """The text of an args file, read only up to the JSON size limit.

    Bounded: a device (@/dev/zero) would otherwise be read forever, and a
    FIFO waited on forever; only a regular file is read.
    """
    data = read_bounded(path, source, MAX_DOCUMENT_BYTES)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(f"cannot read {source}: it is not UTF-8 text") from exc


def _refuse_with_demo(args: argparse.Namespace) -> None:
    given = [
        option
        for option, value in (
            ("--gateway", args.gateway),
            ("--token", args.token),
            ("--user", args.user),
            ("--engine", args.engine),
        )
        if value
    ]
    if given:
        raise UsageError(
            f"--demo starts its own gateway and engine; leave out {', '.join(given)}"
        )


def _required(gateway_url: str | None) -> str:
    if not gateway_url:
        raise UsageError("say which gateway to use with --gateway URL, or use --demo")
    return gateway_url


async def _sign_in(
    gateway: Gateway, args: argparse.Namespace, stack: DemoStack | None
) -> None:
    if stack is not None:
        await gateway.login(stack.username, stack.password)
        _sign_in_again_with(gateway, stack.username, stack.password)
        return

    token = args.token or os.environ.get(TOKEN_ENV)
    if token and not args.user:
        gateway.token = token
        return
    if not args.user:
        raise UsageError(
            f"sign in with --user (and --password or {PASSWORD_ENV}), "
            f"or give a session token with --token or {TOKEN_ENV}"
        )

    password = args.password or os.environ.get(PASSWORD_ENV)
    if not password:
        if not sys.stdin.isatty():
            raise UsageError(f"no password for {args.user}: set {PASSWORD_ENV}")
        password = getpass.getpass(f"password for {args.user}: ")
    await gateway.login(args.user, password)
    _sign_in_again_with(gateway, args.user, password)


def _sign_in_again_with(gateway: Gateway, user: str, password: str) -> None:
    """Renew an expired session with the password already given, once asked.

    A long report outlives a short session; with nobody to ask, the password
    typed at the start signs in again (kept in memory for this run only).
    A session opened with a token cannot be renewed: it ends the run.
    """

    async def renew() -> bool:
        log.info("the session expired; signing in again as %s", user)
        try:
            await gateway.login(user, password)
        except PegasusError as exc:
            log.warning("could not sign in again: %s", exc)
            return False
        return True

    gateway.reauthenticate = renew


def _pick_script(catalog: Catalog, request: RunRequest) -> Script:
    """The script to run, on the engine asked for or the only one with it."""
    if request.engine and not any(
        same_engine_key(e.url) == same_engine_key(request.engine)
        for e in catalog.engines
    ):
        listed = ", ".join(e.url for e in catalog.engines) or "none"
        raise UsageError(
            f"the gateway does not list the engine {request.engine}; it lists: {listed}"
        )

    matches = catalog.find_all(request.script, request.engine)
    if not matches:
        raise UsageError(_unknown_script(catalog, request.script))
    if len(matches) > 1:
        engines = ", ".join(s.engine_url for s in matches)
        raise UsageError(
            f"more than one engine has the script {request.script!r} ({engines}); "
            "choose one with --engine"
        )
    return matches[0]


def _unknown_script(catalog: Catalog, name: str) -> str:
    known = sorted({s.script for s in catalog.scripts if s.script})
    message = f"no engine of this gateway has a script named {name!r}"
    message += f"; the scripts are: {', '.join(known)}" if known else ""
    for error in catalog.errors:
        message += f" (not loaded: {error})"
    return message


def _say(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()
