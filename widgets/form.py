"""The parameter form of a report, generated from its JSON Schema.

The form shows one editor per schema property (see widgets/fields/), gives
back the JSON payload with values(), and shows at each field the errors the
controller found with app.validation.field_errors. It does no I/O: the
gateway's lists of vehicles, groups, ... are handed to it when they arrive.

Keys the schema has no field for are kept in an "Other values" row (see
widgets/fields/other_values.py). A schema whose value is not an object (a
list, a text) is one field for the whole value, at path "".
"""

import copy
import itertools
import logging
import weakref
from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QScrollArea, QVBoxLayout, QWidget

from app.display_text import MESSAGE_LIMIT, MESSAGE_LINES, clipped
from app.form_conditions import form_names
from app.forms import (
    CUSTOM_PERIOD,
    DEFAULT_PERIOD,
    TZ_PEG_TYPE,
    FieldSpec,
    FormContext,
    FormState,
    form_fields,
    initial_values,
    root_field,
)
from app.manifest import is_object_form
from app.plurals import counted
from app.recursion import ReferenceTargets
from app.schema_merge import form_note
from widgets.fields import EDITORS, EditorEnv, FieldEditor
from widgets.fields.base import EMPTY, ERROR_COLOR
from widgets.fields.dates import DateTimeEditor
from widgets.fields.logic_rows import LiveRows, rows_for, start_rows
from widgets.fields.other_values import OtherValues
from widgets.fields.period import PeriodLink
from widgets.fields.rows import FieldRow, FieldRows
from widgets.plain_text import plain_label

log = logging.getLogger(__name__)

ResourceItems = list[tuple[int, str]]


class ReportForm(QWidget):
    """A report's parameters as a form.

    Signals:
        values_changed(dict): after any edit, with values(); also once after
            set_schema and set_values. Sent as a Python object: Qt's own
            map would change whole numbers beyond 64 bits.
        resource_reload_requested(str): the user asks again for a resource
            list that failed to load ("vehicles").
        resources_needed_changed(set): fields built since set_schema (a
            condition met, a variant chosen, a row added) need resource
            lists that no field needed before; the set holds those lists.
    """

    values_changed = Signal(object)
    resource_reload_requested = Signal(str)
    resources_needed_changed = Signal(object)

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        editors: Mapping[str, type[FieldEditor]] | None = None,
    ) -> None:
        super().__init__(parent)
        self._editors = editors if editors is not None else EDITORS
        self._context = FormContext()
        self._specs: list[FieldSpec] = []
        # Names the form may send, fields shown by conditions included.
        self._names: set[str] = set()
        self._references: ReferenceTargets | None = None
        # What the form must say about its schema itself (an allOf not merged).
        self._note = ""
        self._resource_choices: dict[str, ResourceItems] = {}
        # Lists that could not be loaded: pickers built later say so too.
        self._resource_failures: dict[str, str] = {}
        self._needed: set[str] = set()
        self._adopted: weakref.WeakSet[FieldEditor] = weakref.WeakSet()
        self._errors: dict[str, str] = {}
        self._quiet = False
        # A field changed while the form was quiet: one pass when it is not.
        self._changed_quietly = False
        self.period: PeriodLink | None = None
        # The whole value is one field (a schema that is not an object).
        self._whole_field = False
        # What the value of an object form would not be unless the user
        # edits it: something given that is not an object, kept as given.
        self._given_whole: Any = EMPTY

        # Errors of the form as a whole, or of no field shown, go up here.
        # TODO(forms): unlike a field's error line, this one appears and goes,
        # moving the whole form down by its height; it comes from choices
        # (a needed vehicle or group), not from typing, but still moves
        # what is under the mouse.
        self.message = plain_label(parent=self)
        self.message.setWordWrap(True)
        self.message.setStyleSheet(f"color: {ERROR_COLOR};")
        self.message.setAccessibleName("Form errors")
        self.message.setContentsMargins(9, 6, 9, 0)
        self.message.hide()

        # A report's description, above its fields: it scrolls away with
        # them, leaving the room to the fields on a small screen.
        self.intro = plain_label()
        self.intro.setObjectName("reportDescription")
        self.intro.setWordWrap(True)
        self.intro.hide()

        self.rows = FieldRows([], self._env())
        self.other = OtherValues({}, "")
        content = QWidget()
        self._content = QVBoxLayout(content)
        self._content.setContentsMargins(0, 0, 6, 0)
        self._content.setSpacing(10)
        self._content.addWidget(self.intro)
        self._content.addWidget(self.rows)
        self._content.addWidget(self.other)
        self._content.addStretch(1)

        self.scroll_area = QScrollArea(self)
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        # Tab goes from field to field; the area itself is no stop.
        self.scroll_area.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.scroll_area.setWidget(content)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.message)
        layout.addWidget(self.scroll_area, 1)

    def set_schema(
        self, schema: dict[str, Any], *, context: FormContext | None = None
    ) -> None:
        """Rebuild the fields for a resolved schema and fill in their defaults."""
        self._context = context if context is not None else FormContext()
        self._whole_field = not is_object_form(schema)
        self._given_whole = EMPTY
        if self._whole_field:
            self._specs = [root_field(schema)]
            self._names = {""}
        else:
            self._specs = form_fields(schema)
            self._names = form_names(schema)
        self._note = form_note(schema)
        self._references = ReferenceTargets(schema)

        self._quiet = True
        try:
            old = self.rows
            if self._whole_field:
                # TODO(forms): the items of a list that is the whole value
                # have paths "/0", its errors "0": they show above the form,
                # not at their rows.
                self.rows = FieldRows(self._specs, self._env())
            else:
                self.rows = rows_for(schema, self._specs, "", self._env())
            self._content.replaceWidget(old, self.rows)
            old.hide()
            old.deleteLater()
            self._replace_other(schema)

            # A new form is read from its top, not where the last one was left.
            self.scroll_area.verticalScrollBar().setValue(0)
            self.scroll_area.horizontalScrollBar().setValue(0)
            start_rows(self.rows, initial_values(self._specs, context))
            self.period = self._link_period()
            for resource, items in self._resource_choices.items():
                self._give_choices(resource, items)
            self._chain_tabs()
            self._errors = {}
            self._show_message(self._note)
            self.rows.changed.connect(self._on_rows_changed)
            if isinstance(self.rows, LiveRows):
                self.rows.rebuilt.connect(self._on_rows_rebuilt)
            for editor in self.rows.editors():
                editor.reload_requested.connect(self.resource_reload_requested)
            self._adopted = weakref.WeakSet(self.rows.editors())
            self._needed = self.resources_needed()
        finally:
            self._quiet = False
            self._changed_quietly = False
        log.debug("form built: %s", counted(len(self._specs), "field"))
        self._emit()

    def set_intro(self, text: str) -> None:
        """A line or two of description above the fields ("" for none)."""
        self.intro.setText(text)
        self.intro.setVisible(bool(text))

    def specs(self) -> list[FieldSpec]:
        return list(self._specs)

    def editor(self, path: str) -> FieldEditor | None:
        """The editor of a field, by path ("min_idle", "prefs/distance")."""
        return next((e for e in self.rows.editors() if e.spec.path == path), None)

    def values(self) -> Any:
        """The JSON payload: only fields with a value; empty optional ones left out.

        Keys of no field come back from the Other values row. A form of one
        field for the whole value gives that value; empty, it is "" for text
        and null for anything else (there is no leaving the value out).
        """
        if self._whole_field:
            value = self.rows.values().get("", EMPTY)
            if value is EMPTY:
                return "" if self._specs[0].schema.get("type") == "string" else None
            return value
        if self._given_whole is not EMPTY:
            return copy.deepcopy(self._given_whole)
        return {**self.other.value(), **self.rows.values()}

    def set_values(self, values: Any) -> None:
        """Show exactly these values; fields not among them are emptied.

        A required date-time cannot be empty: without a value it keeps its
        own. Keys of no field go to the Other values row; a value that is
        not an object, given to a form of fields, is kept and given back as
        it is until a field is edited (its error is shown above the fields).
        """
        self._quiet = True
        try:
            if self._whole_field:
                self.rows.set_values({"": values})
            elif isinstance(values, dict):
                self._given_whole = EMPTY
                self.rows.set_values(values)
                self.other.set_value(
                    {k: v for k, v in values.items() if k not in self._names}
                )
            else:
                log.warning("the form's values are not an object; kept as given")
                self.rows.set_values({})
                self.other.set_value({})
                self._given_whole = copy.deepcopy(values)
        finally:
            self._quiet = False
        if self._changed_quietly:
            self._changed_quietly = False
            self._follow_fields()
        self._emit()

    def state(self) -> FormState:
        """The values and the period choice, to restore() later."""
        period = self.period.period() if self.period is not None else None
        return FormState(values=self.values(), period=period)

    def restore(self, state: FormState) -> None:
        """Show a state kept earlier; fields the form no longer has are dropped.

        A quick period (Last month, ...) is chosen again, so it is computed
        for today; a custom one keeps its dates.
        """
        names, values = self._names, state.values
        if isinstance(values, dict) and not self._whole_field:
            # Keys of no field are the user's too where the schema allows them.
            kept = self.other.wanted
            values = {k: v for k, v in values.items() if k in names or kept}
        self.set_values(values)
        if self.period is not None and state.period not in (None, CUSTOM_PERIOD):
            self.period.choose(str(state.period))

    def set_errors(self, errors: dict[str, str]) -> None:
        """Show each message at its field; "" and unknown paths go on top.

        A field whose text cannot be read shows that (input_problems())
        rather than what the schema says of it.
        """
        self._errors = dict(errors)
        left = self.other.show_errors(self.rows.show_errors(errors))
        lines = [self._note] if self._note else []
        lines += [left.pop("")] if "" in left else []
        lines += [f"{path}: {message}" for path, message in sorted(left.items())]
        self._show_message("\n".join(lines))

    def input_problems(self) -> dict[str, str]:
        """{field path: problem} of the fields whose text is not a value."""
        problems = {
            editor.spec.path: problem
            for editor in self.rows.editors()
            if (problem := editor.input_problem())
        }
        if problem := self.other.input_problem():
            problems.setdefault("", f"Other values {problem}")
        return problems

    def set_resource_choices(self, resource: str, items: ResourceItems) -> None:
        """Give the pickers of a resource its (id, name) list.

        The list is kept, so a form rebuilt for another report shows it at
        once; call clear_resource_choices() when the gateway changes.
        """
        self._resource_choices[resource] = list(items)
        self._resource_failures.pop(resource, None)
        self._give_choices(resource, self._resource_choices[resource])

    def set_resource_failed(self, resource: str, message: str) -> None:
        """Tell the pickers of a resource that its list could not be had."""
        self._resource_choices.pop(resource, None)
        self._resource_failures[resource] = message
        for editor in self.rows.editors():
            editor.set_resource_failed(resource, message)

    def set_resource_loading(self, resource: str) -> None:
        """Tell the pickers of a resource that its list is on its way again."""
        self._resource_failures.pop(resource, None)
        for editor in self.rows.editors():
            editor.set_resource_loading(resource)

    def clear_resource_choices(self) -> None:
        """Forget the resource lists given so far (e.g. on signing out)."""
        self._resource_choices.clear()
        self._resource_failures.clear()

    def resources_needed(self) -> set[str]:
        """The resources the current form shows pickers for."""
        needed: set[str] = set()
        for editor in self.rows.editors():
            needed |= editor.resources_needed()
        return needed

    def _env(self) -> EditorEnv:
        return EditorEnv(self._context, self._editors, self._references)

    def _give_choices(self, resource: str, items: ResourceItems) -> None:
        for editor in self.rows.editors():
            editor.set_resource_choices(resource, items)

    def _link_period(self, period: str | None = None) -> PeriodLink | None:
        """A period choice above `from`/`to` when the form has both.

        period: the choice to start from (one made before the fields were
        built again); else Custom for written defaults, else the default.
        """
        ends = self._period_ends()
        if ends is None:
            return None

        (start_row, start), (end_row, end) = ends
        link = PeriodLink(start, end, self._zone, self._context, self.rows)
        first = min(start_row, end_row, key=self.rows.rows.index)
        self.rows.insert_before(first.spec.path, "Period", link.combo)

        written = start_row.spec.has_default or end_row.spec.has_default
        link.choose(period or (CUSTOM_PERIOD if written else DEFAULT_PERIOD))
        for row in self.rows.rows:
            if row.spec.peg_type == TZ_PEG_TYPE:
                link.follow_zone(row.editor)
        return link

    def _period_ends(
        self,
    ) -> tuple[tuple[FieldRow, DateTimeEditor], tuple[FieldRow, DateTimeEditor]] | None:
        """The rows and editors of `from` and `to`, if the form has both."""
        ends: dict[str, tuple[FieldRow, DateTimeEditor]] = {}
        for row in self.rows.rows:
            if isinstance(row.editor, DateTimeEditor) and row.spec.peg_type:
                ends.setdefault(row.spec.peg_type, (row, row.editor))
        if "$from" not in ends or "$to" not in ends:
            return None
        return ends["$from"], ends["$to"]

    def _on_rows_rebuilt(self) -> None:
        """Fields a condition built again are linked to the period choice
        again, which keeps what was chosen."""
        link, ends = self.period, self._period_ends()
        zones = [r.editor for r in self.rows.rows if r.spec.peg_type == TZ_PEG_TYPE]
        if link is not None and ends is not None:
            same = (link.start, link.end) == (ends[0][1], ends[1][1])
            if same and link.zones == zones:
                return

        chosen = link.period() if link is not None else None
        if link is not None:
            link.unlink()
            if isinstance(self.rows, LiveRows):
                self.rows.remove_before(link.combo)
            link.deleteLater()
        self.period = self._link_period(chosen)
        log.debug("the period choice follows the rebuilt fields")
        self._chain_tabs()

    def _zone(self) -> str:
        """The report's time zone: its `$tz` field, else the user's."""
        for row in self.rows.rows:
            value = row.editor.value()
            if row.spec.peg_type == TZ_PEG_TYPE and isinstance(value, str):
                return value
        return self._context.tz

    def _replace_other(self, schema: dict[str, Any]) -> None:
        """A new Other values row for the keys of no field of schema."""
        old = self.other
        self.other = OtherValues({} if self._whole_field else schema, "")
        self._content.replaceWidget(old, self.other)
        old.hide()
        old.deleteLater()
        self.other.changed.connect(self._on_rows_changed)

    def _chain_tabs(self) -> None:
        chain = self.rows.focus_chain() + self.other.focus_widgets()
        for before, after in itertools.pairwise(chain):
            QWidget.setTabOrder(before, after)

    def _show_message(self, text: str) -> None:
        self.message.setText(clipped(text, MESSAGE_LIMIT, lines=MESSAGE_LINES))
        self.message.setVisible(bool(text))

    def _adopt_new_editors(self) -> None:
        """Editors built since set_schema (a condition met, a variant chosen,
        an Add pressed) get the lists, failures and Retry link the others got.

        A list none of the fields needed before is asked for with
        resources_needed_changed: its picker would say Loading forever.
        """
        new = False
        for editor in self.rows.editors():
            if editor in self._adopted:
                continue
            new = True
            self._adopted.add(editor)
            editor.reload_requested.connect(self.resource_reload_requested)
            for resource, items in self._resource_choices.items():
                editor.set_resource_choices(resource, items)
            for resource, message in self._resource_failures.items():
                editor.set_resource_failed(resource, message)
        if not new:
            return

        needed = self.resources_needed()
        added = needed - self._needed
        self._needed = needed
        if added:
            log.debug("the form now needs %s", ", ".join(sorted(added)))
            self.resources_needed_changed.emit(added)

    def _on_rows_changed(self) -> None:
        if self._quiet:
            # Values being loaded change every field: each change re-showing
            # every error would make loading N fields take N*N steps.
            self._changed_quietly = True
            return

        # An edit makes the form's value its fields' again.
        self._given_whole = EMPTY
        self._follow_fields()
        self._emit()

    def _follow_fields(self) -> None:
        """New editors get their lists; errors and unreadable texts show."""
        self._adopt_new_editors()
        # Typing shows at once whether the text can be read, with or
        # without a controller checking the values.
        self.set_errors(self._errors)

    def _emit(self) -> None:
        if not self._quiet:
            self.values_changed.emit(self.values())
