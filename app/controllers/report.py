"""The selected report: its form, the lists it picks from, and Run.

When a report is picked, its form is generated with the session's time zone
and units; the lists its fields pick from (vehicles, groups, ...) are
loaded in the background, once per session. A list that cannot be loaded
is said so in its picker, with a Retry, and Run waits for it. Every change
of the values is checked against the script's schema: the errors go to the
fields, and a line says why Run is disabled until the values are valid.
What was filled in for a report is kept for the session, so going to
another report and back loses nothing.
"""

import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from app.controllers.notices import Notices, sentence
from app.controllers.session import Session
from app.controllers.tasks import TaskOwner
from app.errors import PegasusError
from app.forms import FormContext, FormState
from app.manifest import Script
from app.runs import build_args
from app.validation import field_errors

if TYPE_CHECKING:
    from widgets.report_page import ReportPage

log = logging.getLogger(__name__)

Choices = list[tuple[Any, str]]
ScriptKey = tuple[str, str]

READY_TEXT = "Ready to run (Ctrl+Return)."
# How many odd ids a warning about a resource list quotes.
ODD_IDS_SHOWN = 3
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

    def show(self, script: Script) -> None:
        """Show script's form, with its lists loading in the background.

        A report shown before in this session comes back as it was left.
        """
        if self._session is None:
            return
        if self.script is not None:
            self._kept[_key_of(self.script)] = self._page.form_state()
        self.script = script
        context = FormContext(tz=self._session.tz, prefs=self._session.prefs)
        self._page.show_script(script, context)
        kept = self._kept.get(_key_of(script))
        if kept is not None:
            log.debug("restoring the values of %s", script.script)
            self._page.restore_form_state(kept)

        for kind in sorted(self._needed()):
            if kind in self._choices:
                self._page.set_resource_choices(kind, self._choices[kind])
            elif kind not in self._loading:
                # A list that failed is tried again when a report needs it.
                self._load(self._session, kind)
        self._check(self._page.values())

    async def aclose(self) -> None:
        await self._tasks.aclose()

    # -- the work -------------------------------------------------------------

    def _needed(self) -> set[str]:
        return self._page.resources_needed() if self.script else set()

    def _load(self, session: Session, kind: str) -> None:
        self._load_errors.pop(kind, None)
        self._loading.add(kind)
        self._tasks.start(self._load_choices(session, kind), key=kind)

    async def _load_choices(self, session: Session, kind: str) -> None:
        try:
            items = await session.gateway.list_all(kind)
        except PegasusError as exc:
            text = self._notices.failure(f"Could not load the {kind}", exc)
            self._load_errors[kind] = text
            self._page.set_resource_failed(kind, text)
        else:
            self._choices[kind] = _choices_of(kind, items)
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
        script = self.script
        if script is None:
            return False
        errors = field_errors(_schema_of(script), values)
        # Text that is not a value at all (a half-typed date) is named as
        # such, whatever the schema says of it.
        errors.update(self._page.input_problems())
        self._page.set_errors(errors)

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

    def _on_page_values_changed(self, values: dict[str, Any]) -> None:
        self._check(values)

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
        args = build_args(script, values, tz=session.tz, prefs=session.prefs)
        log.info("run requested: %s", script.script)
        self.run_requested.emit(script, args)


def _key_of(script: Script) -> ScriptKey:
    return (script.engine_url, script.script)


def _schema_of(script: Script) -> dict[str, Any]:
    return script.validation_schema or script.schema


def _first_in_form_order(script: Script, errors: dict[str, str]) -> tuple[str, str]:
    """The error of the field highest in the form (the whole form first)."""
    properties = script.schema.get("properties", {})
    order = list(properties) if isinstance(properties, dict) else []

    def position(path: str) -> tuple[int, str]:
        name = path.split("/")[0]
        return (order.index(name) + 1 if name in order else len(order) + 1, path)

    path = min(errors, key=lambda p: position(p) if p else (0, ""))
    return path, errors[path]


def _field_problem(script: Script, path: str, message: str) -> str:
    """The problem with the field's title: 'To' must be after the start."""
    if not path:
        return sentence(message)
    name = path.split("/")[0]
    properties = script.schema.get("properties", {})
    field = properties.get(name, {}) if isinstance(properties, dict) else {}
    title = field.get("title") if isinstance(field, dict) else None
    label = str(title or name)
    rest = path[len(name) :].replace("/", " ").strip()
    if rest:
        label = f"{label} {rest}"
    return sentence(f"'{label}' {message}")


def _choices_of(kind: str, items: list[dict[str, Any]]) -> Choices:
    """(id, name) of each item whose id is a whole number; the rest logged.

    Forms send ids as integers, and an item without one cannot be picked:
    it is left out, and said once for the whole list, not once per item.
    """
    choices: Choices = []
    odd: list[Any] = []
    for item in items:
        rid = item.get("id")
        if isinstance(rid, int) and not isinstance(rid, bool):
            choices.append((rid, _name_of(item)))
        else:
            odd.append(rid)

    if odd:
        shown = ", ".join(repr(rid)[:40] for rid in odd[:ODD_IDS_SHOWN])
        more = (
            f" and {len(odd) - ODD_IDS_SHOWN} more" if len(odd) > ODD_IDS_SHOWN else ""
        )
        log.warning(
            "%d of the %d %s the gateway listed have no whole-number id and "
            "cannot be picked (ids: %s%s)",
            len(odd),
            len(items),
            kind,
            shown,
            more,
        )
    return choices


def _name_of(item: dict[str, Any]) -> str:
    for key in ("name", "title", "label", "username", "email"):
        value = item.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return f"#{item.get('id')}"
