"""A time of day (`format: time`), typed as text in one line.

The time is typed as 08:30:00, or loosely (8:30), and sent as hh:mm:ss; a
time given to the form in another ISO form (with an offset, or fractions
of a second) is sent exactly as given. Up and Down step the hour, minute
or second under the cursor. Text that is not a time is said under the
field and keeps Run disabled; an empty line is an empty field. A value
given that is not text is shown as JSON and given back as it came.
"""

import datetime as dt
import json
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QLineEdit, QVBoxLayout, QWidget

from app.form_scalars import TIME_EXAMPLE, placeholder, read_time, time_value
from app.forms import FieldSpec
from widgets.fields.base import EMPTY, EditorEnv, FieldEditor

# Where each part ends in "hh:mm:ss", so a cursor just after one steps it.
_PARTS = ((2, "hours"), (5, "minutes"), (8, "seconds"))


class TimeLine(QLineEdit):
    """A line for a time of day whose Up and Down keys step its parts."""

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt override)
        key = event.key()
        if key in (Qt.Key.Key_Up, Qt.Key.Key_Down) and not self.isReadOnly():
            self.step(1 if key == Qt.Key.Key_Up else -1)
        else:
            super().keyPressEvent(event)

    def step(self, steps: int) -> None:
        """Move the part under the cursor by steps, around midnight if need be."""
        moment = read_time(self.text())
        if moment is None:
            return
        cursor = self.cursorPosition()
        part = next((name for end, name in _PARTS if cursor <= end), "seconds")
        start = dt.datetime.combine(dt.date(2000, 1, 1), moment)
        moved = start + dt.timedelta(**{part: steps})
        self.setText(moved.timetz().isoformat(timespec="seconds"))
        self.setCursorPosition(cursor)


class TimeEditor(FieldEditor):
    """A time of day, sent as hh:mm:ss."""

    def __init__(
        self, spec: FieldSpec, env: EditorEnv, parent: QWidget | None = None
    ) -> None:
        super().__init__(spec, env, parent)
        self.line = TimeLine(self)
        self.line.setReadOnly(spec.read_only)
        self.line.setPlaceholderText(placeholder(spec.schema) or TIME_EXAMPLE)
        # A value that is not text, and the text showing it.
        self._kept: tuple[str, Any] | None = None

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.line)
        self.line.textChanged.connect(self._on_line_text_changed)
        self.line.editingFinished.connect(self._on_line_editing_finished)

    def value(self) -> Any:
        text = self.line.text().strip()
        if self._kept is not None and self.line.text() == self._kept[0]:
            return self._kept[1]
        if not text:
            return EMPTY
        # Text that is not a time is sent as typed; input_problem() says so.
        return time_value(text) or text

    def set_value(self, value: Any) -> None:
        self._kept = None
        if value is EMPTY or value is None:
            self.line.clear()
        elif isinstance(value, str):
            self.line.setText(value)
        else:
            shown = json.dumps(value, ensure_ascii=False, default=str)
            self._kept = (shown, value)
            self.line.setText(shown)

    def input_problem(self) -> str:
        text = self.line.text().strip()
        if not text or time_value(text) is not None:
            return ""
        return f"is not a time of day: type it like {TIME_EXAMPLE}"

    def focus_widgets(self) -> list[QWidget]:
        return [self.line]

    def _on_line_text_changed(self, _text: str) -> None:
        self.changed.emit()

    def _on_line_editing_finished(self) -> None:
        # A time typed loosely (8:5) is shown as it is sent (08:05:00).
        text = self.line.text().strip()
        sent = time_value(text)
        if sent is not None and sent != text:
            self.line.setText(sent)
