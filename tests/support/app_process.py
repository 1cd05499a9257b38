"""The app as a process of its own, for tests that kill it.

Builds the real window offscreen with the real controllers (app.gui's
build_workspace, as `python -m app` does), signs in to a gateway with the
password read from the first line of standard input (never from the
command line, which anyone on the computer can read), picks a report in
the catalog, fills its form and runs it several times through the report
page's Run action, the one the Run button triggers. Then it goes on
following the jobs, as the window does, until it is killed or its
standard input closes.

Each step is told on standard output, one line each: "signed in",
"job 12 started", "started 6 jobs". A step that fails ends the process
with status 2 and a line on standard error saying which.

    python tests/support/app_process.py URL USER SCRIPT --runs 6 \
        --values '{"vehicles": [1], "formats": ["csv"]}'
"""

import argparse
import asyncio
import json
import logging
import sys
import threading
from typing import Any

import qasync
from PySide6.QtCore import SignalInstance
from PySide6.QtWidgets import QApplication

from app.controllers.icons import loopback_only
from app.gui import Workspace, build_workspace
from app.jobs import Job
from app.logs import RedactingFilter
from app.settings import Settings

STEP_TIMEOUT = 60.0
FAILED = 2


def main() -> int:
    args = _parser().parse_args()
    password = sys.stdin.readline().rstrip("\n")
    _log_to_stderr()

    app = QApplication(sys.argv[:1])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    workspace = build_workspace(Settings.open(), icon_hosts=loopback_only)
    workspace.window.show()
    _quit_when_stdin_closes(loop, app)

    values = json.loads(args.values)
    driving = loop.create_task(_drive(workspace, args, password, values))
    driving.add_done_callback(lambda task: _end_on_failure(task, app))
    return int(loop.run_forever() or 0)


async def _drive(
    workspace: Workspace,
    args: argparse.Namespace,
    password: str,
    values: dict[str, Any],
) -> None:
    signed_in = _next(workspace.session.signed_in)
    loaded = _next(workspace.catalog.catalog_loaded)
    workspace.session.sign_in(args.url, args.user, password)
    await _step("signing in", signed_in)
    _say("signed in")
    await _step("loading the catalog", loaded)

    window = workspace.window
    if not window.catalog.select_script(args.script):
        raise LookupError(f"the catalog has no report {args.script!r}")
    while workspace.report.loading:
        await _step(
            "loading the form's choices", _next(workspace.report.choices_loaded)
        )
    page = window.report_page
    page.form.set_values({**page.values(), **values})

    for _ in range(args.runs):
        while not page.run_action.isEnabled():
            await _step("waiting for Run", _next(page.run_action.changed))
        created = _next(workspace.jobs.job_changed)
        page.run_action.trigger()
        job = await _step("starting a job", created)
        assert isinstance(job, Job)
        _say(f"job {job.id} started")
    _say(f"started {args.runs} jobs")


def _next(signal: SignalInstance) -> "asyncio.Future[object]":
    """A future of the signal's next emission (its first argument), listened
    to from now on, so that an emission soon after cannot be missed."""
    future: asyncio.Future[object] = asyncio.get_running_loop().create_future()

    def receive(*values: object) -> None:
        if not future.done():
            future.set_result(values[0] if values else None)
        signal.disconnect(receive)

    signal.connect(receive)
    return future


async def _step(doing: str, future: "asyncio.Future[object]") -> object:
    try:
        return await asyncio.wait_for(future, STEP_TIMEOUT)
    except TimeoutError:
        raise TimeoutError(f"{doing} took longer than {STEP_TIMEOUT:g} s") from None


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def _end_on_failure(task: "asyncio.Task[None]", app: QApplication) -> None:
    if task.cancelled() or task.exception() is None:
        return
    sys.stderr.write(f"app_process: {task.exception()}\n")
    app.exit(FAILED)


def _quit_when_stdin_closes(loop: asyncio.AbstractEventLoop, app: QApplication) -> None:
    """End with the test that started us, even if it could not kill us."""

    def watch() -> None:
        sys.stdin.read()
        loop.call_soon_threadsafe(app.exit, 0)

    threading.Thread(target=watch, daemon=True).start()


def _log_to_stderr() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    handler.addFilter(RedactingFilter())
    logging.basicConfig(level=logging.INFO, handlers=[handler])


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", help="the gateway's site URL")
    parser.add_argument("user", help="the user to sign in as")
    parser.add_argument("script", help="the report to run")
    parser.add_argument("--runs", type=int, default=1, help="how many jobs to start")
    parser.add_argument(
        "--values", default="{}", help="form values to set, a JSON object"
    )
    return parser


if __name__ == "__main__":
    sys.exit(main())
