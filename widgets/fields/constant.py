"""A field the schema fixes to one value (`const`): shown as text, still sent.

A drop-down with a single entry offers a choice that is not one. The value
is shown as read-only text instead ("speed", or the title the schema gives
it). A required constant is always sent; an optional one has a check box,
ticked when it is sent, as it starts with a default or comes with loaded
values. A value given to the form that is not the constant is kept and sent
back unchanged (KeptValue), so the error at the field names it.
"""

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QWidget

from app.form_arrays import same_json
from app.forms import FieldSpec
from widgets.fields.base import EMPTY, EditorEnv, FieldEditor, KeptValue
from widgets.plain_text import button_text, plain_label, tooltip

FIXED_TIP = "Fixed by the report: always this value."
OPTIONAL_TIP = "Fixed by the report; tick to send it."


class ConstantEditor(FieldEditor):
    """The one value a field may have, as text (a check box if optional)."""

    def __init__(
        self, spec: FieldSpec, env: EditorEnv, parent: QWidget | None = None
    ) -> None:
        super().__init__(spec, env, parent)
        self.constant = spec.schema.get("const")
        label = spec.choices[0][1] if spec.choices else str(self.constant)
        self.text: QLabel = plain_label(label, self)
        self.text.setObjectName("constantValue")
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.text.setToolTip(tooltip(FIXED_TIP))
        # An optional constant is sent only when ticked.
        self.box: QCheckBox | None = None
        if not spec.required:
            self.box = QCheckBox(button_text(label), self)
            self.box.setToolTip(tooltip(OPTIONAL_TIP))
            self.box.setEnabled(not spec.read_only)
            self.box.toggled.connect(self._on_box_toggled)
            self.text.hide()
        self.keeper = KeptValue([self.box or self.text], self)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.text)
        if self.box is not None:
            layout.addWidget(self.box)
        layout.addWidget(self.keeper, 1)
        layout.addStretch(1)
        self.keeper.dropped.connect(self.changed)

    def value(self) -> Any:
        # TODO(forms): loaded values that leave out a required constant come
        # back with it, so such broken data is not sent back exactly as given.
        if self.keeper is not None and self.keeper.holds:
            return self.keeper.value
        if self.box is None or self.box.isChecked():
            return self.constant
        return EMPTY

    def set_value(self, value: Any) -> None:
        assert self.keeper is not None
        self.keeper.drop()
        fixed = value is not EMPTY and same_json(value, self.constant)
        if self.box is not None:
            self.box.blockSignals(True)
            self.box.setChecked(fixed)
            self.box.blockSignals(False)
        if not fixed and value is not EMPTY:
            self._keep_value(value, "not the value the report fixes")
        self.changed.emit()

    def focus_widgets(self) -> list[QWidget]:
        assert self.keeper is not None
        if self.keeper.holds:
            return self.keeper.focus_widgets()
        return [self.box if self.box is not None else self.text]

    def _on_box_toggled(self, _checked: bool) -> None:
        self.changed.emit()
