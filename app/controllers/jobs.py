"""Running reports and fetching their files, for the jobs panel.

A run creates the job on the gateway and follows it until it is done or
failed, showing each change in the panel; the status bar always says what
happened last. A file is downloaded when the user asks, into the download
folder from the settings (the user's Downloads unless changed); the gateway
client writes it under a temporary name and renames it once complete.
Signing in again as the same user on the same gateway keeps the jobs, and
follows again those still running; another gateway or user starts afresh.
"""

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from app.controllers.notices import Notices, sentence
from app.controllers.session import Session
from app.controllers.tasks import TaskOwner
from app.errors import PegasusError
from app.jobs import Job, follow
from app.settings import Settings

if TYPE_CHECKING:
    from app.manifest import Script
    from widgets.jobs_panel import JobsPanel

log = logging.getLogger(__name__)

# Progress is shown at most this often while a file downloads.
PROGRESS_STEP_BYTES = 256 * 1024


class JobsController(QObject):
    """Starts jobs, follows them and downloads their files.

    Signals:
        job_changed(Job): a job was created or changed state or progress.
        file_saved(object, str, str): job id (an int of any size: the
            gateway chooses it), file name, path written.
    """

    job_changed = Signal(object)
    file_saved = Signal(object, str, str)

    def __init__(
        self,
        panel: "JobsPanel",
        settings: Settings,
        notices: Notices,
        *,
        download_dir: Path | None = None,
    ) -> None:
        super().__init__()
        self._panel = panel
        self._settings = settings
        self._notices = notices
        self._tasks = TaskOwner("jobs")
        self._session: Session | None = None
        # The report title of each job run this session, for the status bar.
        self._titles: dict[int, str] = {}
        # The gateway and user of the jobs shown: (site URL, user name).
        self._identity: tuple[str, str] | None = None
        # A folder given on the command line is used without being remembered.
        self._folder_override = download_dir

        panel.download_requested.connect(self._on_panel_download_requested)
        panel.open_failed.connect(self._on_panel_open_failed)
        panel.open_refused.connect(self._on_panel_open_refused)
        panel.set_download_folder(self.download_folder)

    @property
    def download_folder(self) -> Path:
        return self._folder_override or self._settings.download_dir

    def set_download_folder(self, folder: Path) -> None:
        """Save downloads to folder from now on, and remember it."""
        self._folder_override = None
        self._settings.download_dir = folder
        self._settings.sync()
        self._panel.set_download_folder(folder)
        self._notices.status(f"Report files will be saved to {folder}")

    def start_session(self, session: Session) -> None:
        """Work for session; keep the jobs if it is the last one's user."""
        self.end_session()
        self._session = session
        identity = _identity(session)
        if identity != self._identity:
            # Job ids and files belong to the gateway they ran on.
            self._titles.clear()
            self._panel.clear()
            self._identity = identity
            return

        for job in self._panel.jobs():
            if not job.finished:
                log.info("following job %s again after signing in", job.id)
                self._tasks.start(self._follow(session, job))

    def end_session(self) -> None:
        """Stop following jobs; they stay shown until another user signs in."""
        self._tasks.cancel_all()
        self._session = None

    def run(self, script: "Script", args: dict[str, Any]) -> None:
        """Create the job and follow it to its end."""
        if self._session is None:
            self._notices.error("Sign in to a gateway to run reports")
            return
        self._tasks.start(self._run(self._session, script, args))

    def watch(self, job: Job) -> None:
        """Show a job started elsewhere (by a schedule) and follow it."""
        if self._session is None or self._panel.job_state(job.id) is not None:
            return
        self._titles[job.id] = job.name or job.script or f"Job {job.id}"
        self._show(job)
        if not job.finished:
            self._tasks.start(self._follow(self._session, job))

    def download(self, job_id: int, name: str) -> None:
        """Fetch one result file into the download folder."""
        key = f"download:{job_id}:{name}"
        if self._session is None:
            self._notices.error("Sign in again to download the files of this job")
            return
        if not self._tasks.is_running(key):
            self._tasks.start(self._download(self._session, job_id, name), key=key)

    async def aclose(self) -> None:
        await self._tasks.aclose()

    # -- the work -------------------------------------------------------------

    async def _run(
        self, session: Session, script: "Script", args: dict[str, Any]
    ) -> None:
        # Imported on the first run: app.runs brings the schema stack.
        from app.runs import start_run

        try:
            job = await start_run(session.gateway, script, args)
        except PegasusError as exc:
            self._notices.failure(f"Could not start {script.title}", exc)
            self._status(f"Could not start {script.title}")
            return

        self._titles[job.id] = script.title
        self._show(job)
        self._status(f"{script.title} started (job {job.id})")
        await self._follow(session, job)

    async def _follow(self, session: Session, job: Job) -> None:
        title = self._title_of(job.id)
        try:
            job = await follow(session.gateway, job.id, self._show, known=job)
        except PegasusError as exc:
            # TODO(jobs): the row stays "Running" with its clock ticking, and
            # only signing in again follows the job again.
            self._notices.failure(f"Lost track of {title} (job {job.id})", exc)
            self._status(f"Lost track of {title} (job {job.id})")
            return

        if job.state == "error":
            reason = job.error or "the engine gave no reason"
            self._notices.error(f"{title} failed: {reason}")
            self._status(f"{title} failed (job {job.id})")
        else:
            self._status(f"{title} is done: {_files_left(job.files)}")

    async def _download(self, session: Session, job_id: int, name: str) -> None:
        folder = self.download_folder
        self._panel.file_download_started(job_id, name)
        shown = [0]

        def on_progress(received: int, total: int | None) -> None:
            if received - shown[0] >= PROGRESS_STEP_BYTES or received == total:
                shown[0] = received
                self._panel.file_download_progress(job_id, name, received, total)

        try:
            path = await session.gateway.download(
                job_id, name, folder, on_progress=on_progress
            )
        except PegasusError as exc:
            text = self._notices.failure(f"Could not download {name}", exc)
            self._panel.file_download_failed(job_id, name, text)
            return
        except OSError as exc:
            # The disk, not the gateway: full, read-only, or the folder gone.
            text = sentence(f"Could not save {name} in {folder}: {exc.strerror}")
            self._notices.error(text)
            self._panel.file_download_failed(job_id, name, text)
            return

        # Said before the panel opens the file, so that a file that cannot
        # be opened is what the banner says last.
        self._notices.success(f"Downloaded to {path}")
        self._panel.file_downloaded(job_id, name, path)
        left = self._panel.files_to_download(job_id)
        self._status(f"{self._title_of(job_id)}: {_files_left(left)}")
        self.file_saved.emit(job_id, name, str(path))

    def _show(self, job: Job) -> None:
        self._panel.show_job(job)
        self.job_changed.emit(job)

    def _title_of(self, job_id: int) -> str:
        return self._titles.get(job_id, f"Job {job_id}")

    def _status(self, text: str) -> None:
        # Kept until the next news of a job, so it never tells a past state.
        self._notices.status(text, lasting=True)

    def _on_panel_download_requested(self, job_id: int, name: str) -> None:
        self.download(job_id, name)

    def _on_panel_open_failed(self, message: str) -> None:
        log.warning("%s", message)
        self._notices.error(message)

    def _on_panel_open_refused(self, message: str) -> None:
        log.info("%s", message)
        self._notices.warning(message)


def _identity(session: Session) -> tuple[str, str]:
    return (session.gateway.site_url, session.username)


def _files_left(names: list[str]) -> str:
    """ "2 files to download", or that there is none left."""
    if not names:
        return "every file is downloaded"
    count = len(names)
    return f"{count} file{'s' if count != 1 else ''} to download"
