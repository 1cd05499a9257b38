"""Running reports and fetching their files, for the jobs panel.

A run creates the job on the gateway and follows it until it is done or
failed, showing each change in the panel; the status bar always says what
happened last. A file is downloaded when the user asks, into the download
folder from the settings (the user's Downloads unless changed); the gateway
client writes it under a temporary name and renames it once complete.

Every job run, watched or followed again, and every download, is kept in
the history (app/history.py), per gateway and user. On start the panel
shows the last gateway and user's jobs at once, before signing in; once
signed in as them, every job not ended is followed again, a job past its
expiry is shown as expired instead, a job the gateway no longer knows is
shown as gone, and a download that was under way starts again. A file
saved before, still there at its size, is never fetched again. Another
gateway or user gets their own jobs.
"""

import asyncio
import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from app.controllers.notices import Notices, sentence
from app.controllers.session import Session
from app.controllers.tasks import TaskOwner
from app.errors import GatewayError, PegasusError
from app.gateway import DEFAULT_EXPIRES
from app.history import (
    DEMO_SITE,
    EXPIRED,
    GONE,
    STARTED,
    History,
    Identity,
    JobEntry,
    ended,
    file_facts,
    with_state,
)
from app.jobs import Job, follow
from app.local_stack import DEMO_USER
from app.plurals import counted
from app.polling import Pacer
from app.settings import MODE_DEMO, MODE_GATEWAY, Settings

if TYPE_CHECKING:
    from app.manifest import Script
    from widgets.jobs_panel import JobsPanel

log = logging.getLogger(__name__)

# Progress is shown at most this often while a file downloads.
PROGRESS_STEP_BYTES = 256 * 1024
# Of the ended jobs kept, the newest shown at start (every open one is).
# TODO(history): the older ones are kept but not shown; the table's file
# buttons take about 3 ms a job to make, so 2,000 would stall the start.
SHOWN_ENDED = 100
NOT_FOUND = 404


class JobsController(QObject):
    """Starts jobs, follows them, downloads their files, and keeps them all
    in the history.

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
        history: History | None = None,
    ) -> None:
        super().__init__()
        self._panel = panel
        self._settings = settings
        self._notices = notices
        self._tasks = TaskOwner("jobs")
        # Spaces the polls of every job followed, slower while hidden.
        self.pacer = Pacer()
        self._session: Session | None = None
        # Without a file, the history lasts as long as the window.
        self.history = history or History(None)
        # Not a method of ours: the history would hold this QObject in a
        # reference cycle, which Python may collect in another thread.
        self.history.on_problem = notices.warning
        # The report title of each job shown, for the status bar.
        self._titles: dict[int, str] = {}
        # When each job shown stops being worth following (epoch seconds).
        self._expiries: dict[int, float] = {}
        # What was last written to the history of each job: (state, files).
        self._recorded: dict[int, tuple[str, tuple[str, ...]]] = {}
        # The gateway and user of the jobs shown.
        self._identity: Identity | None = None
        # A folder given on the command line is used without being remembered.
        self._folder_override = download_dir

        panel.download_requested.connect(self._on_panel_download_requested)
        panel.open_failed.connect(self._on_panel_open_failed)
        panel.open_refused.connect(self._on_panel_open_refused)
        panel.set_download_folder(self.download_folder)

    @property
    def download_folder(self) -> Path:
        return self._folder_override or self._settings.download_dir

    @property
    def identity(self) -> Identity | None:
        """Whose jobs are shown."""
        return self._identity

    def set_download_folder(self, folder: Path) -> None:
        """Save downloads to folder from now on, and remember it."""
        self._folder_override = None
        self._settings.download_dir = folder
        self._settings.sync()
        self._panel.set_download_folder(folder)
        self._notices.status(f"Report files will be saved to {folder}")

    def restore(self) -> None:
        """Show the jobs of the last gateway and user, before signing in."""
        who = last_identity(self._settings)
        if who is not None:
            self._show_history(who)

    def start_session(self, session: Session) -> None:
        """Work for session: show its user's jobs and follow those not ended."""
        self.end_session()
        self._session = session
        who = identity_of(session)
        if who != self._identity:
            # Job ids and files belong to the gateway they ran on.
            self._show_history(who)
        self._resume(session, who)

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
        # TODO(history): a scheduled job's lifetime (the gateway's `expires`)
        # is not read into Job, so it is never shown expired; only a 404
        # from the gateway ends it (as gone).
        self._show(job)
        if not job.finished:
            self._start_following(self._session, job)

    def download(self, job_id: int, name: str) -> None:
        """Fetch one result file into the download folder, unless it was
        saved before and is still there."""
        if self._session is None:
            self._notices.error("Sign in again to download the files of this job")
            return
        if self._identity is not None:
            kept = self.history.download(self._identity, job_id, name)
            saved = kept.saved_path() if kept is not None else None
            if saved is not None:
                log.info("%s of job %s is already saved at %s", name, job_id, saved)
                self._panel.file_downloaded(job_id, name, saved)
                return
        self._start_download(self._session, job_id, name, self.download_folder)

    def set_window_hidden(self, hidden: bool) -> None:
        """Follow jobs more slowly while nobody sees the window."""
        self.pacer.hidden = hidden

    async def aclose(self) -> None:
        await self._tasks.aclose()
        self.history.close()

    # -- the history ------------------------------------------------------------

    def _show_history(self, who: Identity) -> None:
        """Show who's jobs as last kept, and the files saved before."""
        self._titles.clear()
        self._expiries.clear()
        self._recorded.clear()
        self._panel.clear()
        self._identity = who

        entries = _shown_at_start(self.history.jobs(who))
        with self._panel.many_changes():
            for entry in entries:
                self._show_kept(entry)
            for download in self.history.downloads(who):
                path = download.saved_path()
                if path is not None:
                    self._panel.file_downloaded(download.job_id, download.name, path)
        if entries:
            log.info(
                "%s of %s shown from the history", counted(len(entries), "job"), who
            )

    def _show_kept(self, entry: JobEntry) -> None:
        job = entry.job
        self._titles[job.id] = job.name or job.script or f"Job {job.id}"
        self._recorded[job.id] = (job.state, tuple(job.files))
        if entry.expires_at is not None:
            self._expiries[job.id] = entry.expires_at
        ended_at = entry.updated_at if entry.ended else None
        self._panel.show_job(job, seen_at=entry.seen_at, ended_at=ended_at)

    def _resume(self, session: Session, who: Identity) -> None:
        """Follow again the jobs not ended; fetch again the files that were
        downloading."""
        now = time.time()
        for job in self._panel.jobs():
            if ended(job):
                continue
            if now >= self._expiries.get(job.id, now + 1):
                self._expire(job)
                continue
            log.info("following job %s again", job.id)
            self._start_following(session, job)

        for download in self.history.downloads(who):
            if download.state == STARTED and download.saved_path() is None:
                log.info(
                    "downloading %s of job %s again", download.name, download.job_id
                )
                self._start_download(
                    session, download.job_id, download.name, download.folder
                )

    def _record(self, job: Job, *, lifetime: float | None = None) -> None:
        """Keep the job's new state or files in the history (not each
        percent of progress: the next poll tells that again)."""
        if self._identity is None:
            return
        mark = (job.state, tuple(job.files))
        if lifetime is None and self._recorded.get(job.id) == mark:
            return
        self._recorded[job.id] = mark
        self.history.record_job(self._identity, job, lifetime=lifetime)

    # -- the work ---------------------------------------------------------------

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
        # The app asks for DEFAULT_EXPIRES (job_body); the gateway's clock
        # counts it from the job's creation.
        self._expiries[job.id] = (job.created_at or time.time()) + DEFAULT_EXPIRES
        self._record(job, lifetime=DEFAULT_EXPIRES)
        self._show(job)
        self._status(f"{script.title} started (job {job.id})")
        await self._follow(session, job)

    def _start_following(self, session: Session, job: Job) -> None:
        # Old jobs (followed again after a restart) are asked about less often.
        age = time.time() - job.created_at if job.created_at else 0.0
        self._tasks.start(self._follow(session, job, age=max(age, 0.0)))

    async def _follow(self, session: Session, job: Job, *, age: float = 0.0) -> None:
        title = self._title_of(job.id)
        expires_at = self._expiries.get(job.id)
        left = None if expires_at is None else max(expires_at - time.time(), 0.0)
        try:
            async with asyncio.timeout(left) as expiry:
                job = await follow(
                    session.gateway,
                    job.id,
                    self._show,
                    known=job,
                    pacer=self.pacer,
                    age=age,
                )
        except TimeoutError:
            if not expiry.expired():
                raise
            self._expire(self._panel_job(job))
            return
        except GatewayError as exc:
            if exc.status == NOT_FOUND:
                self._gone(self._panel_job(job), exc)
                return
            self._lost(title, job, exc)
            return
        except PegasusError as exc:
            self._lost(title, job, exc)
            return

        if job.state == "error":
            reason = job.error or "the engine gave no reason"
            self._notices.error(f"{title} failed: {reason}")
            self._status(f"{title} failed (job {job.id})")
        else:
            self._status(f"{title} is done: {_files_left(job.files)}")

    def _lost(self, title: str, job: Job, exc: PegasusError) -> None:
        # TODO(jobs): the row stays "Running" with its clock ticking, and
        # only signing in again (or a restart) follows the job again.
        self._notices.failure(f"Lost track of {title} (job {job.id})", exc)
        self._status(f"Lost track of {title} (job {job.id})")

    def _expire(self, job: Job) -> None:
        """Stop following a job past its expiry: the gateway will not end it."""
        title = self._title_of(job.id)
        log.info("job %s expired before it ended; no longer followed", job.id)
        self._show(with_state(job, EXPIRED))
        self._status(f"{title} expired before it ended (job {job.id})")

    def _gone(self, job: Job, exc: GatewayError) -> None:
        """The gateway answered 404: the job was deleted or expired there."""
        title = self._title_of(job.id)
        log.warning("job %s is no longer known to the gateway: %s", job.id, exc)
        self._show(with_state(job, GONE))
        self._notices.warning(
            f"{title} (job {job.id}) is no longer on the gateway: it was deleted "
            "or it expired there"
        )
        self._status(f"{title} is no longer on the gateway (job {job.id})")

    def _start_download(
        self, session: Session, job_id: int, name: str, folder: Path
    ) -> None:
        key = f"download:{job_id}:{name}"
        if not self._tasks.is_running(key):
            self._tasks.start(self._download(session, job_id, name, folder), key=key)

    async def _download(
        self, session: Session, job_id: int, name: str, folder: Path
    ) -> None:
        who = self._identity
        if who is not None:
            self.history.download_started(who, job_id, name, folder)
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
            # Read off the window's thread: a report file may be large.
            size, sha256 = await asyncio.to_thread(file_facts, path)
        except PegasusError as exc:
            text = self._notices.failure(f"Could not download {name}", exc)
            self._download_failed(who, job_id, name, folder, text)
            return
        except OSError as exc:
            # The disk, not the gateway: full, read-only, or the folder gone.
            text = sentence(f"Could not save {name} in {folder}: {exc.strerror}")
            self._notices.error(text)
            self._download_failed(who, job_id, name, folder, text)
            return

        if who is not None:
            self.history.download_done(
                who, job_id, name, path, size=size, sha256=sha256
            )
        # Said before the panel opens the file, so that a file that cannot
        # be opened is what the banner says last.
        self._notices.success(f"Downloaded to {path}")
        self._panel.file_downloaded(job_id, name, path)
        left = self._panel.files_to_download(job_id)
        self._status(f"{self._title_of(job_id)}: {_files_left(left)}")
        self.file_saved.emit(job_id, name, str(path))

    def _download_failed(
        self, who: Identity | None, job_id: int, name: str, folder: Path, text: str
    ) -> None:
        if who is not None:
            self.history.download_failed(who, job_id, name, folder, text)
        self._panel.file_download_failed(job_id, name, text)

    def _show(self, job: Job) -> None:
        self._panel.show_job(job)
        self._record(job)
        self.job_changed.emit(job)

    def _panel_job(self, job: Job) -> Job:
        """The job as the panel shows it now (it may have moved on since)."""
        return next((shown for shown in self._panel.jobs() if shown.id == job.id), job)

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


def identity_of(session: Session) -> Identity:
    """Whose jobs a session's are. The demo is known by name: its address
    changes every run, its database does not."""
    if session.demo:
        return Identity(DEMO_SITE, session.username)
    return Identity(session.gateway.site_url, session.username)


def last_identity(settings: Settings) -> Identity | None:
    """The gateway and user signed in last, as the settings remember them."""
    if settings.mode == MODE_DEMO:
        # TODO(history): a demo signed in with another user name than the
        # demo's own shows no jobs until signed in.
        return Identity(DEMO_SITE, DEMO_USER)
    if settings.mode == MODE_GATEWAY and settings.gateway_url and settings.username:
        return Identity(settings.gateway_url, settings.username)
    return None


def _shown_at_start(entries: list[JobEntry]) -> list[JobEntry]:
    """Every job not ended, and the newest SHOWN_ENDED ended ones, oldest
    first as kept."""
    ended_ids = [entry.job.id for entry in entries if entry.ended]
    shown = set(ended_ids[-SHOWN_ENDED:])
    return [entry for entry in entries if not entry.ended or entry.job.id in shown]


def _files_left(names: list[str]) -> str:
    """ "2 files to download", or that there is none left."""
    if not names:
        return "every file is downloaded"
    count = len(names)
    return f"{count} file{'s' if count != 1 else ''} to download"
