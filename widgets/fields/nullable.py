"""Fields that can be null: only null, or one type or null.

A field of type "null" has nothing to edit: it shows "(empty)", and sends
null when it is required or has a default (else it is left out, as an
untouched optional field is). A field of type ["string", "null"] is the
editor of its other type, with an "Empty (null)" box beside it: ticked,
the editor is off and the field sends null.
"""

import json
from typing import Any

from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLineEdit, QWidget

from app.forms import JSON, FieldSpec
from widgets.fields.base import EMPTY, EditorEnv, FieldEditor
from widgets.fields.wheel import guard_wheel
from widgets.plain_text import tooltip

EMPTY_TEXT = "(empty)"
NULL_BOX = "Empty (null)"


class NullEditor(FieldEditor):
    """A field that can only be null: nothing to edit, "(empty)" shown."""

    def __init__(
        self, spec: FieldSpec, env: EditorEnv, parent: QWidget | None = None
    ) -> None:
        super().__init__(spec, env, parent)
        # A value given to the form: null, or one that breaks the schema,
        # which is shown and sent back as it came.
        self._given: Any = EMPTY
        # A line that cannot be edited, as a read-only field's: Tab still
        # reaches it, so a screen reader tells the field is there.
        self.line = QLineEdit(self)
        self.line.setReadOnly(True)
        self.line.setPlaceholderText(EMPTY_TEXT)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.line, 1)

    def value(self) -> Any:
        if self._given is not EMPTY:
            return self._given
        return None if self.spec.required or self.spec.has_default else EMPTY

    def set_value(self, value: Any) -> None:
        self._given = value
        shown = ""
        if value is not EMPTY and value is not None:
            shown = json.dumps(value, ensure_ascii=False)
        self.line.setText(shown)
        self.changed.emit()

    def focus_widgets(self) -> list[QWidget]:
        return [self.line]


class NullableEditor(FieldEditor):
    """The editor of a field's one type, and a box that makes it null."""

    def __init__(
        self, spec: FieldSpec, env: EditorEnv, parent: QWidget | None = None
    ) -> None:
        super().__init__(spec, env, parent)
        inner = spec.item if spec.item is not None else spec
        editor_class = env.editors.get(inner.kind) or env.editors[JSON]
        self.inner = editor_class(inner, env, self)
        self.spans_row = self.inner.spans_row
        self.null_box = QCheckBox(NULL_BOX, self)
        self.null_box.setEnabled(not spec.read_only)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.inner, 1)
        layout.addWidget(self.null_box)
        if not self.inner.spans_row:
            guard_wheel(self.inner)
        self.inner.changed.connect(self._on_inner_changed)
        self.null_box.toggled.connect(self._on_null_box_toggled)

    def value(self) -> Any:
        return None if self.null_box.isChecked() else self.inner.value()

    def set_value(self, value: Any) -> None:
        # None here is a null given to the field, not an emptied one.
        self.null_box.setChecked(value is None)
        self.inner.set_value(EMPTY if value is None else value)

    def input_problem(self) -> str:
        return "" if self.null_box.isChecked() else self.inner.input_problem()

    def focus_widgets(self) -> list[QWidget]:
        return [*self.inner.focus_widgets(), self.null_box]

    def describe(self, name: str, description: str) -> None:
        self.inner.describe(name, description)
        self.null_box.setAccessibleName(f"{name}: empty (null)")
        self.null_box.setToolTip(tooltip(f"Tick to send {self.spec.title} as null"))

    def child_errors(self, errors: dict[str, str]) -> dict[str, str]:
        return self.inner.child_errors(errors)

    def inner_editors(self) -> list[FieldEditor]:
        return self.inner.inner_editors()

    def resources_needed(self) -> set[str]:
        return self.inner.resources_needed()

    def set_resource_choices(self, resource: str, items: list[tuple[int, str]]) -> None:
        self.inner.set_resource_choices(resource, items)

    def _on_inner_changed(self) -> None:
        self.changed.emit()

    def _on_null_box_toggled(self, checked: bool) -> None:
        self.inner.setEnabled(not checked)
        self.changed.emit()
