"""A nested object: its fields in a titled group box.

A `$prefs` group also keeps its speed unit in step with its distance unit
(widgets/fields/units.py).
"""

from typing import Any

from PySide6.QtWidgets import QGroupBox, QVBoxLayout, QWidget

from app.forms import PREFS_PEG_TYPE, FieldSpec
from widgets.fields.base import EMPTY, EditorEnv, FieldEditor, hint_label
from widgets.fields.choices import ChoiceEditor
from widgets.fields.rows import REQUIRED_MARK, FieldRows
from widgets.fields.units import UnitsLink
from widgets.plain_text import button_text, tooltip


class ObjectEditor(FieldEditor):
    """The fields of an object, in a group box titled with the object's title."""

    spans_row = True

    def __init__(
        self, spec: FieldSpec, env: EditorEnv, parent: QWidget | None = None
    ) -> None:
        super().__init__(spec, env, parent)
        title = spec.title + (REQUIRED_MARK if spec.required else "")
        self.box = QGroupBox(button_text(title), self)
        self.box.setEnabled(not spec.read_only)
        inner = QVBoxLayout(self.box)
        if spec.description:
            inner.addWidget(hint_label(spec.description, self.box))
        self.rows = FieldRows(spec.children, env, self.box)
        inner.addWidget(self.rows)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.box)
        self.rows.changed.connect(self._on_rows_changed)
        self.units = self._link_units() if spec.peg_type == PREFS_PEG_TYPE else None

    def value(self) -> Any:
        values = self.rows.values()
        # A required group is sent even if empty, so each missing field is named.
        return values if values or self.spec.required else EMPTY

    def set_value(self, value: Any) -> None:
        if value is EMPTY or value is None:
            self.rows.set_values({})
        elif isinstance(value, dict):
            self.rows.set_values(value)
        else:
            self._reject(value, "not a group of values")

    def focus_widgets(self) -> list[QWidget]:
        return self.rows.focus_chain()

    def describe(self, name: str, description: str) -> None:
        self.box.setAccessibleName(name)
        if description:
            self.box.setToolTip(tooltip(description))

    def child_errors(self, errors: dict[str, str]) -> dict[str, str]:
        return self.rows.show_errors(errors)

    def inner_editors(self) -> list[FieldEditor]:
        return list(self.rows.editors())

    def _link_units(self) -> UnitsLink | None:
        editors = {row.spec.name: row.editor for row in self.rows.rows}
        distance, speed = editors.get("distance"), editors.get("speed")
        if isinstance(distance, ChoiceEditor) and isinstance(speed, ChoiceEditor):
            return UnitsLink(distance, speed, self)
        return None

    def _on_rows_changed(self) -> None:
        self.changed.emit()
