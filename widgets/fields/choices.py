"""Editors that pick among given values: a check box, a list, several boxes."""

import functools
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QCompleter,
    QGridLayout,
    QHBoxLayout,
    QVBoxLayout,
    QWidget,
)

from app.forms import FieldSpec
from widgets.fields.base import EMPTY, NOT_SET, EditorEnv, FieldEditor, KeptValue
from widgets.plain_text import button_text, tooltip

# From this many choices on, the list can be searched by typing (time zones).
SEARCHABLE_FROM = 16
# A list is at least this many characters wide, not as wide as its longest
# choice: a long time zone name must not push the form wider than a window.
MIN_COMBO_CHARACTERS = 12
CHOOSE = "Choose…"
BOXES_PER_ROW = 4


class BooleanEditor(FieldEditor):
    """A check box. An optional one with no default is left out until used.

    A value that is not true or false is kept and sent back (KeptValue).
    """

    def __init__(
        self, spec: FieldSpec, env: EditorEnv, parent: QWidget | None = None
    ) -> None:
        super().__init__(spec, env, parent)
        self.box = QCheckBox(self)
        self.box.setEnabled(not spec.read_only)
        # Unticked already means false for a required field.
        self._used = spec.required
        self._setting = False
        self.keeper = KeptValue([self.box], self)
        self.keeper.change.setEnabled(not spec.read_only)

        # Not stretched, so a click beside the box does not look like a miss.
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.box)
        layout.addWidget(self.keeper, 1)
        layout.addStretch(1)
        self.box.toggled.connect(self._on_box_toggled)
        self.keeper.dropped.connect(self.changed)

    def value(self) -> Any:
        if self.keeper is not None and self.keeper.holds:
            return self.keeper.value
        return self.box.isChecked() if self._used else EMPTY

    def set_value(self, value: Any) -> None:
        assert self.keeper is not None
        self.keeper.drop()
        self._setting = True
        try:
            if value is EMPTY or value is None:
                self._used = self.spec.required
                self.box.setChecked(False)
            elif isinstance(value, bool):
                self._used = True
                self.box.setChecked(value)
            else:
                self._used = self.spec.required
                self.box.setChecked(False)
                self._keep_value(value, "not true or false")
        finally:
            self._setting = False
        self.changed.emit()

    def focus_widgets(self) -> list[QWidget]:
        assert self.keeper is not None
        return [self.box] if not self.keeper.holds else self.keeper.focus_widgets()

    def _on_box_toggled(self, _checked: bool) -> None:
        if not self._setting:
            self._used = True
        self.changed.emit()


class ChoiceEditor(FieldEditor):
    """A drop-down list of labels; long lists can be searched by typing."""

    def __init__(
        self, spec: FieldSpec, env: EditorEnv, parent: QWidget | None = None
    ) -> None:
        super().__init__(spec, env, parent)
        self._values = [value for value, _ in spec.choices]
        self.combo = QComboBox(self)
        self.combo.setEnabled(not spec.read_only)
        narrow_combo(self.combo)

        # A first entry for "nothing chosen", unless a required default exists.
        self._offset = 0 if (spec.required and spec.has_default) else 1
        if self._offset:
            self.combo.addItem(CHOOSE if spec.required else NOT_SET)
        self.combo.addItems([label for _, label in spec.choices])
        if len(self._values) >= SEARCHABLE_FROM:
            self._make_searchable()
        self.keeper = KeptValue([self.combo], self)
        self.keeper.change.setEnabled(not spec.read_only)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.combo)
        layout.addWidget(self.keeper)
        self.combo.currentIndexChanged.connect(self._on_combo_index_changed)
        self.keeper.dropped.connect(self.changed)

    @property
    def values(self) -> list[Any]:
        """The values offered, in order."""
        return list(self._values)

    def value(self) -> Any:
        if self.keeper is not None and self.keeper.holds:
            return self.keeper.value
        index = self.combo.currentIndex() - self._offset
        return self._values[index] if 0 <= index < len(self._values) else EMPTY

    def set_value(self, value: Any) -> None:
        assert self.keeper is not None
        self.keeper.drop()
        # null is a value to choose when it is offered, else an empty field.
        index = None if value is EMPTY else _index_of(self._values, value)
        if index is not None:
            self.combo.setCurrentIndex(index + self._offset)
        elif value is EMPTY or value is None:
            if self._offset:
                self.combo.setCurrentIndex(0)
        else:
            if self._offset:
                self.combo.setCurrentIndex(0)
            self._keep_value(value, "not one of the choices")
            self.changed.emit()

    def focus_widgets(self) -> list[QWidget]:
        assert self.keeper is not None
        return [self.combo] if not self.keeper.holds else self.keeper.focus_widgets()

    def _make_searchable(self) -> None:
        self.combo.setEditable(True)
        self.combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        completer, line = self.combo.completer(), self.combo.lineEdit()
        # setEditable(True) always makes both.
        assert completer is not None
        assert line is not None
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        line.setPlaceholderText("Type to search")
        line.editingFinished.connect(self._on_line_editing_finished)

    def _on_line_editing_finished(self) -> None:
        # Typed text that names a choice selects it; anything else is undone.
        typed = self.combo.currentText().strip()
        index = self.combo.findText(typed, Qt.MatchFlag.MatchFixedString)
        if index >= 0:
            self.combo.setCurrentIndex(index)
        self.combo.setEditText(self.combo.itemText(self.combo.currentIndex()))

    def _on_combo_index_changed(self, _index: int) -> None:
        self.changed.emit()


class MultiChoiceEditor(FieldEditor):
    """A check box per choice; the value lists the ticked ones.

    In the order given, then in the order ticked, so that a payload loaded
    into the form reads back the same. One the boxes cannot show (not a
    list, a value not offered, a repeat) is kept and sent back as given
    (KeptValue) until the user presses Change.
    """

    def __init__(
        self, spec: FieldSpec, env: EditorEnv, parent: QWidget | None = None
    ) -> None:
        super().__init__(spec, env, parent)
        self._values = [value for value, _ in spec.choices]
        # Indexes of the ticked boxes, in the order they were ticked.
        self._order: list[int] = []
        # An empty list was given: it is sent back as one, not left out.
        self._present = False
        self._setting = False
        # TODO(forms): a long list of choices makes a wall of boxes; from a
        # dozen on it should use a searchable list like the resource picker.
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        self.choices = QWidget(self)
        grid = QGridLayout(self.choices)
        grid.setContentsMargins(0, 0, 0, 0)
        self.boxes: list[QCheckBox] = []
        for index, (_, label) in enumerate(spec.choices):
            box = QCheckBox(button_text(label), self.choices)
            box.setEnabled(not spec.read_only)
            box.toggled.connect(functools.partial(self._on_box_toggled, index))
            grid.addWidget(box, index // BOXES_PER_ROW, index % BOXES_PER_ROW)
            self.boxes.append(box)
        grid.setColumnStretch(BOXES_PER_ROW, 1)
        self.keeper = KeptValue([self.choices], self)
        self.keeper.change.setEnabled(not spec.read_only)
        column.addWidget(self.choices)
        column.addWidget(self.keeper)
        self.keeper.dropped.connect(self.changed)

    def value(self) -> Any:
        if self.keeper is not None and self.keeper.holds:
            return self.keeper.value
        chosen = [self._values[index] for index in self._order]
        return chosen if chosen or self._present else EMPTY

    def set_value(self, value: Any) -> None:
        assert self.keeper is not None
        self.keeper.drop()
        empty = value is EMPTY or value is None
        wanted = value if isinstance(value, list) else []
        found = (_index_of(self._values, item) for item in wanted)
        order = list(dict.fromkeys(i for i in found if i is not None))

        self._setting = True
        try:
            for index, box in enumerate(self.boxes):
                box.setChecked(index in order)
        finally:
            self._setting = False
        self._order = order
        self._present = value == []

        if not (empty or isinstance(value, list)):
            self._keep_value(value, "not a list")
        elif isinstance(value, list) and len(order) != len(value):
            self._keep_value(value, "some values are not among the choices, or repeat")
        self.changed.emit()

    def focus_widgets(self) -> list[QWidget]:
        assert self.keeper is not None
        return (
            list(self.boxes) if not self.keeper.holds else self.keeper.focus_widgets()
        )

    def describe(self, name: str, description: str) -> None:
        labels = [label for _, label in self.spec.choices]
        for box, label in zip(self.boxes, labels, strict=True):
            box.setAccessibleName(f"{name}: {label}")
            if description:
                box.setToolTip(tooltip(description))
        assert self.keeper is not None
        self.keeper.line.setAccessibleName(name)
        self.keeper.change.setAccessibleName(f"Change {name}")

    def _on_box_toggled(self, index: int, checked: bool) -> None:
        if not self._setting:
            self._present = False
            if index in self._order:
                self._order.remove(index)
            if checked:
                self._order.append(index)
        self.changed.emit()


def narrow_combo(combo: QComboBox) -> None:
    """Let a combo box be narrower than its longest choice (it grows anyway)."""
    combo.setSizeAdjustPolicy(
        QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
    )
    combo.setMinimumContentsLength(MIN_COMBO_CHARACTERS)


def _index_of(values: list[Any], wanted: Any) -> int | None:
    """Where wanted is among values, compared as JSON: 1 is not true."""
    for index, value in enumerate(values):
        if value == wanted and _json_kind(value) == _json_kind(wanted):
            return index
    return None


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__
