"""The rows of a form: a label, an editor, its help line and its error line.

Used for the whole form and, inside a group box, for each nested object.
Errors are given by field path ("range/low"); a row shows the errors of its
own path and of paths inside it that no nested row takes ("bands/0/label").
"""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QFormLayout, QLabel, QVBoxLayout, QWidget

from app.display_text import MESSAGE_LIMIT, MESSAGE_LINES, clipped
from app.forms import JSON, FieldSpec, describe_subpath
from widgets.fields.base import EMPTY, EditorEnv, FieldEditor, error_label, hint_label
from widgets.fields.wheel import guard_wheel
from widgets.plain_text import button_text, plain_label, tooltip

REQUIRED_MARK = " *"
# Longer titles wrap onto a second line instead of widening the form.
LABEL_MAX_WIDTH = 190
# Between a field's editor, its help line and its error line.
CELL_SPACING = 2


@dataclass
class FieldRow:
    """What one field shows in the form."""

    spec: FieldSpec
    editor: FieldEditor
    label: QLabel | None
    # The editor, its help line, and its error line (or the room kept for it).
    column: QVBoxLayout
    # Controls shown in a row of their own just above this one (the period).
    before: list[QWidget]
    _error: QLabel | None = None

    @property
    def error(self) -> QLabel:
        """The red line under the field, made when first needed.

        Most fields never show an error: until one does, an empty space
        of the line's height holds its place, so nothing below moves when
        the line comes (and a large form is built faster).
        """
        if self._error is None:
            cell = self.column.parentWidget()
            self._error = error_label(cell)
            self._error.setAccessibleName(f"{self.spec.title} error")
            # The kept space is the column's last item.
            self.column.takeAt(self.column.count() - 1)
            self.column.addWidget(self._error)
            self._error.show()
        return self._error

    def show_error(self, message: str) -> None:
        # Only the text changes: the line is kept, so nothing below moves.
        message = clipped(message, MESSAGE_LIMIT, lines=MESSAGE_LINES)
        if message or self._error is not None:
            self.error.setText(message)
        if self.editor.spans_row:
            return
        for widget in self.editor.focus_widgets():
            widget.setAccessibleDescription(message or self.spec.description)


class FieldRows(QWidget):
    """A QFormLayout of fields, built from their specs.

    Signals: changed(): any field's value changed.
    """

    changed = Signal()

    def __init__(
        self, specs: list[FieldSpec], env: EditorEnv, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.env = env
        self.layout_ = QFormLayout(self)
        self.layout_.setLabelAlignment(
            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop
        )
        self.layout_.setFieldGrowthPolicy(
            QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow
        )
        # In a narrow window a field goes under its label, not off the side.
        self.layout_.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.layout_.setHorizontalSpacing(12)
        # The error line kept under each field (see error_label) is most of
        # the room between two fields.
        self.layout_.setVerticalSpacing(4)
        self._error_space = error_space(self)
        self.rows = [self._add_row(spec) for spec in specs]

    def _add_row(self, spec: FieldSpec) -> FieldRow:
        editor_class = self.env.editors.get(spec.kind) or self.env.editors[JSON]
        editor = editor_class(spec, self.env)
        name = spec.title + (" (required)" if spec.required else "")
        editor.describe(name, spec.description)
        if not editor.spans_row:
            # A group's own rows guard the editors inside it.
            guard_wheel(editor)

        # A layout, not a widget around the editor: a large form has
        # hundreds of rows, and each widget costs time to build.
        column = QVBoxLayout()
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(CELL_SPACING)
        column.addWidget(editor)
        if _helps(spec) and not editor.spans_row:
            column.addWidget(hint_label(spec.description, self))
        column.addSpacing(self._error_space)

        label = None
        if editor.spans_row:
            self.layout_.addRow(column)
        else:
            label = plain_label(_label_text(spec), self)
            # The text's own width: cheaper than a size hint, for every row.
            if label.fontMetrics().horizontalAdvance(label.text()) > LABEL_MAX_WIDTH:
                label.setWordWrap(True)
                label.setMaximumWidth(LABEL_MAX_WIDTH)
            label.setBuddy(editor.focus_widgets()[0])
            tip = [spec.description] if spec.description else []
            label.setToolTip(
                tooltip("\n".join([*tip, "Required"] if spec.required else tip))
            )
            self.layout_.addRow(label, column)
        editor.changed.connect(self._on_editor_changed)
        return FieldRow(spec, editor, label, column, [])

    def insert_before(self, path: str, label: str, widget: QWidget) -> None:
        """Put a row of its own (label, widget) just above a field's row."""
        row = self.row(path)
        if row is None:
            raise KeyError(path)
        # Each field is one layout row, each extra row sits just above its field.
        index = self.rows.index(row)
        position = index + sum(len(r.before) for r in self.rows[: index + 1])
        title = plain_label(button_text(label), self)
        title.setBuddy(widget)
        # Spaced like a field with its (empty) error line under it.
        cell = QWidget(self)
        column = QVBoxLayout(cell)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(CELL_SPACING)
        column.addWidget(widget)
        column.addSpacing(error_space(cell))
        self.layout_.insertRow(position, title, cell)
        guard_wheel(widget)
        row.before.append(widget)

    def row(self, path: str) -> FieldRow | None:
        return next((r for r in self.rows if r.spec.path == path), None)

    def values(self) -> dict[str, Any]:
        values = {}
        for row in self.rows:
            value = row.editor.value()
            if value is not EMPTY:
                values[row.spec.name] = value
        return values

    def set_values(self, values: dict[str, Any]) -> None:
        """Show exactly these values; a field not among them is emptied."""
        for row in self.rows:
            row.editor.set_value(values.get(row.spec.name, EMPTY))

    def show_errors(self, errors: dict[str, str]) -> dict[str, str]:
        """Show each error at its field; return those of no field here."""
        left = dict(errors)
        for row in self.rows:
            path = row.spec.path
            mine = {
                p: m for p, m in left.items() if p == path or p.startswith(f"{path}/")
            }
            for placed in mine:
                del left[placed]

            # What cannot be read at all says more than a schema rule on it.
            own = row.editor.input_problem() or mine.pop(path, "")
            mine.pop(path, None)
            inner = row.editor.child_errors(mine)
            lines = [own] if own else []
            lines += [
                f"{describe_subpath(p[len(path) + 1 :])}: {message}"
                for p, message in sorted(inner.items())
            ]
            row.show_error("\n".join(lines))
        return left

    def editors(self) -> Iterator[FieldEditor]:
        """Every editor here, nested ones included, top to bottom."""
        for row in self.rows:
            yield row.editor
            yield from row.editor.inner_editors()

    def focus_chain(self) -> list[QWidget]:
        """Every control in the order Tab should visit them."""
        chain: list[QWidget] = []
        for row in self.rows:
            chain += row.before
            chain += row.editor.focus_widgets()
        return chain

    def _on_editor_changed(self) -> None:
        self.changed.emit()


def error_space(cell: QWidget) -> int:
    """The room an empty error line (base.error_label) takes in a cell.

    A box layout puts no spacing next to a space it was given, so the
    space counts the spacing the line would have above it.
    """
    font = QFont(cell.font())
    font.setPointSizeF(max(font.pointSizeF() * 0.9, 7.0))
    return QFontMetrics(font).lineSpacing() + CELL_SPACING


def _label_text(spec: FieldSpec) -> str:
    # A label with a buddy reads "&" as a shortcut mark: keep it as text.
    title = button_text(spec.title)
    return title + (REQUIRED_MARK if spec.required else "")


def _helps(spec: FieldSpec) -> bool:
    # Some manifests repeat the name as the description: no line for that.
    said = spec.description.strip().lower()
    return bool(said) and said not in (spec.title.lower(), spec.name.lower())
