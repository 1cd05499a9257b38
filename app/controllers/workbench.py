"""The manifest workbench: a manifest file shown in the window as it is edited.

While a manifest file is open, the catalog and the report forms come from
it instead of a gateway, and the problems panel lists what the linter
(app.lint) finds in it, each with its place. The file is watched: a save
reloads it within a second (a short debounce lets an editor finish
writing), also when the editor replaces the file instead of writing into
it. A reload keeps the report shown and the values typed so far, for the
fields that still exist. A file that cannot be read or parsed leaves the
last good catalog in place; its problem goes to the panel. There is no
gateway behind a file, so Run stays disabled and says why; the form, its
checks and the JSON body Run would send all work. A manifest can also be
opened from an http(s) address (an engine's /manifest); it is fetched when
opened and when the catalog is reloaded.
"""

import asyncio
import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QFileSystemWatcher, QObject, QTimer, Signal

from app.controllers.tasks import TaskOwner
from app.errors import PegasusError
from app.gateway import JOB_MANAGER_PATH
from app.plurals import counted

# app.lint and app.manifest bring jsonschema: imported when a file is read.
if TYPE_CHECKING:
    from app.form_start import FormContext, FormState
    from app.manifest import Manifest, Problem, Script
    from widgets.catalog import CatalogView
    from widgets.problems_panel import ProblemsPanel
    from widgets.report_page import ReportPage

log = logging.getLogger(__name__)

# {opened}: "a manifest opened from a file" (or "from an address").
OPENED = "a manifest opened from {origin}"
RUN_TEXT = "{opened} has no gateway to run on"
SCHEDULE_TEXT = "{opened} has no gateway to schedule its reports on"
LISTS_TEXT = "No gateway to load the {kind} from: {opened} has no gateway behind it."
FILE_OPENED = OPENED.format(origin="a file")
URL_OPENED = OPENED.format(origin="an address")
NO_GATEWAY = RUN_TEXT.format(opened=FILE_OPENED)
NO_GATEWAY_TO_SCHEDULE = SCHEDULE_TEXT.format(opened=FILE_OPENED)
# Long enough for an editor to finish writing (or replacing) the file,
# short enough that a save shows within a second.
DEBOUNCE_MS = 250
LOAD_KEY = "load"
GATEWAY_PLACEHOLDER = "<gateway>"


class WorkbenchController(QObject):
    """Shows a manifest file's catalog, forms and problems, and follows edits.

    Signals:
        loaded(Manifest): the file was read (its catalog is shown when usable).
        problems_shown(list): the panel now lists these problems.
    """

    loaded = Signal(object)
    problems_shown = Signal(object)

    def __init__(
        self,
        catalog_view: "CatalogView",
        page: "ReportPage",
        panel: "ProblemsPanel",
        *,
        debounce_ms: int = DEBOUNCE_MS,
    ) -> None:
        super().__init__()
        self._view = catalog_view
        self._page = page
        self._panel = panel
        self._tasks = TaskOwner("workbench")
        self._watcher = QFileSystemWatcher(self)
        self._watcher.fileChanged.connect(self._on_watcher_changed)
        self._watcher.directoryChanged.connect(self._on_watcher_changed)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(debounce_ms)
        self._debounce.timeout.connect(self._on_debounce_timeout)

        # The file's path, or the address, of the manifest shown; path is
        # None for an address.
        self.source: str | None = None
        self.path: Path | None = None
        self.manifest: Manifest | None = None
        self.script: Script | None = None
        self._last_data: bytes | None = None
        # What each report's form held, by script name, across reloads.
        self._kept: dict[str, FormState] = {}

        page.values_changed.connect(self._on_page_values_changed)
        page.request_body_toggled.connect(self._on_page_request_body_toggled)
        page.resources_needed_changed.connect(self._on_page_resources_needed)
        page.resource_reload_requested.connect(self._on_page_resource_reload)
        # After the schedules controller's own slot: a file's report must not
        # be scheduled on whatever gateway the window is signed in to.
        page.page_changed.connect(self._on_page_changed)
        panel.problem_activated.connect(self.select_problem)

    @property
    def active(self) -> bool:
        """Whether a manifest is open (the catalog is the manifest's)."""
        return self.source is not None

    @property
    def _opened(self) -> str:
        return FILE_OPENED if self.path is not None else URL_OPENED

    def open(self, path: Path) -> None:
        """Show the manifest in path and follow its changes."""
        self.close()
        self.path = path.expanduser().resolve()
        self.source = str(self.path)
        log.info("opening the manifest %s", self.path)
        self._view.show_message(f"Reading {self.path.name}…")
        self._page.show_nothing("Choose a report of the manifest.")
        self._watch()
        self.reload()

    # TODO(workbench): an address is read when opened and on View → Reload
    # catalog only; an engine author serving a manifest that changes must
    # press F5 to see the change. File → Open manifest… offers files only;
    # an address is given with --manifest.
    def open_url(self, url: str) -> None:
        """Show the manifest an http(s) address serves (an engine's /manifest)."""
        self.close()
        self.source = url
        log.info("opening the manifest at %s", url)
        self._view.show_message(f"Fetching {url}…")
        self._page.show_nothing("Choose a report of the manifest.")
        self.reload()

    def close(self) -> None:
        """Stop following the manifest; the catalog goes back to the gateway's."""
        if self.source is None:
            return
        log.info("closing the manifest %s", self.source)
        self._tasks.cancel(LOAD_KEY)
        self._debounce.stop()
        watched = self._watcher.files() + self._watcher.directories()
        if watched:
            self._watcher.removePaths(watched)
        self.path = self.manifest = self.script = self.source = None
        self._last_data = None
        self._kept.clear()
        self._page.forget_forms()

    def reload(self) -> None:
        """Read the file again now, even unchanged."""
        self._last_data = None
        self._start_load()

    async def aclose(self) -> None:
        await self._tasks.aclose()

    def show(self, script: "Script") -> None:
        """Show a report of the manifest; its values come back if kept."""
        if not self.active:
            return
        if self.script is not None:
            self._kept[self.script.script] = self._page.form_state()
        self.script = script
        reused = self._page.show_script(script, _context())
        kept = self._kept.get(script.script)
        if kept is not None and not reused:
            self._page.restore_form_state(kept)
        self._say_no_lists(self._page.resources_needed())
        self._check(self._page.values())

    def select_problem(self, problem: "Problem") -> None:
        """Show the script a problem is about, and focus its field if any."""
        where = problem_place(problem.pointer)
        if self.manifest is None or where is None:
            return
        index, field = where
        if index >= len(self.manifest.scripts):
            return
        script = self.manifest.scripts[index]
        if not script.usable:
            # TODO(workbench): the catalog cannot select a disabled report,
            # so its row is not highlighted; only the page names its errors.
            problems = "; ".join(p.message for p in script.problems)
            if self.script is not None:
                self._kept[self.script.script] = self._page.form_state()
            self.script = None
            self._page.show_nothing(f"{script.title} cannot be used: {problems}")
            return
        if self.script is None or self.script.script != script.script:
            self._view.select_script(script.script)
        if field is not None:
            self._focus_field(field)

    # -- reading the file -----------------------------------------------------

    def _watch(self) -> None:
        """Watch the file, and its folder to see it come back when replaced."""
        path = self.path
        if path is None:
            return
        if path.exists() and str(path) not in self._watcher.files():
            self._watcher.addPath(str(path))
        if str(path.parent) not in self._watcher.directories():
            self._watcher.addPath(str(path.parent))

    def _on_watcher_changed(self, _path: str) -> None:
        if self.active:
            self._debounce.start()

    def _on_debounce_timeout(self) -> None:
        # An editor that writes a new file and renames it over the old one
        # ends the watch on the old one: watch the new one.
        self._watch()
        self._start_load()

    def _start_load(self) -> None:
        if self.source is not None and self.path is None:
            self._tasks.start(self._fetch(self.source), key=LOAD_KEY)
            return
        path = self.path
        if path is None:
            return
        try:
            data = path.read_bytes()
        except OSError as exc:
            log.warning("cannot read the manifest %s: %s", path, exc)
            self._show_problems(
                f"{path}: cannot be read ({exc.strerror or exc}); the last "
                "catalog read from it stays",
                [],
            )
            return
        if data == self._last_data:
            return
        self._last_data = data
        self._tasks.start(self._load(str(path), data), key=LOAD_KEY)

    async def _fetch(self, url: str) -> None:
        from app.lint_cli import fetch

        try:
            data = await asyncio.to_thread(fetch, url)
        except PegasusError as exc:
            log.warning("the manifest at %s could not be fetched: %s", url, exc)
            self._show_problems(f"{exc}; the last catalog read from it stays", [])
            if self.manifest is None:
                self._view.show_message(str(exc))
            return
        await self._load(url, data)

    async def _load(self, source: str, data: bytes) -> None:
        try:
            manifest, problems = await asyncio.to_thread(_read, source, data)
        except PegasusError as exc:
            log.warning("the manifest %s could not be read: %s", source, exc)
            self._show_problems(f"{source}: {exc}", [])
            return
        if source != self.source:
            return
        self._show_problems(_summary(source, problems), problems)
        if _unusable(manifest):
            log.info("the manifest %s cannot be used; the last catalog stays", source)
            if self.manifest is None:
                self._view.show_message(
                    f"{_short(source)} cannot be used yet: see the problems below."
                )
            self.loaded.emit(manifest)
            return
        self._show_catalog(manifest)
        self.loaded.emit(manifest)

    def _show_catalog(self, manifest: "Manifest") -> None:
        """The new catalog, with the shown report and its values kept."""
        from app.catalog import Catalog, EngineEntry

        shown = self.script
        if shown is not None:
            self._kept[shown.script] = self._page.form_state()
        self.manifest = manifest
        self.script = None
        catalog = Catalog(engines=[EngineEntry(url=manifest.source, manifest=manifest)])
        self._view.show_catalog(catalog.groups(), [])
        log.info(
            "manifest %s shown: %s",
            manifest.source,
            counted(len(manifest.scripts), "script"),
        )
        if shown is None:
            return
        again = manifest.script(shown.script)
        if (
            again is None
            or not again.usable
            or not self._view.select_script(again.script)
        ):
            self._page.show_nothing(
                f"{shown.title} is no longer a usable report of the manifest."
            )

    def _show_problems(self, summary: str, problems: "list[Problem]") -> None:
        self._panel.show_problems(summary, problems)
        self.problems_shown.emit(problems)

    # -- the shown form -------------------------------------------------------

    def _check(self, values: Any) -> None:
        """Show the form's errors and the JSON body; Run stays disabled."""
        from app.controllers.report import attention_text
        from app.manifest import run_blocker
        from app.parameter_checks import known_value_errors
        from app.validation import field_errors

        script = self.script
        if script is None:
            return
        errors = field_errors(script.validation_schema or script.schema, values)
        for path, message in known_value_errors(script, values).items():
            errors.setdefault(path, message)
        errors.update(self._page.input_problems())
        self._page.set_errors(errors)
        self._page.set_attention(attention_text(script, errors))
        if self._page.wants_request_body():
            self._show_request_body(script, values, run_blocker(script.schema, values))
        self._page.set_run_state(False, RUN_TEXT.format(opened=self._opened))

    def _show_request_body(self, script: "Script", values: Any, blocked: str) -> None:
        from app.runs import build_args, job_request_body

        if blocked:
            self._page.set_request_body("", "")
            return
        context = _context()
        args = build_args(script, values, tz=context.tz, prefs=context.prefs)
        body = job_request_body(script, args)
        self._page.set_request_body(
            f"POST {GATEWAY_PLACEHOLDER}{JOB_MANAGER_PATH}",
            json.dumps(body, indent=2, ensure_ascii=False),
        )

    def _say_no_lists(self, kinds: set[str]) -> None:
        for kind in sorted(kinds):
            text = LISTS_TEXT.format(kind=kind, opened=self._opened)
            self._page.set_resource_failed(kind, text)

    def _focus_field(self, name: str) -> None:
        editor = self._page.form.editor(name)
        if editor is None:
            return
        targets = editor.focus_widgets()
        (targets[0] if targets else editor).setFocus()

    def _on_page_changed(self) -> None:
        if self.active and self._page.script is not None:
            text = SCHEDULE_TEXT.format(opened=self._opened)
            self._page.set_schedule_state(False, text)

    def _on_page_values_changed(self, values: Any) -> None:
        if self.active:
            self._check(values)

    def _on_page_request_body_toggled(self, shown: bool) -> None:
        if self.active and shown:
            self._check(self._page.values())

    def _on_page_resources_needed(self, kinds: set[str]) -> None:
        if self.active and self.script is not None:
            self._say_no_lists(set(kinds))

    def _on_page_resource_reload(self, kind: str) -> None:
        if self.active and self.script is not None:
            self._say_no_lists({kind})


def _read(source: str, data: bytes) -> "tuple[Manifest, list[Problem]]":
    """The manifest and its linted problems (run in a worker thread).

    A file's scripts get its file: address as their engine, which the JSON
    body shows; an address is the engine itself.
    """
    from app.lint import lint_manifest
    from app.manifest import load_manifest

    engine = source if "://" in source else Path(source).as_uri()
    manifest = load_manifest(data, source=engine, engine_url=engine)
    return manifest, lint_manifest(data, source=source).problems


def _unusable(manifest: "Manifest") -> bool:
    """Whether the file gave no catalog at all (not JSON, no scripts list)."""
    errors = any(p.severity == "error" for p in manifest.problems)
    return errors and not manifest.scripts


def _summary(source: str, problems: "list[Problem]") -> str:
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    counts = f"{counted(errors, 'error')}, {counted(warnings, 'warning')}"
    return f"{_short(source)}: {counts}"


def _short(source: str) -> str:
    """A file by its name, an address whole."""
    return source if "://" in source else Path(source).name


def problem_place(pointer: str) -> tuple[int, str | None] | None:
    """(script index, field name or None) of a JSON pointer, if in a script.

    /scripts/2/parameters_schema/properties/min_idle/... names field
    min_idle of the third script.
    """
    parts = [_unescaped(p) for p in pointer.split("/")[1:]]
    if len(parts) < 2 or parts[0] != "scripts" or not parts[1].isdigit():
        return None
    index = int(parts[1])
    rest = parts[2:]
    if len(rest) >= 3 and rest[0] == "parameters_schema" and rest[1] == "properties":
        return index, rest[2]
    return index, None


def _unescaped(part: str) -> str:
    return part.replace("~1", "/").replace("~0", "~")


def _context() -> "FormContext":
    from app.form_start import FormContext

    # No gateway user: the form starts in UTC with no preferences.
    return FormContext()
