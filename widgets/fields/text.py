"""Editors typed as text: a line of text, and JSON for what has no editor yet."""

import json
from typing import Any

from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QLineEdit, QPlainTextEdit, QVBoxLayout, QWidget

from app.forms import FieldSpec
from widgets.fields.base import EMPTY, EditorEnv, FieldEditor, hint_label

JSON_LINES = 4


class TextEditor(FieldEditor):
    """A line of text; an empty line is an empty field."""

    def __init__(
        self, spec: FieldSpec, env: EditorEnv, parent: QWidget | None = None
    ) -> None:
        super().__init__(spec, env, parent)
        self.line = QLineEdit(self)
        self.line.setReadOnly(spec.read_only)
        max_length = spec.schema.get("maxLength")
        if isinstance(max_length, int) and max_length > 0:
            self.line.setMaxLength(max_length)
        examples = spec.schema.get("examples")
        if isinstance(examples, list) and examples:
            self.line.setPlaceholderText(f"e.g. {examples[0]}")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.line)
        self.line.textChanged.connect(self._on_line_text_changed)

    def value(self) -> Any:
        return self.line.text() or EMPTY

    def set_value(self, value: Any) -> None:
        if value is EMPTY or value is None:
            self.line.clear()
        elif isinstance(value, str):
            self.line.setText(value)
        else:
            self._reject(value, "not text")

    def focus_widgets(self) -> list[QWidget]:
        return [self.line]

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
            self.text.setPlainText(json.dumps(value, ensure_ascii=False))

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
        self.note.setText(
            problem or f"Typed as JSON: the form has no editor for {missing} yet."
        )


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
