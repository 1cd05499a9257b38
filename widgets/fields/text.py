"""Editors typed as text: a line of text, and JSON for what has no editor yet.

A text field has no hard length limit: a value longer than maxLength, given
to the form, would be cut without a word; the error under the field says
so instead, as the user types. A value that is not text (a number, from a
kept form or a JSON body) is shown as JSON and given back as it was while
its text is left as shown.
"""

import json
from typing import Any

from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QLineEdit, QPlainTextEdit, QVBoxLayout, QWidget

from app.form_scalars import author_hint, placeholder
from app.forms import FieldSpec
from widgets.fields.base import EMPTY, EditorEnv, FieldEditor, hint_label
from widgets.plain_text import tooltip

JSON_LINES = 4
# Characters that Qt's plain text box does not give back as they were set.
_CHANGED_BY_QT = ("\u00a0", "\u2028", "\u2029")


class TextEditor(FieldEditor):
    """A line of text; an empty line is an empty field."""

    def __init__(
        self, spec: FieldSpec, env: EditorEnv, parent: QWidget | None = None
    ) -> None:
        super().__init__(spec, env, parent)
        self.line = QLineEdit(self)
        self.line.setReadOnly(spec.read_only)
        self.line.setPlaceholderText(placeholder(spec.schema))
        # A value that is not text, and the text showing it.
        self._kept: tuple[str, Any] | None = None

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.line)
        self.line.textChanged.connect(self._on_line_text_changed)

    def value(self) -> Any:
        text = self.line.text()
        if self._kept is not None and text == self._kept[0]:
            return self._kept[1]
        return text or EMPTY

    def set_value(self, value: Any) -> None:
        self._kept = None
        if value is EMPTY or value is None:
            self.line.clear()
        elif isinstance(value, str):
            self.line.setText(value)
        else:
            shown = json.dumps(value, ensure_ascii=False)
            self._kept = (shown, value)
            self.line.setText(shown)

    def focus_widgets(self) -> list[QWidget]:
        return [self.line]

    def describe(self, name: str, description: str) -> None:
        super().describe(name, description)
        # Authors see the rule itself in the tooltip; users read its error.
        hint = author_hint(self.spec.schema)
        if hint:
            both = [text for text in (description, hint) if text]
            self.line.setToolTip(tooltip("\n".join(both)))

    def _on_line_text_changed(self, _text: str) -> None:
        self.changed.emit()


class JsonEditor(FieldEditor):
    """JSON typed by hand, for fields the form has no editor for yet."""

    def __init__(
        self, spec: FieldSpec, env: EditorEnv, parent: QWidget | None = None
    ) -> None:
        super().__init__(spec, env, parent)
        self.text = QPlainTextEdit(self)
        self.text.setTabChangesFocus(True)
        self.text.setReadOnly(spec.read_only)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.text.setPlaceholderText(json.dumps(sample_value(spec.schema)))
        lines = self.text.fontMetrics().lineSpacing() * JSON_LINES
        self.text.setFixedHeight(lines + 2 * self.text.frameWidth() + 8)

        # Says why this is JSON, and whether what is typed parses.
        self.note = hint_label(parent=self)
        self.reason = ""

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.text)
        layout.addWidget(self.note)
        self.text.textChanged.connect(self._on_text_changed)
        self._show_note()

    def value(self) -> Any:
        raw = self.text.toPlainText().strip()
        if not raw:
            return EMPTY
        try:
            return json.loads(raw)
        except json.JSONDecodeError:
            # Sent as typed, so validation names the problem at this field.
            return raw

    def set_value(self, value: Any) -> None:
        if value is EMPTY or value is None:
            self.text.clear()
        else:
            self.text.setPlainText(json_text(value))

    def focus_widgets(self) -> list[QWidget]:
        return [self.text]

    def _on_text_changed(self) -> None:
        self._show_note()
        self.changed.emit()

    def _show_note(self) -> None:
        raw = self.text.toPlainText().strip()
        problem = ""
        if raw:
            try:
                json.loads(raw)
            except json.JSONDecodeError as exc:
                problem = f"Not valid JSON yet: {exc.msg} (column {exc.colno})."
        missing = self.spec.unsupported or "this field"
        why = self.reason or f"Typed as JSON: the form has no editor for {missing} yet."
        self.note.setText(problem or why)

    def set_reason(self, text: str) -> None:
        """Say why this field is typed as JSON, in place of the usual words."""
        self.reason = text
        self._show_note()


def json_text(value: Any) -> str:
    """value as JSON to show in a text box, read back as the same value.

    Qt's text box gives a no-break space back as a plain space, and reads
    line and paragraph separators as line breaks, which a JSON string
    cannot hold: those are written as escapes.
    """
    text = json.dumps(value, ensure_ascii=False)
    for char in _CHANGED_BY_QT:
        text = text.replace(char, f"\\u{ord(char):04x}")
    return text


def sample_value(schema: Any) -> Any:
    """A small value of the schema's shape, shown as a hint of what to type."""
    if not isinstance(schema, dict):
        return None
    kind = schema.get("type")
    if "default" in schema:
        return schema["default"]
    if kind == "array":
        return [sample_value(schema.get("items"))]
    if kind == "object" or isinstance(schema.get("properties"), dict):
        properties = schema.get("properties") or {}
        return {name: sample_value(sub) for name, sub in properties.items()}
    if kind == "string":
        return "name@example.org" if schema.get("format") == "email" else ""
    samples = {"integer": 0, "number": 0, "boolean": False}
    return samples.get(kind) if isinstance(kind, str) else None
