"""The selected report: its form, the lists it picks from, and Run.

When a report is picked, its form is generated with the session's time zone
and units; the lists its fields pick from (vehicles, groups, ...) are
loaded in the background, once per session; a list that only a field shown
later needs (by a condition, a variant, an added row) is loaded then. A
list that cannot be loaded is said so in its picker, with a Retry, and Run
waits for it. Every change
of the values is checked against the script's schema: the errors go to the
fields, a line above Run names the fields that need attention, and a line
beside it says why Run is disabled until the values are valid. What was
filled in for a report is kept for the session, so going to another report
and back loses nothing (the page keeps the last forms built; the values
are kept here too, for a form the page no longer keeps). While asked to,
the page is shown the exact body Run would send, built by the function
that builds the request Run sends (app.runs.job_request_body).
"""

import json
import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from app.controllers.notices import Notices, sentence
from app.controllers.session import Session
from app.controllers.tasks import TaskOwner
from app.errors import PegasusError
from app.gateway import JOB_MANAGER_PATH
from app.resource_lists import load_choices
from app.user_prefs import form_prefs

# The form, manifest and schema code (jsonschema) is imported where a shown
# report first needs it, so that none of it delays the window's start.
if TYPE_CHECKING:
    from app.forms import FormState
    from app.manifest import Script
    from widgets.report_page import ReportPage

log = logging.getLogger(__name__)

Choices = list[tuple[Any, str]]
ScriptKey = tuple[str, str]

READY_TEXT = "Ready to run (Ctrl+Return)."
RETRY_HINT = "Press Retry in the list to load it again."


class ReportController(QObject):
    """Shows the picked report and says when it can run.

    Signals:
        run_requested(Script, dict): run the script with these job args
            (a Python dict: Qt's own map would change large whole numbers).
        choices_loaded(str): a list of resources (e.g. "vehicles") is in.
    """

    run_requested = Signal(object, object)
    choices_loaded = Signal(str)

    def __init__(self, page: "ReportPage", notices: Notices) -> None:
        super().__init__()
        self._page = page
        self._notices = notices
        self._tasks = TaskOwner("report")
        self._session: Session | None = None
        self._choices: dict[str, Choices] = {}
        self._load_errors: dict[str, str] = {}
        self._loading: set[str] = set()
        # What each report's form held when another report was picked.
        self._kept: dict[ScriptKey, FormState] = {}
        self.script: Script | None = None

        page.values_changed.connect(self._on_page_values_changed)
        page.run_requested.connect(self._on_page_run_requested)
        page.resource_reload_requested.connect(self._on_page_resource_reload_requested)
        page.resources_needed_changed.connect(self._on_page_resources_needed_changed)
        page.request_body_toggled.connect(self._on_page_request_body_toggled)

    @property
    def loading(self) -> set[str]:
        """The resource lists being fetched for the shown report."""
        return self._loading & self._needed()

    def choices(self, kind: str) -> Choices:
        """The (id, name) list of a resource, once loaded; [] until then."""
        return list(self._choices.get(kind, []))

    def start_session(self, session: Session) -> None:
        self.end_session()
        self._session = session

    def end_session(self) -> None:
        self._tasks.cancel_all()
        self._loading.clear()
        self._session = None
        self._choices.clear()
        self._load_errors.clear()
        # Ids and choices belong to the gateway signed out of.
        self._kept.clear()
        self.script = None
        self._page.clear_resource_choices()
        self._page.show_nothing()

    def show(self, script: "Script") -> None:
        """Show script's form, with its lists loading in the background.

        A report shown before in this session comes back as it was left.
        """
        from app.forms import FormContext

        if self._session is None:
            return
        if self.script is not None:
            self._kept[_key_of(self.script)] = self._page.form_state()
        self.script = script
        session = self._session
        context = FormContext(
            tz=session.tz, prefs=form_prefs(session.user, session.prefs)
        )
        reused = self._page.show_script(script, context)
        kept = self._kept.get(_key_of(script))
        if kept is not None and not reused:
            log.debug("restoring the values of %s", script.script)
            self._page.restore_form_state(kept)

        self._supply(self._needed())
        self._check(self._page.values())

    async def aclose(self) -> None:
        await self._tasks.aclose()

    # -- the work -------------------------------------------------------------

    def _needed(self) -> set[str]:
        return self._page.resources_needed() if self.script else set()

    def _supply(self, kinds: set[str]) -> None:
        """Give the form these lists, loading those not in yet."""
        if self._session is None:
            return
        for kind in sorted(kinds):
            if kind in self._choices:
                self._page.set_resource_choices(kind, self._choices[kind])
            elif kind not in self._loading:
                # A list that failed is tried again when a report needs it.
                self._page.set_resource_loading(kind)
                self._load(self._session, kind)

    def _load(self, session: Session, kind: str) -> None:
        self._load_errors.pop(kind, None)
        self._loading.add(kind)
        self._tasks.start(self._load_choices(session, kind), key=kind)

    async def _load_choices(self, session: Session, kind: str) -> None:
        try:
            choices = await load_choices(session.gateway, kind)
        except PegasusError as exc:
            text = self._notices.failure(f"Could not load the {kind}", exc)
            self._load_errors[kind] = text
            self._page.set_resource_failed(kind, text)
        else:
            self._choices[kind] = choices
            log.info("%d %s loaded for the forms", len(self._choices[kind]), kind)
            if kind in self._needed():
                self._page.set_resource_choices(kind, self._choices[kind])
        finally:
            self._loading.discard(kind)

        self.choices_loaded.emit(kind)
        if self.script is not None:
            self._check(self._page.values())

    def _check(self, values: dict[str, Any]) -> bool:
        """Show the errors of values; True when Run may go ahead."""
        from app.manifest import run_blocker
        from app.parameter_checks import known_value_errors
        from app.validation import field_errors

        script = self.script
        if script is None:
            return False
        errors = field_errors(_schema_of(script), values)
        # What the engine would refuse after the job is made (a period its
        # script does not take, an unknown zone) stops Run here instead.
        for path, message in known_value_errors(script, values).items():
            errors.setdefault(path, message)
        # Text that is not a value at all (a half-typed date) is named as
        # such, whatever the schema says of it.
        errors.update(self._page.input_problems())
        self._page.set_errors(errors)
        self._page.set_attention(attention_text(script, errors))
        # A job's args are a JSON object: nothing else can be sent.
        blocked = run_blocker(script.schema, values)
        if blocked:
            self._page.set_request_body("", "")
            self._page.set_run_state(False, blocked)
            return False
        if self._page.wants_request_body():
            self._show_request_body(values)

        loading = sorted(self.loading)
        if loading:
            self._page.set_run_state(False, f"Loading {', '.join(loading)}…")
            return False
        failed = [
            self._load_errors[k]
            for k in sorted(self._needed() & set(self._load_errors))
        ]
        if failed:
            # Run without the list would run on something the user never saw.
            self._page.set_run_state(False, " ".join([*failed, RETRY_HINT]))
            return False
        if errors:
            path, message = _first_in_form_order(script, errors)
            self._page.set_run_state(
                False, "To run: " + _field_problem(script, path, message)
            )
            return False

        self._page.set_run_state(True, READY_TEXT)
        return True

    def _show_request_body(self, values: dict[str, Any]) -> None:
        from app.manifest import run_blocker
        from app.runs import job_request_body

        script, session = self.script, self._session
        if script is None or session is None or run_blocker(script.schema, values):
            self._page.set_request_body("", "")
            return
        body = job_request_body(script, _job_args(script, session, values))
        call = f"POST {session.gateway.api_url}{JOB_MANAGER_PATH}"
        self._page.set_request_body(
            call, json.dumps(body, indent=2, ensure_ascii=False)
        )

    def _on_page_values_changed(self, values: dict[str, Any]) -> None:
        self._check(values)

    def _on_page_request_body_toggled(self, shown: bool) -> None:
        if shown:
            self._show_request_body(self._page.values())

    def _on_page_resources_needed_changed(self, kinds: set[str]) -> None:
        # A picker shown later (a condition met, a row added) for a list no
        # field needed when the report was opened.
        if self.script is None:
            return
        log.info("the form now needs the %s", ", ".join(sorted(kinds)))
        self._supply(set(kinds))
        self._check(self._page.values())

    def _on_page_resource_reload_requested(self, kind: str) -> None:
        if self._session is None or kind in self._loading:
            return
        log.info("loading the %s again, as asked", kind)
        self._page.set_resource_loading(kind)
        self._load(self._session, kind)
        self._check(self._page.values())

    def _on_page_run_requested(self) -> None:
        script, session = self.script, self._session
        values = self._page.values()
        if script is None or session is None or not self._check(values):
            return
        args = _job_args(script, session, values)
        log.info("run requested: %s", script.script)
        self.run_requested.emit(script, args)


def _job_args(
    script: "Script", session: Session, values: dict[str, Any]
) -> dict[str, Any]:
    """The args Run sends: the values, with the session's zone and units
    added where the script takes them."""
    from app.runs import build_args

    return build_args(script, values, tz=session.tz, prefs=session.prefs)


def _key_of(script: "Script") -> ScriptKey:
    return (script.engine_url, script.script)


def _schema_of(script: "Script") -> dict[str, Any]:
    return script.validation_schema or script.schema


def _first_in_form_order(script: "Script", errors: dict[str, str]) -> tuple[str, str]:
    """The error of the field highest in the form (the whole form first)."""
    properties = script.schema.get("properties", {})
    order = list(properties) if isinstance(properties, dict) else []

    def position(path: str) -> tuple[int, str]:
        name = path.split("/")[0]
        return (order.index(name) + 1 if name in order else len(order) + 1, path)

    path = min(errors, key=lambda p: position(p) if p else (0, ""))
    return path, errors[path]


def attention_text(script: "Script", errors: dict[str, str]) -> str:
    """What stops Run, by field: "2 fields need attention: Min idle, Vehicles".

    Fields are named by their titles as the form shows them, in form
    order; an error of the whole form counts as one more.
    """
    if not errors:
        return ""
    properties = script.schema.get("properties", {})
    order = list(properties) if isinstance(properties, dict) else []
    names = {path.split("/")[0] for path in errors}

    def position(name: str) -> tuple[int, str]:
        return (order.index(name) if name in order else len(order), name)

    labels = [_title_of(script, name) for name in sorted(names - {""}, key=position)]
    if "" in names:
        labels.insert(0, "the form as a whole")
    count = len(labels)
    verb = "field needs" if count == 1 else "fields need"
    return f"{count} {verb} attention: {', '.join(labels)}"


def _title_of(script: "Script", name: str) -> str:
    """A field's title as its form shows it: its own, or made from its name."""
    from app.forms import title_from_name

    properties = script.schema.get("properties", {})
    field = properties.get(name, {}) if isinstance(properties, dict) else {}
    title = field.get("title") if isinstance(field, dict) else None
    if isinstance(title, str) and title.strip():
        return title.strip()
    return title_from_name(name)


def _field_problem(script: "Script", path: str, message: str) -> str:
    """The problem with the field's title: 'To' must be after the start."""
    if not path:
        return sentence(message)
    name = path.split("/")[0]
    label = _title_of(script, name)
    rest = path[len(name) :].replace("/", " ").strip()
    if rest:
        label = f"{label} {rest}"
    return sentence(f"'{label}' {message}")
