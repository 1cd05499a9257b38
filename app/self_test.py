"""`--self-test`: the app checks itself on its embedded demo, without a window.

Meant for a new build or a new computer. It starts the embedded engine and
sandbox gateway as the window's demo does, but in a temporary folder of its
own (the user's demo data is left alone), signs in, loads the engine's
manifest, runs one small report through the same code as the window's Run
(app.runs.start_run, app.jobs.follow, app.runs.download_files), checks that
each downloaded file is what its name says, stops the servers and removes
the folder. Each step prints one line, `ok   ...` or `FAIL step: reason`;
the exit status is 0 when every step is ok, else 1. The whole has a time
limit. Nothing here loads Qt: Run's code needs none, so no display is used.
"""

import argparse
import asyncio
import functools
import logging
import os
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TextIO, TypeVar

from app.catalog import Catalog, load_catalog, same_engine_key
from app.errors import JobError, PegasusError
from app.gateway import Gateway
from app.jobs import Job, follow
from app.local_stack import DemoStack
from app.manifest import Script
from app.plurals import counted
from app.report_files import check_report_file
from app.runs import build_args, download_files, start_run, user_job_prefs, user_tz

log = logging.getLogger(__name__)

# Small, and it takes no period: it runs the same on any date.
SCRIPT = "fleet_status"
FORMATS = ("json", "csv", "xlsx")
JOB_NAME = "self-test"
FOLDER_PREFIX = "pegasus-reports-self-test-"

EXIT_PASSED = 0
EXIT_FAILED = 1
EXIT_INTERRUPTED = 130

T = TypeVar("T")


class StepError(Exception):
    """A step failed; its FAIL line is printed already."""


class Steps:
    """Prints one line per step on out, and what failed."""

    def __init__(self, out: TextIO, *, details: bool = False) -> None:
        self.out = out
        self.details = details  # also every line of a long reason (--debug)
        self.failed = False
        self.current = "start"  # the step under way, named if time runs out

    def ok(self, text: str) -> None:
        self._say(f"ok   {text}")

    def fail(self, step: str, reason: str) -> None:
        """One FAIL line: the reason's first line, and its last if it has more.

        A server that stopped as it started says so, then gives its last
        output lines; the last one is usually the cause.
        """
        self.failed = True
        lines = [line.rstrip() for line in reason.strip().splitlines() if line.strip()]
        first, rest = (lines[0], lines[1:]) if lines else ("no reason given", [])
        if rest and not self.details:
            first = f"{first.rstrip(':')}: {rest[-1].strip()}"
        self._say(f"FAIL {step}: {first}")
        if self.details:
            for line in rest:
                self._say(f"     | {line}")

    async def run(self, step: str, action: Callable[[], Awaitable[T]]) -> T:
        """The action's result; on an error, its FAIL line and StepError."""
        self.current = step
        try:
            return await action()
        except PegasusError as exc:
            reason = str(exc)
        except Exception as exc:
            # A bug: still one line; the log has the traceback with --debug.
            log.warning("the step %r failed unexpectedly", step, exc_info=True)
            reason = f"unexpected error: {type(exc).__name__}: {exc}"
        self.fail(step, reason)
        raise StepError(step)

    def _say(self, line: str) -> None:
        self.out.write(line + "\n")
        self.out.flush()


def main(args: argparse.Namespace) -> int:
    """Run the self-test; 0 when every step is ok, 1 if one failed."""
    debug = bool(getattr(args, "debug", False))
    if not debug:
        # Each failure is its FAIL line; the log would say it again.
        logging.getLogger().setLevel(logging.CRITICAL)
    # A build without a console (Windows, windowed) has no stdout: the exit
    # status still tells.
    steps = Steps(sys.stdout or open(os.devnull, "w"), details=debug)  # noqa: SIM115
    started = time.monotonic()

    try:
        folder = Path(tempfile.mkdtemp(prefix=FOLDER_PREFIX))
    except OSError as exc:
        steps.fail("make a temporary folder", str(exc))
        return EXIT_FAILED

    stack = DemoStack(folder=folder / "demo")
    interrupted = False
    # Ctrl+C stops the steps and still cleans up (asyncio.run cancels them),
    # also where a shell started us with SIGINT ignored, in the background.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        asyncio.run(_run_steps(steps, stack, folder, args.time_limit))
    except KeyboardInterrupt:
        interrupted = True
        steps.fail(steps.current, "interrupted")
    finally:
        _stop_demo(steps, stack)
        _remove_folder(steps, folder)

    if interrupted:
        return EXIT_INTERRUPTED
    took = time.monotonic() - started
    verdict = "failed" if steps.failed else "passed"
    steps.out.write(f"self-test {verdict} ({took:.1f} s)\n")
    return EXIT_FAILED if steps.failed else EXIT_PASSED


async def _run_steps(
    steps: Steps, stack: DemoStack, folder: Path, time_limit: float
) -> None:
    try:
        async with asyncio.timeout(time_limit):
            await _steps(steps, stack, folder)
    except TimeoutError:
        steps.fail(
            steps.current, f"not finished within the time limit of {time_limit:g} s"
        )
    except StepError:
        pass


async def _steps(steps: Steps, stack: DemoStack, folder: Path) -> None:
    await steps.run("start the embedded demo", lambda: _start_demo(stack))
    steps.ok(f"engine started at {stack.engine_url}")
    steps.ok(f"sandbox gateway started at {stack.gateway_url}")

    async with Gateway(stack.gateway_url) as gateway:
        await steps.run("sign in", lambda: _sign_in(gateway, stack))
        steps.ok(f"signed in to the sandbox gateway as {stack.username}")

        catalog = await steps.run("load the manifest", lambda: load_catalog(gateway))
        script = await steps.run(
            "load the manifest", lambda: _script_of(catalog, stack.engine_url)
        )
        names = sorted({s.script for s in catalog.scripts})
        steps.ok(
            f"loaded the engine's manifest: {counted(len(names), 'report')} "
            f"({', '.join(names)})"
        )

        job = await steps.run(f"run {SCRIPT}", lambda: _run_job(gateway, script))
        steps.ok(
            f"ran {SCRIPT} as job {job.id}: {job.state}, "
            f"{counted(len(job.files), 'file')}"
        )

        paths = await steps.run(
            "download the files",
            lambda: download_files(gateway, job, folder / "downloads"),
        )
        steps.ok(f"downloaded {', '.join(path.name for path in paths)}")

    for path in paths:
        steps.ok(await steps.run(f"check {path.name}", functools.partial(_check, path)))


async def _start_demo(stack: DemoStack) -> None:
    """Start the demo's servers in a thread, which may not be left running."""
    start = asyncio.ensure_future(asyncio.to_thread(stack.start))
    try:
        await asyncio.shield(start)
    except asyncio.CancelledError:
        # Out of time, or Ctrl+C, while the thread waits for a server.
        # Stopping the servers ends the wait; a server it started after
        # that first stop is stopped once it is done.
        stack.stop()
        await asyncio.wait([start])
        stack.stop()
        if not start.cancelled():
            start.exception()  # its failure is this one; asyncio must not log it
        raise


async def _sign_in(gateway: Gateway, stack: DemoStack) -> None:
    await gateway.login(stack.username, stack.password)


async def _script_of(catalog: Catalog, engine_url: str) -> Script:
    """The report the self-test runs, from the embedded engine's manifest."""
    entry = next(
        (
            e
            for e in catalog.engines
            if same_engine_key(e.url) == same_engine_key(engine_url)
        ),
        None,
    )
    if entry is None:
        raise PegasusError(f"the gateway does not list the engine at {engine_url}")
    if entry.error:
        raise PegasusError(entry.error)

    script = catalog.find(SCRIPT, entry.url)
    if script is None:
        names = ", ".join(sorted({s.script for s in catalog.scripts})) or "none"
        raise PegasusError(f"the engine has no {SCRIPT} report; it has: {names}")
    if not script.usable:
        problems = "; ".join(str(p) for p in script.problems)
        raise PegasusError(f"the {SCRIPT} report cannot be run: {problems}")
    return script


async def _run_job(gateway: Gateway, script: Script) -> Job:
    """Run the report in every format, as Run does, and follow it to its end."""
    user = await gateway.user()
    args = build_args(
        script,
        {"formats": list(FORMATS)},
        tz=user_tz(user),
        prefs=user_job_prefs(user),
    )
    job = await start_run(gateway, script, args, name=JOB_NAME)
    job = await follow(gateway, job.id, known=job)
    if job.state == "error":
        raise JobError(job.error or f"job {job.id} ended in error without a message")

    missing = [f for f in FORMATS if not any(n.endswith(f".{f}") for n in job.files)]
    if missing:
        got = ", ".join(job.files) or "none"
        raise PegasusError(
            f"job {job.id} has no {', '.join(missing)} file (it has: {got})"
        )
    return job


async def _check(path: Path) -> str:
    return check_report_file(path)


def _stop_demo(steps: Steps, stack: DemoStack) -> None:
    """Stop the servers, and say so once they are gone."""
    servers = [s for s in (stack.engine, stack.sandbox) if s is not None and s.pid]
    if not servers:
        return
    stack.stop()

    running = [s for s in servers if s.returncode is None]
    if running:
        names = ", ".join(f"the {s.name} (pid {s.pid})" for s in running)
        steps.fail("stop the embedded demo", f"{names} still running")
        return
    steps.ok(f"stopped the {' and the '.join(s.name for s in servers)}")


def _remove_folder(steps: Steps, folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    if folder.exists():
        steps.fail("remove the temporary folder", f"{folder} is still there")
        return
    steps.ok(f"removed the temporary folder {folder}")
