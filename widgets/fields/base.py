"""What every field editor of a report form has in common.

An editor shows one FieldSpec and gives back its value: EMPTY when the user
left it empty (an optional field is then left out of the payload), else the
JSON value. Editors do no validation: the controller checks values() and the
form shows the errors beside each field.
"""

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QLabel, QWidget

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

    def _reject(self, value: Any, why: str) -> None:
        log.warning("field %s cannot show %r: %s", self.spec.path, value, why)
