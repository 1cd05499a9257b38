"""The "Other values" row of an object: keys its form has no field for.

A schema may allow keys it does not name (additionalProperties other than
false, patternProperties, propertyNames), and a payload loaded into the
form may bring keys the schema forbids. Neither is dropped: they are shown
here as one JSON object, edited as text, and sent back with the fields'
values; an error about one of them is shown on this row.

The row is shown when the schema speaks of other keys, or once a payload
brings some; a plain object form (that writes none of those keywords)
does not show an empty one.
"""

import json
import logging
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QFormLayout, QPlainTextEdit, QVBoxLayout, QWidget

from app.display_text import MESSAGE_LIMIT, MESSAGE_LINES, clipped
from app.forms import describe_subpath
from widgets.fields.base import error_label, hint_label
from widgets.fields.text import json_text
from widgets.plain_text import plain_label, tooltip

log = logging.getLogger(__name__)

TITLE = "Other values"
LINES = 3
ALLOWED_HINT = "Keys the form has no field for, as a JSON object."
FORBIDDEN_HINT = (
    "Keys the schema does not allow, kept as they were given: remove them "
    "to send the report."
)
NOT_AN_OBJECT = 'must be a JSON object such as {"name": "value"}'
# What a schema writes when it lets an object have keys it does not name.
OTHER_KEY_KEYWORDS = ("additionalProperties", "patternProperties", "propertyNames")


def speaks_of_other_keys(schema: Any) -> bool:
    """Whether the schema allows (or describes) keys it does not name."""
    if not isinstance(schema, dict):
        return False
    extra = schema.get("additionalProperties")
    return (extra is not None and extra is not False) or any(
        keyword in schema for keyword in OTHER_KEY_KEYWORDS[1:]
    )


def forbids_other_keys(schema: Any) -> bool:
    return isinstance(schema, dict) and schema.get("additionalProperties") is False


class OtherValues(QWidget):
    """A row "Other values" with a JSON object, for the keys of no field.

    prefix is the path of the object's fields ("" at the root, "range/" in a
    group); errors of paths under one of the keys held here are shown here.

    Signals: changed(): the text changed (by the user).
    """

    changed = Signal()

    def __init__(self, schema: Any, prefix: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._prefix = prefix
        self._wanted = speaks_of_other_keys(schema)
        self._setting = False

        self.text = QPlainTextEdit(self)
        self.text.setTabChangesFocus(True)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.text.setPlaceholderText('{"name": "value"}')
        self.text.setAccessibleName(TITLE)
        self.text.setToolTip(tooltip(ALLOWED_HINT))
        lines = self.text.fontMetrics().lineSpacing() * LINES
        self.text.setFixedHeight(lines + 2 * self.text.frameWidth() + 8)
        hint = FORBIDDEN_HINT if forbids_other_keys(schema) else ALLOWED_HINT
        self.hint = hint_label(hint, self)
        self.error = error_label(self)
        self.error.setAccessibleName(f"{TITLE} error")

        cell = QWidget(self)
        column = QVBoxLayout(cell)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addWidget(self.text)
        column.addWidget(self.hint)
        column.addWidget(self.error)
        self.label = plain_label(TITLE, self)
        self.label.setBuddy(self.text)
        layout = QFormLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        layout.addRow(self.label, cell)

        self.text.textChanged.connect(self._on_text_changed)
        self.setVisible(self._wanted)

    @property
    def wanted(self) -> bool:
        """Whether the schema allows keys it does not name."""
        return self._wanted

    def value(self) -> dict[str, Any]:
        """The other keys and their values ({} when none, or not readable)."""
        parsed = self._parsed()
        return parsed if isinstance(parsed, dict) else {}

    def set_value(self, others: dict[str, Any]) -> None:
        """Show these keys (none: an empty box); the row shows once it has some."""
        self._setting = True
        try:
            if others:
                self.text.setPlainText(json_text(others))
                log.info(
                    "%s keys with no field kept: %s",
                    self._prefix or "the form's",
                    ", ".join(sorted(others)),
                )
            else:
                self.text.clear()
        finally:
            self._setting = False
        if others:
            self.setVisible(True)

    def input_problem(self) -> str:
        """What is wrong with the text before any schema check ("" if fine)."""
        if not self.text.toPlainText().strip():
            return ""
        parsed = self._parsed()
        if parsed is _UNREADABLE:
            return "is not valid JSON yet"
        return "" if isinstance(parsed, dict) else NOT_AN_OBJECT

    def show_errors(self, errors: dict[str, str]) -> dict[str, str]:
        """Show the errors of the keys held here; return the others."""
        held = set(self.value())
        left: dict[str, str] = {}
        lines = [f"{TITLE} {problem}"] if (problem := self.input_problem()) else []
        for path, message in sorted(errors.items()):
            inside = path[len(self._prefix) :] if path.startswith(self._prefix) else ""
            if inside.split("/")[0] in held:
                lines.append(f"{describe_subpath(inside)}: {message}")
            else:
                left[path] = message
        self.error.setText(
            clipped("\n".join(lines), MESSAGE_LIMIT, lines=MESSAGE_LINES)
        )
        if lines:
            self.setVisible(True)
        return left

    def focus_widgets(self) -> list[QWidget]:
        return [self.text]

    def _parsed(self) -> Any:
        raw = self.text.toPlainText().strip()
        if not raw:
            return {}
        try:
            return json.loads(raw)
        except json.JSONDecodeError:
            return _UNREADABLE

    def _on_text_changed(self) -> None:
        if not self._setting:
            self.changed.emit()


_UNREADABLE = object()
