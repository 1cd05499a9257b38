"""The composition root: the application, the qasync loop and the window.

The only module of app/ that imports widgets and QtWidgets. It makes the
QApplication, the event loop, the window and its controllers, decides how to
sign in (the demo on first run or when asked), and makes sure the local demo
servers stop however the app ends: on quit, on Ctrl+C or SIGTERM, and after
a crash. `build_workspace` is shared with the end-to-end test, so the test
drives the very window that users get. Before Qt starts, a Linux machine
without a display, or without the X11 library Qt needs most often, is told
so in plain words: Qt itself would abort with a cryptic message.
"""

import argparse
import asyncio
import ctypes.util
import logging
import logging.handlers
import os
import signal
import sys
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import FrameType, TracebackType
from typing import cast

import qasync
from PySide6.QtCore import QTimer, SignalInstance
from PySide6.QtWidgets import QApplication

from app import APP_ID, APP_NAME
from app.catalog import Catalog
from app.controllers.catalog import CatalogController
from app.controllers.engines import EnginesController
from app.controllers.icons import HostPolicy, IconFetcher, any_host
from app.controllers.jobs import JobsController
from app.controllers.notices import Notices
from app.controllers.report import ReportController
from app.controllers.schedules import SchedulesController
from app.controllers.session import Session, SessionController
from app.controllers.workbench import WorkbenchController
from app.errors import PegasusError, UsageError
from app.history import HISTORY_FILE, History
from app.jobs import Job
from app.local_stack import DemoStack
from app.logs import RedactingFilter
from app.paths import data_dir
from app.secrets import TokenStore
from app.settings import MODE_DEMO, Settings
from widgets.icons import APP_ICON, icon
from widgets.main_window import Layout, MainWindow
from widgets.theme import apply_theme

log = logging.getLogger(__name__)

SIGNAL_POLL_MS = 200
SCREENSHOT_SCRIPT = "idling"
SCREENSHOT_TIMEOUT = 60.0
SCREENSHOT_SIZE = (1200, 780)
LOG_FILE = "pegasus-reports.log"
# Exit status after the crash dialog, and after Ctrl+C reached Python code.
CRASH_EXIT_CODE = 1
INTERRUPTED_EXIT_CODE = 130

ExitApp = Callable[[int], None]
LibraryFinder = Callable[[str], str | None]

NO_DISPLAY = (
    f"no display found: {APP_NAME} opens a window, which needs a desktop "
    "session (neither DISPLAY nor WAYLAND_DISPLAY is set). Run it from a "
    "desktop session, or set QT_QPA_PLATFORM=offscreen for a headless run "
    "(e.g. with --screenshot)"
)
NO_XCB_CURSOR = (
    "the X11 library libxcb-cursor is missing, and Qt needs it to open a "
    "window; install it (on Debian or Ubuntu: sudo apt install "
    "libxcb-cursor0). The Linux section of the README lists the other "
    "libraries Qt needs"
)


@dataclass
class Workspace:
    """The main window and the controllers behind it."""

    window: MainWindow
    settings: Settings
    notices: Notices
    session: SessionController
    catalog: CatalogController
    report: ReportController
    jobs: JobsController
    schedules: SchedulesController
    workbench: WorkbenchController
    engines: EnginesController

    async def aclose(self) -> None:
        """Cancel every task and close the gateway connection."""
        for controller in (self.schedules, self.jobs, self.report, self.catalog):
            await controller.aclose()
        await self.workbench.aclose()
        # Before the session: its engines are taken off the gateway's list.
        await self.engines.aclose()
        await self.session.aclose()

    def stop_children(self) -> None:
        """Stop the local engines, and the demo servers if this workspace
        started them."""
        self.engines.stop_all()
        self.session.stop_demo()

    def save_layout(self) -> None:
        layout = self.window.saved_layout()
        self.settings.window_geometry = layout.geometry
        self.settings.window_state = layout.state
        self.settings.catalog_split = layout.catalog_split
        self.settings.jobs_split = layout.jobs_split
        self.settings.sync()


def build_workspace(
    settings: Settings,
    *,
    demo_stack: DemoStack | None = None,
    icon_hosts: HostPolicy = any_host,
    download_dir: Path | None = None,
    tokens: TokenStore | None = None,
) -> Workspace:
    """Make the window and its controllers, wired together.

    demo_stack: an already running demo to use for "Use the demo" (tests);
    without it, the demo is started when first chosen, and stopped by
    stop_children(). icon_hosts: which report icon URLs may be fetched.
    tokens: where sign-in tokens are kept (the system keyring by default).
    """
    window = MainWindow()
    window.restore_layout(
        Layout(
            geometry=settings.window_geometry,
            state=settings.window_state,
            catalog_split=settings.catalog_split,
            jobs_split=settings.jobs_split,
        )
    )
    notices = Notices(window)

    session = SessionController(
        window, settings, notices, demo_stack=demo_stack, tokens=tokens
    )
    catalog = CatalogController(window.catalog, notices, IconFetcher(icon_hosts))
    report = ReportController(window.report_page, notices)
    jobs = JobsController(
        window.jobs_panel,
        settings,
        notices,
        download_dir=download_dir,
        history=History(data_dir() / HISTORY_FILE),
    )
    schedules = SchedulesController(
        window,
        notices,
        lambda script, engine: (
            catalog.catalog.find(script, engine) if catalog.catalog else None
        ),
    )
    workbench = WorkbenchController(
        window.catalog, window.report_page, window.problems_panel
    )
    engines = EnginesController(window.engines_panel)
    workspace = Workspace(
        window,
        settings,
        notices,
        session,
        catalog,
        report,
        jobs,
        schedules,
        workbench,
        engines,
    )

    def on_signed_in(new: Session) -> None:
        # The gateway's catalog takes the place of a manifest file's.
        workbench.close()
        window.problems_dock.hide()
        report.start_session(new)
        jobs.start_session(new)
        schedules.start_session(new)
        engines.start_session(new)
        catalog.load(new)

    def on_signed_out() -> None:
        # A manifest file's catalog and form have no session to end.
        if not workbench.active:
            catalog.clear()
            report.end_session()
        jobs.end_session()
        schedules.end_session()
        engines.end_session()

    session.signed_in.connect(on_signed_in)
    session.signed_out.connect(on_signed_out)
    window.catalog.script_selected.connect(
        lambda script: (
            workbench.show(script) if workbench.active else report.show(script)
        )
    )
    catalog.icon_loaded.connect(window.report_page.remember_icon)
    report.run_requested.connect(jobs.run)
    schedules.run_requested.connect(jobs.run)
    schedules.scheduled_job_found.connect(jobs.watch)
    window.reload_requested.connect(
        lambda: workbench.reload() if workbench.active else catalog.reload()
    )
    # A local engine joined or left the gateway's engines.
    engines.catalog_changed.connect(
        lambda: None if workbench.active else catalog.reload()
    )
    window.manifest_chosen.connect(lambda path: open_manifest(workspace, path))
    window.download_folder_chosen.connect(jobs.set_download_folder)
    window.hidden_changed.connect(jobs.set_window_hidden)
    # The last user's jobs are shown at once; they are followed once signed in.
    jobs.restore()
    return workspace


def open_manifest(workspace: Workspace, source: Path | str) -> None:
    """Show a manifest's catalog, forms and problems instead of the
    gateway's catalog (the session, if any, keeps its jobs). source: a
    file, or an http(s) address."""
    workspace.catalog.clear()
    workspace.report.end_session()
    text = str(source)
    if text.lower().startswith(("http://", "https://")):
        workspace.workbench.open_url(text)
    else:
        workspace.workbench.open(Path(source))
    workspace.window.problems_dock.show()


def display_problem(
    environ: Mapping[str, str],
    *,
    platform: str = sys.platform,
    find_library: LibraryFinder = ctypes.util.find_library,
) -> str | None:
    """Why Qt could not open a window here, before it aborts trying; or None.

    Only Linux is checked, and only for Qt's X11 platform (xcb), used when
    QT_QPA_PLATFORM is unset or names it: the two cases where Qt ends the
    process with a qFatal that names neither the cause nor the fix.
    """
    # TODO(gui): the other X11 libraries the README lists, and a DISPLAY
    # whose server cannot be reached, still end in Qt's own abort message.
    if not platform.startswith("linux"):
        return None
    # "xcb", "xcb:option=value" or a list such as "wayland;xcb": the first.
    chosen = environ.get("QT_QPA_PLATFORM", "").split(";")[0].split(":")[0]
    chosen = chosen.strip().lower()
    if chosen not in ("", "xcb"):
        return None

    if not environ.get("DISPLAY") and not environ.get("WAYLAND_DISPLAY"):
        return NO_DISPLAY
    if _would_use_xcb(chosen, environ) and find_library("xcb-cursor") is None:
        return NO_XCB_CURSOR
    return None


def _would_use_xcb(chosen: str, environ: Mapping[str, str]) -> bool:
    """Whether Qt picks X11 rather than Wayland, as far as can be told.

    Unset, Qt takes Wayland in a Wayland session and X11 otherwise; when in
    doubt, the answer is no, so that a working setup is never stopped here.
    """
    if chosen == "xcb":
        return True
    session = environ.get("XDG_SESSION_TYPE", "").lower()
    return session == "x11" or not environ.get("WAYLAND_DISPLAY")


def main(args: argparse.Namespace) -> int:
    """Open the window; returns the process exit code."""
    problem = display_problem(os.environ)
    if problem is not None:
        # Said before Qt starts, so that Qt does not abort the process.
        raise UsageError(problem)
    app = _make_application()
    _log_to_file()
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)

    settings = Settings.open()
    download_dir = Path(args.download_dir).expanduser() if args.download_dir else None
    workspace = build_workspace(settings, download_dir=download_dir)
    # exit() ends the loop without closing the window, so nothing is asked.
    install_crash_handler(workspace, app.exit)
    poll = _quit_on_signals(app)

    screenshot = None
    if args.screenshot:
        # A picture of the same size whatever this user's saved window was.
        workspace.window.resize(*SCREENSHOT_SIZE)
    workspace.window.show()
    if args.quit_when_ready:
        QTimer.singleShot(0, lambda: _report_ready_and_quit(app))
    elif args.manifest:
        open_manifest(workspace, args.manifest)
    else:
        _choose_sign_in(workspace, args)
    if args.screenshot:
        screenshot = loop.create_task(
            _take_screenshot(workspace, Path(args.screenshot), app)
        )

    exit_code = 0
    try:
        exit_code = loop.run_forever()
    finally:
        poll.stop()
        if not args.screenshot:
            workspace.save_layout()
        loop.run_until_complete(workspace.aclose())
        workspace.stop_children()
        if screenshot is not None:
            taken = screenshot.done() and not screenshot.cancelled()
            exit_code = exit_code or (0 if taken and screenshot.result() else 1)
        loop.close()
    return int(exit_code or 0)


def _report_ready_and_quit(app: QApplication) -> None:
    """Tell the start-up benchmark that the window is shown and idle."""
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    app.quit()


def _make_application() -> QApplication:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(APP_ID)
    app.setWindowIcon(icon(APP_ICON))
    apply_theme(app)
    return app


def _choose_sign_in(workspace: Workspace, args: argparse.Namespace) -> None:
    """The demo when asked or on first run; else the sign-in dialog."""
    settings = workspace.settings
    wants_demo = args.demo or (
        not args.gateway and (settings.first_run or settings.mode == MODE_DEMO)
    )
    if wants_demo:
        log.info("starting with the local demo")
        workspace.session.use_demo()
    else:
        # With the last session's kept token when there is one.
        workspace.session.start(args.gateway or "", args.user or "")


async def _take_screenshot(workspace: Workspace, path: Path, app: QApplication) -> bool:
    """Once the demo's Idling Usage form is ready, save the window as PNG."""
    try:
        await asyncio.wait_for(_ready_for_screenshot(workspace), SCREENSHOT_TIMEOUT)
        path.parent.mkdir(parents=True, exist_ok=True)
        saved = workspace.window.grab().save(str(path), "PNG")
    except TimeoutError:
        log.warning("the window was not ready within %.0f s", SCREENSHOT_TIMEOUT)
        saved = False
    except (PegasusError, OSError) as exc:
        log.warning("no screenshot: %s", exc)
        saved = False
    finally:
        # Not quit(): a job still running must not stop it with a question.
        app.exit(0)

    if saved:
        log.info("screenshot saved to %s", path)
    else:
        log.warning("could not write the screenshot to %s", path)
    return saved


async def _ready_for_screenshot(workspace: Workspace) -> None:
    """Show Idling Usage, filled in, with a finished run of it below."""
    catalog = cast(Catalog, await _next_emission(workspace.catalog.catalog_loaded))
    if catalog.find(SCREENSHOT_SCRIPT) is None:
        raise UsageError(f"the catalog has no {SCREENSHOT_SCRIPT!r} report to show")
    workspace.window.catalog.select_script(SCREENSHOT_SCRIPT)
    while workspace.report.loading:
        await _next_emission(workspace.report.choices_loaded)

    page = workspace.window.report_page
    picked = [vid for vid, _name in workspace.report.choices("vehicles")[:2]]
    page.form.set_values({**page.values(), "vehicles": picked})
    if page.run_action.isEnabled():
        page.run_action.trigger()
        job = cast(Job, await _next_emission(workspace.jobs.job_changed))
        while not job.finished:
            job = cast(Job, await _next_emission(workspace.jobs.job_changed))
    # Let the layout settle once before grabbing.
    await asyncio.sleep(0.3)


async def _next_emission(signal_instance: SignalInstance) -> object:
    """Wait for the next emission of a Qt signal; its first argument."""
    future: asyncio.Future[object] = asyncio.get_running_loop().create_future()

    def receive(*values: object) -> None:
        if not future.done():
            future.set_result(values[0] if values else None)

    signal_instance.connect(receive)
    try:
        return await future
    finally:
        signal_instance.disconnect(receive)


def _quit_on_signals(app: QApplication) -> QTimer:
    """Quit cleanly on SIGINT and SIGTERM.

    Python runs signal handlers only when the interpreter gets control, which
    a Qt event loop rarely gives; a timer wakes it a few times a second.
    """

    def quit_app(number: int, _frame: FrameType | None) -> None:
        log.info("signal %s received; quitting", signal.Signals(number).name)
        # Asked from outside the window: no question about running jobs.
        app.exit(0)

    signal.signal(signal.SIGINT, quit_app)
    signal.signal(signal.SIGTERM, quit_app)
    timer = QTimer()
    timer.timeout.connect(lambda: None)
    timer.start(SIGNAL_POLL_MS)
    return timer


def install_crash_handler(workspace: Workspace, exit_app: ExitApp) -> None:
    """Bugs end here: logged, the demo stopped, a plain dialog, then an exit.

    Once the dialog is closed, exit_app(CRASH_EXIT_CODE) ends the event loop
    with that status (QApplication.exit), so the process reports a failure.
    """

    def on_crash(
        kind: type[BaseException], error: BaseException, tb: TracebackType | None
    ) -> None:
        if issubclass(kind, KeyboardInterrupt):
            exit_app(INTERRUPTED_EXIT_CODE)
            return
        details = "".join(traceback.format_exception(kind, error, tb))
        log.critical("unexpected error:\n%s", details)
        workspace.stop_children()
        box = workspace.window.show_crash(
            f"{APP_NAME} ran into a problem it cannot recover from and will close. "
            "The local demo servers were stopped.\n\n"
            f"Details are in the log: {data_dir() / LOG_FILE}"
        )
        box.finished.connect(lambda _result: exit_app(CRASH_EXIT_CODE))

    sys.excepthook = on_crash


def _log_to_file() -> None:
    """Keep a log file next to the settings, for support and crash reports."""
    handler = logging.handlers.RotatingFileHandler(
        data_dir() / LOG_FILE, maxBytes=1_000_000, backupCount=2, encoding="utf-8"
    )
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    handler.addFilter(RedactingFilter())
    logging.getLogger().addHandler(handler)
