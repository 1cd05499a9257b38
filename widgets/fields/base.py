"""What every field editor of a report form has in common.

An editor shows one FieldSpec and gives back its value: EMPTY when the user
left it empty (an optional field is then left out of the payload), else the
JSON value. Editors do no validation: the controller checks values() and the
form shows the errors beside each field.

A value an editor's controls cannot show (a check box given "wrong", a list
given a value not among its choices) is never dropped: the editor keeps it
in a KeptValue, shown read-only in place of its controls and sent back
unchanged, so the error at the field names it. Change drops it and gives
the controls back.
"""

import copy
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QWidget

from app.forms import FieldSpec, FormContext
from app.recursion import ReferenceTargets
from widgets.plain_text import plain_label, tooltip

log = logging.getLogger(__name__)


class _Empty:
    """The value of a field the user left empty; never sent to the engine."""

    def __repr__(self) -> str:
        return "EMPTY"


EMPTY: Any = _Empty()
NOT_SET = "Not set"
ERROR_COLOR = "#c62828"
CHANGE = "Change"
KEPT_TIP = (
    "Kept as it was given: the field's choices cannot show it. Sent back "
    "unchanged; press Change to choose another value."
)


def hint_label(text: str = "", parent: QWidget | None = None) -> QLabel:
    """A small grey line of help under a control."""
    label = plain_label(text, parent)
    label.setWordWrap(True)
    font = label.font()
    font.setPointSizeF(max(font.pointSizeF() * 0.9, 7.0))
    label.setFont(font)
    palette = label.palette()
    dim = palette.color(QPalette.ColorRole.PlaceholderText)
    palette.setColor(QPalette.ColorRole.WindowText, dim)
    label.setPalette(palette)
    return label


def error_label(parent: QWidget | None = None) -> QLabel:
    """A red line for a field's error, empty while there is none.

    It always takes a line, error or not: a line that appeared and vanished
    while the user types would move every field below it, and a click aimed
    at one would land in another. A longer error wraps onto more lines.
    """
    label = plain_label(parent=parent)
    label.setWordWrap(True)
    font = label.font()
    font.setPointSizeF(max(font.pointSizeF() * 0.9, 7.0))
    label.setFont(font)
    label.setStyleSheet(f"color: {ERROR_COLOR};")
    label.setMinimumHeight(label.fontMetrics().lineSpacing())
    return label


@dataclass
class EditorEnv:
    """What an editor is built with: the user's context and the kind table.

    references follows the references a recursive schema leaves open
    (app/recursion.py); None when the form was given nothing to follow.
    """

    context: FormContext
    editors: Mapping[str, type["FieldEditor"]]
    references: ReferenceTargets | None = None


class KeptValue(QWidget):
    """A value its editor's controls cannot show, kept to be sent back.

    While it holds one it is shown read-only in place of the controls;
    Change drops it and shows the controls again.

    Signals: dropped(): the user pressed Change.
    """

    dropped = Signal()

    def __init__(self, controls: list[QWidget], parent: QWidget) -> None:
        super().__init__(parent)
        self._controls = controls
        self._value: Any = EMPTY
        self.line = QLineEdit(self)
        self.line.setReadOnly(True)
        self.line.setToolTip(tooltip(KEPT_TIP))
        self.change = QPushButton(CHANGE, self)
        self.change.setToolTip(tooltip("Drop this value and choose another"))

        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.line, 1)
        layout.addWidget(self.change)
        self.change.clicked.connect(self._on_change_clicked)
        self.setVisible(False)

    @property
    def holds(self) -> bool:
        return self._value is not EMPTY

    @property
    def value(self) -> Any:
        """The kept value (a copy), or EMPTY."""
        return copy.deepcopy(self._value)

    def keep(self, value: Any) -> None:
        self._value = copy.deepcopy(value)
        self.line.setText(json.dumps(value, ensure_ascii=False))
        self.line.setCursorPosition(0)
        self._show(kept=True)
        # Tab reaches the kept value where it reached the (hidden) controls.
        if self._controls:
            QWidget.setTabOrder(self._controls[-1], self.line)
            QWidget.setTabOrder(self.line, self.change)

    def drop(self) -> None:
        self._value = EMPTY
        self.line.clear()
        self._show(kept=False)

    def focus_widgets(self) -> list[QWidget]:
        return [self.line, self.change]

    def _show(self, kept: bool) -> None:
        self.setVisible(kept)
        for control in self._controls:
            control.setVisible(not kept)

    def _on_change_clicked(self) -> None:
        self.drop()
        if self._controls:
            self._controls[0].setFocus()
        self.dropped.emit()


class FieldEditor(QWidget):
    """Base of the editors of one field.

    Signals:
        changed(): the value changed, by the user or by set_value.
        reload_requested(str): the user asks for a resource list again
            ("vehicles") after it failed to load.
    """

    changed = Signal()
    reload_requested = Signal(str)
    # An editor that shows its own title (a group box) takes a whole row.
    spans_row = False
    # Where an editor that has one keeps a value its controls cannot show.
    keeper: KeptValue | None = None

    def __init__(
        self, spec: FieldSpec, env: EditorEnv, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.spec = spec
        self.env = env
        self.setObjectName(f"field:{spec.path}")

    def value(self) -> Any:
        """The JSON value, or EMPTY when the field is left empty."""
        raise NotImplementedError

    def set_value(self, value: Any) -> None:
        """Show value; EMPTY (or None) empties the field where it can be."""
        raise NotImplementedError

    def input_problem(self) -> str:
        """What is wrong with what was typed, before any schema check.

        "" when the text reads as a value; else a phrase to follow the
        field's title ("is not a date and time: ..."). The form shows it at
        the field, and Run stays disabled while there is one.
        """
        return ""

    def focus_widgets(self) -> list[QWidget]:
        """The controls of this editor in tab order."""
        return [self]

    def describe(self, name: str, description: str) -> None:
        """Give the controls an accessible name and a tooltip."""
        for widget in self.focus_widgets():
            widget.setAccessibleName(name)
            if description:
                widget.setToolTip(tooltip(description))
                widget.setAccessibleDescription(description)
        if self.keeper is not None:
            self.keeper.line.setAccessibleName(name)
            self.keeper.change.setAccessibleName(f"Change {name}")

    def child_errors(self, errors: dict[str, str]) -> dict[str, str]:
        """Show errors of paths inside this field (clearing the others there);
        return those no nested field takes."""
        return errors

    def inner_editors(self) -> list["FieldEditor"]:
        """Editors nested inside this one (a group's fields), top to bottom."""
        return []

    def resources_needed(self) -> set[str]:
        return set()

    def set_resource_choices(self, resource: str, items: list[tuple[int, str]]) -> None:
        """Give a resource list (id, name) to the pickers that need it."""

    def set_resource_failed(self, resource: str, message: str) -> None:
        """Tell the pickers of a resource that its list could not be loaded."""

    def set_resource_loading(self, resource: str) -> None:
        """Tell the pickers of a resource that its list is being fetched."""

    def keeps_value(self) -> bool:
        """Whether the editor holds a value its controls cannot show."""
        return self.keeper is not None and self.keeper.holds

    def _reject(self, value: Any, why: str) -> None:
        log.warning("field %s cannot show %r: %s", self.spec.path, value, why)

    def _keep_value(self, value: Any, why: str) -> None:
        """Keep a value the controls cannot show, to send it back unchanged."""
        self._reject(value, why)
        if self.keeper is not None:
            self.keeper.keep(value)
