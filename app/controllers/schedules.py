"""Scheduled reports: the task editor, the task list, and the jobs they start.

From the report page, Schedule opens the task editor for the shown report
(when its manifest allows scheduling), starting from the values filled in
on the page. Save checks what the editor holds (check_draft) and sends
POST /api/tasks, or PUT for a task being changed. The task list shows the
gateway's tasks with their schedules in words, their next and last runs;
from it a task is changed, deleted, or run now: a job of its report over
the period its `back` gives, ending now, started like any other run.

While signed in, the gateway's jobs are looked at every WATCH_SECONDS
(and whenever the task list is refreshed): a job a schedule started
(`task` in its answer) is handed to the jobs panel, which shows and
follows it like any other, marked with its task.

The schedule, form and schema code (croniter, jsonschema) is imported by
the functions that first use it: an editor opened, a draft saved, the list
filled. Nothing of it is needed to show the window.
"""

import asyncio
import datetime as dt
import functools
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QLocale, QObject, Signal

from app.controllers.notices import Notices, sentence
from app.controllers.session import Session
from app.controllers.tasks import TaskOwner
from app.errors import PegasusError, UsageError
from app.jobs import Job
from app.resource_lists import load_choices
from app.user_prefs import form_prefs

if TYPE_CHECKING:
    from app.manifest import Script
    from app.task_shapes import Task, TaskDraft
    from widgets.main_window import MainWindow
    from widgets.task_editor import TaskEditor

log = logging.getLogger(__name__)

WATCH_SECONDS = 20.0
# A gateway whose job list cannot be read is asked less and less often,
# up to this long between two looks.
MAX_WATCH_SECONDS = 600.0
# Jobs a schedule started this long before signing in are shown too.
RECENT_SECONDS = 86_400.0
# Schedules are described in the user's language when app.schedule words
# them in it. TODO(i18n): the rest of the window is in English only.
FALLBACK_LANGUAGE = "en"
# TODO(tasks): no pause or resume: a task is stopped only by deleting it,
# which loses its settings.
NO_PAUSE = (
    "Pausing is not available: Pegasus gateways document no way to pause a "
    "scheduled task. Delete it, or change its schedule, instead."
)
NOT_SCHEDULABLE = "This report cannot be scheduled: its engine's manifest says so."
SIGN_IN_FIRST = "Sign in to a gateway to schedule reports."
SCHEDULE_READY = "Run this report on a schedule, and mail it."

ScriptFinder = Callable[[str, str], "Script | None"]
Clock = Callable[[], dt.datetime]


class DraftError(UsageError):
    """What stops a task from being saved; errors: those of the form's fields."""

    def __init__(self, message: str, errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or {}


def check_draft(
    script: "Script", draft: "TaskDraft", prefs: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The body of POST /api/tasks for draft; DraftError says what is wrong."""
    from app.runs import build_args
    from app.schedule.back import parse_back
    from app.schedule.expression import parse_cron
    from app.schedule.runs import zone_named
    from app.task_shapes import (
        parse_recipients,
        period_fields,
        task_body,
        without_fields,
    )
    from app.validation import field_errors

    if not draft.name:
        raise DraftError("Give the task a name.")

    skipped = period_fields(script.schema)
    schema = without_fields(script.validation_schema or script.schema, skipped)
    values = build_args(script, draft.values, prefs=prefs)
    errors = {**field_errors(schema, values), **draft.input_problems}
    if errors:
        count = len(errors)
        raise DraftError(
            f"{count} report parameter{'s need' if count != 1 else ' needs'} "
            "attention (shown at the fields).",
            errors,
        )

    try:
        recipients = parse_recipients(draft.recipients_text)
        users = _typed_users(draft.users_text) if draft.users_typed else draft.users
        back = parse_back({"days": draft.back_days, "hours": draft.back_hours})
        zone_named(draft.zone)
    except UsageError as exc:
        raise DraftError(sentence(str(exc))) from exc
    if not draft.schedules:
        raise DraftError("Give at least one schedule.")
    for number, text in enumerate(draft.schedules, start=1):
        try:
            parse_cron(text)
        except UsageError as exc:
            raise DraftError(sentence(f"Schedule {number}: {exc}")) from exc

    return task_body(
        name=draft.name,
        script=script.script,
        report_name=script.title or script.script,
        engine=script.engine_url,
        tz=draft.zone,
        values=values,
        recipients=recipients,
        users=users,
        back=back,
        schedule=draft.schedules,
    )


def _typed_users(text: str) -> list[int]:
    ids = []
    for word in text.replace(",", " ").split():
        if not word.isdigit():
            raise UsageError(f"users: {word!r} is not a user id (a whole number)")
        ids.append(int(word))
    return ids


class SchedulesController(QObject):
    """Schedule, list, change, delete and run tasks; show the jobs they start.

    Signals:
        run_requested(Script, dict): run a task's report now (the jobs panel).
        scheduled_job_found(Job): a job a schedule started, not shown yet.
        tasks_listed(list): the task list was filled (its TaskSummary rows).
        task_saved(object): a task was created or changed (as the gateway
            answered it).
    """

    run_requested = Signal(object, object)
    scheduled_job_found = Signal(object)
    tasks_listed = Signal(object)
    task_saved = Signal(object)

    def __init__(
        self,
        window: "MainWindow",
        notices: Notices,
        find_script: ScriptFinder,
        *,
        watch_seconds: float = WATCH_SECONDS,
        clock: Clock | None = None,
    ) -> None:
        super().__init__()
        self._window = window
        self._page = window.report_page
        self._list = window.task_list
        self._notices = notices
        self._find_script = find_script
        self._watch_seconds = watch_seconds
        self._clock = clock
        self._tasks = TaskOwner("schedules")
        self._session: Session | None = None
        self._known: dict[int, Task] = {}
        self._seen_jobs: set[int] = set()
        self._since = 0.0
        # Failed looks at the job list in a row, this session.
        self._watch_failures = 0
        self.editor: TaskEditor | None = None

        self._list.set_pause_unavailable(NO_PAUSE)
        self._page.schedule_requested.connect(self._on_page_schedule_requested)
        self._page.page_changed.connect(self._on_page_changed)
        window.tasks_requested.connect(self.show_list)
        self._list.refresh_requested.connect(self.refresh)
        self._list.edit_requested.connect(self._on_list_edit_requested)
        self._list.delete_requested.connect(self._on_list_delete_requested)
        self._list.run_now_requested.connect(self._on_list_run_now_requested)

    def start_session(self, session: Session) -> None:
        self.end_session()
        self._session = session
        self._since = time.time() - RECENT_SECONDS
        self._watch_failures = 0
        self._tasks.start(self._watch(session), key="watch")
        self._on_page_changed()

    def end_session(self) -> None:
        self._tasks.cancel_all()
        self._session = None
        self._known.clear()
        self._seen_jobs.clear()
        self._close_editor()
        self._list.show_tasks([])
        self._list.set_status(SIGN_IN_FIRST)
        self._on_page_changed()

    def show_list(self) -> None:
        """Open the task list, and fill it."""
        self._list.show()
        self._list.raise_()
        self.refresh()

    def refresh(self) -> None:
        """List the tasks again, and look for jobs their schedules started."""
        if self._session is None:
            self._list.set_status(SIGN_IN_FIRST)
            return
        self._list.set_status("Listing the scheduled reports…")
        self._tasks.start(self._refresh(self._session), key="refresh")

    def schedule(self, script: "Script", values: dict[str, Any]) -> None:
        """Open the task editor for a new task of script, from these values."""
        if self._session is None:
            self._notices.error(SIGN_IN_FIRST)
            return
        editor = self._open_editor(self._session, script, None)
        editor.set_values(values)

    async def aclose(self) -> None:
        self._close_editor()
        await self._tasks.aclose()

    # -- the editor ------------------------------------------------------------

    def _open_editor(
        self, session: Session, script: "Script", task: "Task | None"
    ) -> "TaskEditor":
        from app.forms import FormContext

        self._close_editor()
        context = FormContext(
            tz=session.tz, prefs=form_prefs(session.user, session.prefs)
        )
        editor = self._window.new_task_editor(
            script, context, task=task, language=self._language(session)
        )
        editor.save_requested.connect(self._on_editor_save_requested)
        editor.resource_reload_requested.connect(self._on_editor_reload_requested)
        editor.users_reload_requested.connect(self._on_editor_users_reload_requested)
        editor.finished.connect(functools.partial(self._on_editor_finished, editor))
        # A picker a condition or an added row shows later needs its list too.
        editor.form.resources_needed_changed.connect(
            functools.partial(self._on_editor_resources_needed, editor)
        )
        self.editor = editor
        editor.open()
        for kind in sorted(editor.resources_needed()):
            self._tasks.start(self._load_list(session, editor, kind))
        self._tasks.start(self._load_users(session, editor), key="users")
        return editor

    def _close_editor(self) -> None:
        editor, self.editor = self.editor, None
        if editor is not None:
            editor.close()
            editor.deleteLater()

    def _on_editor_finished(self, editor: "TaskEditor", _result: int) -> None:
        # Cancelled or closed by the user: the next Schedule opens a new one.
        if editor is self.editor:
            self.editor = None
            editor.deleteLater()

    async def _load_list(
        self, session: Session, editor: "TaskEditor", kind: str
    ) -> None:
        try:
            choices = await load_choices(session.gateway, kind)
        except PegasusError as exc:
            editor.set_resource_failed(
                kind, sentence(f"Could not load the {kind}: {exc}")
            )
            return
        if editor is self.editor:
            editor.set_resource_choices(kind, choices)

    async def _load_users(self, session: Session, editor: "TaskEditor") -> None:
        try:
            users = await load_choices(session.gateway, "users")
        except PegasusError as exc:
            log.warning("no users list for the task editor: %s", exc)
            if editor is self.editor:
                editor.set_users_failed(
                    sentence(f"The gateway's users could not be listed: {exc}")
                )
            return
        if editor is self.editor:
            editor.set_users(users)

    def _on_editor_save_requested(self) -> None:
        editor, session = self.editor, self._session
        if editor is None or session is None:
            return
        try:
            body = check_draft(editor.script, editor.draft(), session.prefs)
        except DraftError as exc:
            editor.show_problem(str(exc), exc.errors)
            return
        editor.show_problem("")
        editor.set_busy(True)
        self._tasks.start(self._save(session, editor, body), key="save")

    async def _save(
        self, session: Session, editor: "TaskEditor", body: dict[str, Any]
    ) -> None:
        task_id = editor.task_id
        try:
            if task_id is None:
                saved = await session.gateway.create_task(body)
            else:
                saved = await session.gateway.update_task(task_id, body)
        except PegasusError as exc:
            editor.set_busy(False)
            editor.show_problem(sentence(f"The gateway did not take the task: {exc}"))
            return

        done = "changed" if task_id is not None else "scheduled"
        self._notices.success(f"“{body['name']}” is {done}")
        self.task_saved.emit(saved)
        if editor is self.editor:
            self._close_editor()
        if self._list.isVisible():
            await self._refresh(session)

    def _on_editor_reload_requested(self, kind: str) -> None:
        if self.editor is not None and self._session is not None:
            self._tasks.start(self._load_list(self._session, self.editor, kind))

    def _on_editor_resources_needed(
        self, editor: "TaskEditor", kinds: set[str]
    ) -> None:
        if editor is self.editor and self._session is not None:
            for kind in sorted(kinds):
                self._tasks.start(self._load_list(self._session, editor, kind))

    def _on_editor_users_reload_requested(self) -> None:
        if self.editor is not None and self._session is not None:
            self._tasks.start(self._load_users(self._session, self.editor), key="users")

    # -- the list ----------------------------------------------------------------

    def _now(self) -> dt.datetime:
        return self._clock() if self._clock is not None else dt.datetime.now(dt.UTC)

    def _language(self, session: Session) -> str:
        """The language schedules are described in: the user's saved one on
        the gateway, else this computer's, when there are words for it."""
        from app.schedule.description import LANGUAGES

        saved = session.prefs.get("language", "")
        computer = QLocale.system().name().split("_")[0]
        for language in (saved, computer):
            if language in LANGUAGES:
                return language
        return FALLBACK_LANGUAGE

    async def _refresh(self, session: Session) -> None:
        from app.task_shapes import read_task, summarize

        try:
            listed = await session.gateway.tasks()
        except PegasusError as exc:
            text = self._notices.failure("Could not list the scheduled reports", exc)
            self._list.set_status(text)
            return

        tasks = []
        for data in listed:
            try:
                tasks.append(read_task(data))
            except PegasusError as exc:
                log.warning("a task the gateway listed is left out: %s", exc)
        self._known = {task.id: task for task in tasks if task.id is not None}
        rows = []
        for task in tasks:
            state = await self._last_state(session, task)
            rows.append(
                summarize(
                    task,
                    self._now(),
                    language=self._language(session),
                    last_state=state,
                )
            )
        self._list.show_tasks(rows)
        self.tasks_listed.emit(rows)
        await self._look_for_scheduled_jobs(session)

    async def _last_state(self, session: Session, task: "Task") -> str | None:
        last = task.last_run
        if last is None or last.job_id is None:
            return None
        try:
            return (await session.gateway.job(last.job_id)).state
        except PegasusError as exc:
            log.warning("the last job of task %s cannot be read: %s", task.id, exc)
            return "unknown"

    def _task_and_script(self, task_id: int) -> "tuple[Task, Script] | None":
        task = self._known.get(task_id)
        if task is None:
            return None
        process = task.first
        script = self._find_script(process.script, process.engine)
        if script is None:
            self._notices.error(
                f"The report {process.script!r} of “{task.name}” is not in the "
                "catalog of this gateway's engines"
            )
            return None
        return task, script

    def _on_list_edit_requested(self, task_id: int) -> None:
        found = self._task_and_script(task_id)
        if found is not None and self._session is not None:
            task, script = found
            self._open_editor(self._session, script, task)

    def _on_list_delete_requested(self, task_id: int) -> None:
        if self._session is not None:
            self._tasks.start(self._delete(self._session, task_id))

    async def _delete(self, session: Session, task_id: int) -> None:
        name = self._known[task_id].name if task_id in self._known else task_id
        try:
            await session.gateway.delete_task(task_id)
        except PegasusError as exc:
            self._notices.failure(f"Could not delete “{name}”", exc)
            return
        self._notices.success(f"“{name}” is deleted")
        await self._refresh(session)

    def _on_list_run_now_requested(self, task_id: int) -> None:
        from app.task_shapes import run_now_args

        found = self._task_and_script(task_id)
        if found is None:
            return
        task, script = found
        try:
            args = run_now_args(task.first, task.zone, self._now())
        except UsageError as exc:
            self._notices.error(str(exc))
            return
        log.info("running task %s now", task_id)
        self.run_requested.emit(script, args)

    # -- the report page's Schedule button ----------------------------------------

    def _on_page_schedule_requested(self) -> None:
        script = self._page.script
        if script is not None and script.schedule:
            self.schedule(script, self._page.values())

    def _on_page_changed(self) -> None:
        script = self._page.script
        if script is None:
            return
        if self._session is None:
            self._page.set_schedule_state(False, SIGN_IN_FIRST)
        elif not script.schedule:
            self._page.set_schedule_state(False, NOT_SCHEDULABLE)
        else:
            self._page.set_schedule_state(True, SCHEDULE_READY)

    # -- jobs started by schedules ----------------------------------------------

    @property
    def watch_delay(self) -> float:
        """Seconds until the next look at the job list: longer after each
        failed look in a row, back to the usual once one succeeds."""
        delay = self._watch_seconds * 2 ** min(self._watch_failures, 16)
        return min(delay, max(MAX_WATCH_SECONDS, self._watch_seconds))

    async def _watch(self, session: Session) -> None:
        while True:
            await self._look_for_scheduled_jobs(session)
            await asyncio.sleep(self.watch_delay)

    async def _look_for_scheduled_jobs(self, session: Session) -> None:
        # TODO(tasks): a gateway whose jobs do not say their task (only the
        # sandbox is known to) shows no scheduled job in the panel; and the
        # whole job list is read each time, which grows with the user's past.
        try:
            listed = await session.gateway.list_all("job_manager")
        except PegasusError as exc:
            self._watch_failures += 1
            # Small gateways have no job list at all: said once, not every
            # WATCH_SECONDS for the whole session.
            if self._watch_failures == 1:
                log.info(
                    "jobs started by schedules are not shown: the job list "
                    "could not be read (%s); looking again less often",
                    exc,
                )
            else:
                log.debug("the job list still cannot be read: %s", exc)
            return
        if self._watch_failures:
            log.info("the job list can be read again")
            self._watch_failures = 0
        found = [Job.from_json(item) for item in listed]
        for job in sorted(found, key=lambda job: job.id):
            if job.task_id is None or job.id in self._seen_jobs:
                continue
            self._seen_jobs.add(job.id)
            if job.created_at is not None and job.created_at < self._since:
                continue
            log.info("job %s was started by task %s", job.id, job.task_id)
            self.scheduled_job_found.emit(job)
