"""A list of values or of groups: rows to add, remove and move.

Each item is the editor of its kind (widgets/fields/__init__.py), built
from the list's item template (app/form_arrays.py), with Move up, Move down
and Remove beside it, and an Add button under the list; all are buttons,
so Tab reaches them and Space presses them. minItems and maxItems turn
Remove and Add off at the limits. Moving and removing move the values
between rows, not the rows: each row keeps its place, its index and its
path, so an error for "bands/1" lands on the second row.

An item left empty is sent as null: the list keeps its positions, and the
row says it is empty. A value the rows cannot show as given (not a list,
or an item of another type) is kept as JSON text, so it is sent back
exactly as it came, with a button to try the rows again.
"""

import dataclasses
import itertools
import logging
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.form_arrays import (
    MAX_ROWS,
    can_add,
    can_remove,
    item_at,
    resources_in,
    same_json,
)
from app.forms import JSON, FieldSpec, describe_subpath, initial_values
from widgets.fields.base import EMPTY, EditorEnv, FieldEditor, error_label, hint_label
from widgets.fields.rows import REQUIRED_MARK
from widgets.fields.text import JsonEditor
from widgets.fields.wheel import guard_wheel
from widgets.plain_text import button_text, tooltip

log = logging.getLogger(__name__)

EMPTY_ITEM = "is empty: fill it in or remove it"
NO_ITEMS = "No items."
KEPT_REASON = (
    "Shown as JSON: some of these values do not fit the list's rows. "
    "Correct them here, or press Edit as a list."
)
# How far back the tab chain is searched for the control before the list.
MAX_CHAIN_STEPS = 10_000


class _ItemRow(QWidget):
    """One item: its editor and error line, and its three buttons."""

    def __init__(self, editor: FieldEditor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editor = editor
        self.error = error_label(self)
        self.up = _tool_button("↑", self)
        self.down = _tool_button("↓", self)
        self.remove = _tool_button("✕", self)

        column = QVBoxLayout()
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addWidget(editor)
        column.addWidget(self.error)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(column, 1)
        for button in (self.up, self.down, self.remove):
            layout.addWidget(button, 0, Qt.AlignmentFlag.AlignTop)

    def buttons(self) -> list[QWidget]:
        return [self.up, self.down, self.remove]

    def name(self, list_title: str) -> None:
        """Give the buttons names that say which item they act on."""
        item = self.editor.spec.title
        self.up.setAccessibleName(f"Move {item} of {list_title} up")
        self.down.setAccessibleName(f"Move {item} of {list_title} down")
        self.remove.setAccessibleName(f"Remove {item} of {list_title}")
        self.up.setToolTip(tooltip(f"Move {item} up"))
        self.down.setToolTip(tooltip(f"Move {item} down"))
        self.remove.setToolTip(tooltip(f"Remove {item}"))


class ArrayEditor(FieldEditor):
    """A list of items of one kind, in a group box titled with the list's title."""

    spans_row = True

    def __init__(
        self, spec: FieldSpec, env: EditorEnv, parent: QWidget | None = None
    ) -> None:
        super().__init__(spec, env, parent)
        self.items: list[_ItemRow] = []
        # Whether the list is sent when it has no items ([] or left out).
        self._present = False
        # The value is shown as JSON text, not as rows.
        self.kept = False
        self._quiet = False
        self._resources: dict[str, list[tuple[int, str]]] = {}
        self._failures: dict[str, str] = {}

        title = spec.title + (REQUIRED_MARK if spec.required else "")
        self.box = QGroupBox(button_text(title), self)
        inner = QVBoxLayout(self.box)
        if spec.description:
            inner.addWidget(hint_label(spec.description, self.box))
        self.list_area = QWidget(self.box)
        self._list = QVBoxLayout(self.list_area)
        self._list.setContentsMargins(0, 0, 0, 0)
        inner.addWidget(self.list_area)
        self.empty_note = hint_label(NO_ITEMS, self.box)
        inner.addWidget(self.empty_note)

        item = spec.item.title if spec.item is not None else "item"
        self.add_button = QPushButton(button_text(f"Add {item.lower()}"), self.box)
        self.add_button.setAccessibleName(f"Add an item to {spec.title}")
        self.add_button.clicked.connect(self._on_add_clicked)
        bar = QHBoxLayout()
        bar.addWidget(self.add_button)
        bar.addStretch(1)
        self._bar = bar

        # Made the first time a value must be kept as JSON: most lists never are.
        self.json: JsonEditor | None = None
        self.to_list_button: QPushButton | None = None
        self._inner = inner
        self._name = spec.title
        inner.addLayout(bar)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.box)
        self._keep(False)

    # --- The value ----------------------------------------------------------

    def value(self) -> Any:
        if self.json is not None and self.kept:
            return self.json.value()
        values = [self._item_value(row) for row in self.items]
        return values if values or self._present else EMPTY

    def set_value(self, value: Any) -> None:
        self._quiet = True
        try:
            self._show(value)
        finally:
            self._quiet = False
        self.changed.emit()

    def _show(self, value: Any) -> None:
        self._keep(False)
        if value is EMPTY or value is None:
            self._resize(0)
            self._present = False
            return

        fits = isinstance(value, list) and len(value) <= MAX_ROWS
        if fits:
            self._resize(len(value))
            for row, item in zip(self.items, value, strict=True):
                # None stays None: an item that may be null shows it as such.
                row.editor.set_value(item)
            self._present = True
            fits = same_json(self.value(), value) and not any(
                row.editor.keeps_value() for row in self.items
            )
        if not fits:
            log.info("%s: a value its rows cannot show is kept as JSON", self.spec.path)
            self._resize(0)
            self._keep(True)
            self._json_editor().set_value(value)

    @staticmethod
    def _item_value(row: _ItemRow) -> Any:
        value = row.editor.value()
        return None if value is EMPTY else value

    # --- Rows ------------------------------------------------------------------

    def _resize(self, count: int) -> None:
        while len(self.items) > count:
            row = self.items.pop()
            self._list.removeWidget(row)
            row.hide()
            row.deleteLater()
        while len(self.items) < count:
            self._append_row()
        self._update_buttons()

    def _append_row(self) -> _ItemRow:
        spec = item_at(self.spec, len(self.items))
        editor_class = self.env.editors.get(spec.kind) or self.env.editors[JSON]
        editor = editor_class(spec, self.env)
        editor.describe(f"{self.spec.title}: {spec.title}", spec.description)
        if not editor.spans_row:
            # A group's own rows guard the editors inside it.
            guard_wheel(editor)
        _untitle_required(editor)
        for inner in [editor, *editor.inner_editors()]:
            for resource, choices in self._resources.items():
                inner.set_resource_choices(resource, choices)
            for resource, message in self._failures.items():
                inner.set_resource_failed(resource, message)

        row = _ItemRow(editor, self.list_area)
        row.name(self.spec.title)
        index = len(self.items)
        row.up.clicked.connect(lambda: self._move(index, -1))
        row.down.clicked.connect(lambda: self._move(index, 1))
        row.remove.clicked.connect(lambda: self._remove(index))
        editor.changed.connect(self._on_item_changed)
        self._list.addWidget(row)
        # Shown now, not when the layout gets to it: the new row takes focus.
        row.show()
        self.items.append(row)
        return row

    def _update_buttons(self) -> None:
        count, editable = len(self.items), not self.spec.read_only
        removable = editable and can_remove(self.spec.schema, count, self.spec.required)
        for index, row in enumerate(self.items):
            row.up.setEnabled(editable and index > 0)
            row.down.setEnabled(editable and index < count - 1)
            row.remove.setEnabled(removable)
        self.add_button.setEnabled(editable and can_add(self.spec.schema, count))
        self.empty_note.setVisible(count == 0)

    def _values(self) -> list[Any]:
        return [row.editor.value() for row in self.items]

    def _add(self) -> None:
        row = self._append_row()
        start = initial_values([row.editor.spec], self.env.context)
        self._quiet = True
        try:
            row.editor.set_value(start.get(row.editor.spec.name, EMPTY))
        finally:
            self._quiet = False
        self._present = True
        self._update_buttons()
        self._chain_tabs()
        _focus_first(row.editor)
        self.changed.emit()

    def _remove(self, index: int) -> None:
        if not self.items[index].remove.isEnabled():
            return
        values = self._values()
        del values[index]
        self._set_rows(values)
        self._resize(len(values))
        if not values:
            self._present = self.spec.required

        # Focus stays where it was: on the next item's Remove, else on Add.
        if index < len(self.items) and self.items[index].remove.isEnabled():
            self.items[index].remove.setFocus()
        elif self.items and self.items[-1].remove.isEnabled():
            self.items[-1].remove.setFocus()
        else:
            self.add_button.setFocus()
        self.changed.emit()

    def _move(self, index: int, step: int) -> None:
        other = index + step
        if not 0 <= other < len(self.items):
            return
        values = self._values()
        values[index], values[other] = values[other], values[index]
        self._set_rows(values)

        # The focus follows the item, so pressing again moves it further.
        row = self.items[other]
        button = row.up if step < 0 else row.down
        if button.isEnabled():
            button.setFocus()
        else:
            _focus_first(row.editor)
        self.changed.emit()

    def _set_rows(self, values: list[Any]) -> None:
        # TODO(forms): moving goes through value(): a number still half typed
        # goes back to its last whole value, and free-form JSON that does not
        # parse yet moves as quoted text; the user retypes it.
        self._quiet = True
        try:
            for row, value in zip(self.items, values, strict=False):
                row.editor.set_value(value)
        finally:
            self._quiet = False

    def _keep(self, kept: bool) -> None:
        """Show the value as JSON text (kept) or as rows."""
        self.kept = kept
        if self.json is not None or kept:
            self._json_editor().setVisible(kept)
            self._list_button().setVisible(kept)
        self.list_area.setVisible(not kept)
        self.add_button.setVisible(not kept)
        if kept:
            self.empty_note.hide()
            self._chain_tabs()
        else:
            self._update_buttons()

    def _json_editor(self) -> JsonEditor:
        if self.json is None:
            spec = dataclasses.replace(self.spec, kind=JSON, unsupported="this list")
            self.json = JsonEditor(spec, self.env, self.box)
            self.json.set_reason(KEPT_REASON)
            self.json.describe(self._name, self.spec.description)
            self.json.changed.connect(self._on_item_changed)
            # Above the buttons, which are the last line of the box.
            self._inner.insertWidget(self._inner.count() - 1, self.json)
        return self.json

    def _list_button(self) -> QPushButton:
        """Edit as a list, beside Add: made with the JSON text it goes with."""
        if self.to_list_button is None:
            self.to_list_button = QPushButton("Edit as a list", self.box)
            self.to_list_button.clicked.connect(self._on_to_list_clicked)
            self._bar.insertWidget(1, self.to_list_button)
        return self.to_list_button

    def _chain_tabs(self) -> None:
        """Put the rows' controls in the tab order, between what is around.

        A row added after the form was built would otherwise be reached
        last of the whole window.
        """
        chain = self.focus_widgets()
        before = self._control_before()
        if before is not None:
            chain.insert(0, before)
        for first, second in itertools.pairwise(chain):
            QWidget.setTabOrder(first, second)

    def _control_before(self) -> QWidget | None:
        """The control that Tab leaves just before this list's first one."""
        widget = self.add_button.previousInFocusChain()
        for _ in range(MAX_CHAIN_STEPS):
            if widget is None or widget is self.add_button:
                return None
            outside = widget is not self and not self.isAncestorOf(widget)
            # A container around the list would take the rows after all of
            # its own children; only a control that Tab stops at will do.
            stops = bool(widget.focusPolicy() & Qt.FocusPolicy.TabFocus)
            if outside and stops and not widget.isAncestorOf(self):
                return widget
            widget = widget.previousInFocusChain()
        return None

    # --- What the form asks of an editor -------------------------------------

    def focus_widgets(self) -> list[QWidget]:
        if self.json is not None and self.kept:
            return [*self.json.focus_widgets(), self._list_button()]
        chain: list[QWidget] = []
        for row in self.items:
            chain += row.editor.focus_widgets()
            chain += row.buttons()
        return [*chain, self.add_button]

    def describe(self, name: str, description: str) -> None:
        self.box.setAccessibleName(name)
        self._name = name
        if self.json is not None:
            self.json.describe(name, description)
        if description:
            self.box.setToolTip(tooltip(description))

    def input_problem(self) -> str:
        if self.json is not None and self.kept:
            return self.json.input_problem()
        return ""

    def child_errors(self, errors: dict[str, str]) -> dict[str, str]:
        left = dict(errors)
        for row in self.items:
            path = row.editor.spec.path
            mine = {
                p: m for p, m in left.items() if p == path or p.startswith(f"{path}/")
            }
            for placed in mine:
                del left[placed]

            own = row.editor.input_problem() or mine.pop(path, "")
            mine.pop(path, None)
            if own and row.editor.value() is EMPTY:
                own = EMPTY_ITEM
            inner = row.editor.child_errors(mine)
            lines = [own] if own else []
            lines += [
                f"{describe_subpath(p[len(path) + 1 :])}: {message}"
                for p, message in sorted(inner.items())
            ]
            row.error.setText("\n".join(lines))
        return left

    def inner_editors(self) -> list[FieldEditor]:
        editors: list[FieldEditor] = []
        for row in self.items:
            editors += [row.editor, *row.editor.inner_editors()]
        return editors

    def resources_needed(self) -> set[str]:
        return resources_in(self.spec.item) if self.spec.item is not None else set()

    def set_resource_choices(self, resource: str, items: list[tuple[int, str]]) -> None:
        # Kept for the items added later; the form gives them to those shown.
        # The same list object, not a copy: pickers share what they make of it.
        self._resources[resource] = items
        self._failures.pop(resource, None)

    def set_resource_failed(self, resource: str, message: str) -> None:
        # Items added later say so too, with their Retry, not "Loading…".
        self._resources.pop(resource, None)
        self._failures[resource] = message

    def set_resource_loading(self, resource: str) -> None:
        self._failures.pop(resource, None)

    # --- Slots -----------------------------------------------------------------

    def _on_add_clicked(self) -> None:
        if can_add(self.spec.schema, len(self.items)) and not self.spec.read_only:
            self._add()

    def _on_to_list_clicked(self) -> None:
        if self.json is None:
            return
        self.set_value(self.json.value())
        if not self.kept:
            self._chain_tabs()
            _focus_first_of(self.focus_widgets())

    def _on_item_changed(self) -> None:
        if not self._quiet:
            self.changed.emit()


def _untitle_required(editor: FieldEditor) -> None:
    """Title an item's group box without the required mark.

    An item is required within its list, so a group editor would title it
    "Band 1 *", which reads as if the item could not be removed.
    """
    box = getattr(editor, "box", None)
    if isinstance(box, QGroupBox) and editor.spec.required:
        box.setTitle(button_text(editor.spec.title))


def _tool_button(text: str, parent: QWidget) -> QToolButton:
    button = QToolButton(parent)
    button.setText(text)
    # Reached by Tab like any field, not only by the mouse.
    button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
    return button


def _focus_first(editor: FieldEditor) -> None:
    _focus_first_of(editor.focus_widgets())


def _focus_first_of(widgets: list[QWidget]) -> None:
    for widget in widgets:
        if widget.isEnabled():
            widget.setFocus()
            return
