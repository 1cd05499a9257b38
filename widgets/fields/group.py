"""A nested object: its fields in a titled group box.

Groups nest to any depth, and an object with conditions or variants keeps
its fields in step with its values (widgets/fields/logic_rows.py). An
optional group is left out of the payload until the user fills in one of
its fields: it shows its defaults meanwhile, and its required fields are
required only once it is used. "Leave out" makes it unused again.

Keys of the object that no field takes are kept in its Other values row
(widgets/fields/other_values.py), as at the top of the form.

A `$prefs` group also keeps its speed unit in step with its distance unit
(widgets/fields/units.py).
"""

from typing import Any

from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from app.form_conditions import form_names
from app.forms import PREFS_PEG_TYPE, FieldSpec, initial_values
from widgets.fields.base import EMPTY, EditorEnv, FieldEditor, hint_label
from widgets.fields.choices import ChoiceEditor
from widgets.fields.logic_rows import LiveRows, rows_for, start_rows
from widgets.fields.other_values import OtherValues
from widgets.fields.rows import REQUIRED_MARK
from widgets.fields.units import UnitsLink
from widgets.plain_text import button_text, tooltip

UNUSED_HINT = "Optional: left out until one of its fields is filled in."
LEAVE_OUT = "Leave out"


class ObjectEditor(FieldEditor):
    """The fields of an object, in a group box titled with the object's title."""

    spans_row = True

    def __init__(
        self, spec: FieldSpec, env: EditorEnv, parent: QWidget | None = None
    ) -> None:
        super().__init__(spec, env, parent)
        # A required group is always sent; an optional one once it is used.
        # `$prefs` is filled from the user's preferences: it is always used.
        self._optional = not spec.required and spec.peg_type != PREFS_PEG_TYPE
        self._used = not self._optional
        self._setting = False
        title = spec.title + (REQUIRED_MARK if spec.required else "")
        self.box = QGroupBox(button_text(title), self)
        self.box.setEnabled(not spec.read_only)
        inner = QVBoxLayout(self.box)
        if spec.description:
            inner.addWidget(hint_label(spec.description, self.box))
        self.state = hint_label(parent=self.box)
        self.leave_out = QPushButton(LEAVE_OUT, self.box)
        self.leave_out.setToolTip(tooltip("Send nothing for this group"))
        if self._optional:
            line = QHBoxLayout()
            line.addWidget(self.state, 1)
            line.addWidget(self.leave_out)
            inner.addLayout(line)
        else:
            self.state.hide()
            self.leave_out.hide()
        self.rows = rows_for(spec.schema, spec.children, f"{spec.path}/", env, self.box)
        inner.addWidget(self.rows)
        self._names = form_names(spec.schema)
        self.other = OtherValues(spec.schema, f"{spec.path}/", self.box)
        inner.addWidget(self.other)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.box)
        self.rows.changed.connect(self._on_rows_changed)
        self.other.changed.connect(self._on_rows_changed)
        self.leave_out.clicked.connect(self._on_leave_out_clicked)
        self.units = self._link_units() if spec.peg_type == PREFS_PEG_TYPE else None
        self._speed_chosen = False
        if spec.peg_type == PREFS_PEG_TYPE and isinstance(self.rows, LiveRows):
            self.rows.rebuilt.connect(self._on_rows_rebuilt)
        self._show_state()

    @property
    def used(self) -> bool:
        """Whether the group is sent (an optional one once it is filled in)."""
        return self._used

    def value(self) -> Any:
        if not self._used:
            return EMPTY
        values = {**self.other.value(), **self.rows.values()}
        # A required group is sent even if empty, so each missing field is named.
        return values if values or self.spec.required else EMPTY

    def set_value(self, value: Any) -> None:
        if value is not EMPTY and value is not None and not isinstance(value, dict):
            self._reject(value, "not a group of values")
            return

        self._setting = True
        try:
            others = {
                k: v
                for k, v in (value if isinstance(value, dict) else {}).items()
                if k not in self._names
            }
            self.other.set_value(others)
            if isinstance(value, dict) and (value or not self._optional):
                self._used = True
                self.rows.set_values(value)
            elif not self._optional:
                self.rows.set_values({})
            else:
                # Unused: its defaults show, and nothing is sent.
                self._used = False
                starting = initial_values(self.spec.children, self.env.context)
                start_rows(self.rows, starting)
        finally:
            self._setting = False
        self._show_state()
        self.changed.emit()

    def focus_widgets(self) -> list[QWidget]:
        chain = self.rows.focus_chain() + self.other.focus_widgets()
        return chain + ([self.leave_out] if self._optional else [])

    def describe(self, name: str, description: str) -> None:
        self.box.setAccessibleName(name)
        if description:
            self.box.setToolTip(tooltip(description))

    def child_errors(self, errors: dict[str, str]) -> dict[str, str]:
        return self.other.show_errors(self.rows.show_errors(errors))

    def input_problem(self) -> str:
        problem = self.other.input_problem()
        return f"Other values {problem}" if problem else ""

    def inner_editors(self) -> list[FieldEditor]:
        return list(self.rows.editors())

    def _link_units(self) -> UnitsLink | None:
        editors = {row.spec.name: row.editor for row in self.rows.rows}
        distance, speed = editors.get("distance"), editors.get("speed")
        if isinstance(distance, ChoiceEditor) and isinstance(speed, ChoiceEditor):
            return UnitsLink(distance, speed, self)
        return None

    def _on_rows_rebuilt(self) -> None:
        # A condition built the unit fields again: link the new ones, and
        # keep a speed the user chose as theirs.
        old = self.units
        editors = {row.spec.name: row.editor for row in self.rows.rows}
        shown = (editors.get("distance"), editors.get("speed"))
        if old is not None:
            if shown == (old.distance, old.speed):
                return
            self._speed_chosen = self._speed_chosen or old.speed_chosen
            old.unlink()
            old.deleteLater()
        self.units = self._link_units()
        if self.units is not None:
            self.units.speed_chosen = self._speed_chosen

    def _show_state(self) -> None:
        if not self._optional:
            return
        self.state.setText("" if self._used else UNUSED_HINT)
        self.leave_out.setEnabled(self._used)

    def _on_rows_changed(self) -> None:
        if self._setting:
            return
        if not self._used:
            self._used = True
            self._show_state()
        self.changed.emit()

    def _on_leave_out_clicked(self) -> None:
        self.set_value(EMPTY)
