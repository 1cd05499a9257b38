"""Rows of an object whose fields follow its values and its chosen variant.

For an object schema with conditions, dependencies or variants (see
app/form_conditions.py), the rows shown are those of its effective schema
for the current values. After each change the effective schema is computed
again and only the rows whose field changed are built again: a field that
appears, a field that is now required, a field that went away. A row
rebuilt keeps its value; a field that goes away keeps what was typed in it,
not sent, and shows it again if it comes back.

rows_for() gives these rows for an object with logic, plain FieldRows for
any other: both have the same interface, used by the form and by groups.
"""

import itertools
import logging
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLayout, QWidget

from app.form_conditions import (
    Rule,
    Variants,
    effective_schema,
    fits_field,
    has_logic,
    object_rule,
    object_variants,
    pick_variant,
)
from app.forms import FieldSpec, form_fields, initial_values
from app.schema_merge import merged_or_reason
from widgets.fields.base import EMPTY, EditorEnv
from widgets.fields.rows import FieldRow, FieldRows
from widgets.fields.variants import VARIANT_LABEL, VariantChoice
from widgets.fields.wheel import guard_wheel
from widgets.plain_text import plain_label

log = logging.getLogger(__name__)

JsonObject = dict[str, Any]


def rows_for(
    schema: JsonObject,
    specs: list[FieldSpec],
    prefix: str,
    env: EditorEnv,
    parent: QWidget | None = None,
) -> FieldRows:
    """The rows of an object: live ones when its fields depend on its values."""
    merged, _ = merged_or_reason(schema, lenient=True)
    if has_logic(merged):
        return LiveRows(merged, prefix, env, parent)
    return FieldRows(specs, env, parent)


def start_rows(rows: FieldRows, values: JsonObject) -> None:
    """Show a new form's values; fields that appear with them show defaults."""
    if isinstance(rows, LiveRows):
        rows.start(values)
    else:
        rows.set_values(values)


class LiveRows(FieldRows):
    """The rows of an object with conditions or variants, kept up to date.

    Signals: rebuilt(): rows were built again; what links fields to each
    other (the period choice, the units of `$prefs`) must link the new ones.
    Sent while the rows are still settling: edits it makes are not followed.
    """

    rebuilt = Signal()

    def __init__(
        self,
        schema: JsonObject,
        prefix: str,
        env: EditorEnv,
        parent: QWidget | None = None,
    ) -> None:
        self.schema = schema
        self.prefix = prefix
        self.variants: Variants | None = object_variants(schema)
        self.choice: int | None = 0 if self.variants else None
        # Alternatives that only say which of the fields must be filled in.
        self.rule: Rule | None = object_rule(schema)
        # Values of fields gone from view, shown again if they come back.
        self._hidden: JsonObject = {}
        self._busy = False
        super().__init__(self._specs_for({}), env, parent)

        self.chooser: VariantChoice | None = None
        if self.variants is not None:
            self.chooser = VariantChoice(self.variants, self)
            label = plain_label(VARIANT_LABEL, self)
            label.setBuddy(self.chooser.combo)
            self.layout_.insertRow(0, label, self.chooser)
            guard_wheel(self.chooser)
            self.chooser.chosen.connect(self._on_chooser_chosen)

    # -- what FieldRows offers, kept right with the variant row on top ------

    def insert_before(self, path: str, label: str, widget: QWidget) -> None:
        # The variant row is not a field: the base class counts fields only.
        if self.chooser is None:
            super().insert_before(path, label, widget)
            return
        row = self.row(path)
        if row is None:
            raise KeyError(path)
        with _TopRowAside(self):
            super().insert_before(path, label, widget)

    def set_values(self, values: dict[str, Any]) -> None:
        """Show exactly these values; the variant is the one they belong to."""
        self._hidden = {}
        if self.variants is not None:
            picked = pick_variant(self.variants, values, self.schema)
            if picked is not None:
                self._choose(picked)
        self._busy = True
        try:
            # Linked before the values are shown: they then win over a period
            # chosen before, as they do over the period of a form built anew.
            if self._sync(values, carry=False):
                self.rebuilt.emit()
            super().set_values(values)
        finally:
            self._busy = False
        self._hidden = {}
        self.changed.emit()

    def start(self, values: dict[str, Any]) -> None:
        """Like set_values, and the fields values leave out show defaults."""
        self.set_values(values)
        self._busy = True
        try:
            for row in self.rows:
                if row.spec.name not in values:
                    row.editor.set_value(_starting_value(row.spec, self.env))
        finally:
            self._busy = False
        self._refresh()

    def show_errors(self, errors: dict[str, str]) -> dict[str, str]:
        """Show each error at its field; a broken rule at the fields it names.

        The checks report a rule (pick vehicles or groups) at the object
        itself, which has no line of its own: it would show above the form,
        away from the fields that fix it.
        """
        return super().show_errors(self._rule_at_fields(errors))

    def focus_chain(self) -> list[QWidget]:
        head: list[QWidget] = [self.chooser.combo] if self.chooser else []
        return head + super().focus_chain()

    def _rule_at_fields(self, errors: dict[str, str]) -> dict[str, str]:
        own = self.prefix.rstrip("/")
        if self.rule is None or own not in errors:
            return errors
        shown = [n for n in self.rule.names if self.row(self.prefix + n) is not None]
        if not shown or not self.rule.broken_by(super().values()):
            # The object's error is about something else: it stays as it is.
            return errors

        placed = {path: m for path, m in errors.items() if path != own}
        for name in shown:
            path = self.prefix + name
            placed[path] = "\n".join(filter(None, [placed.get(path), self.rule.text]))
        return placed

    # -- keeping the rows in step -------------------------------------------

    def _specs_for(self, values: Any) -> list[FieldSpec]:
        effective = effective_schema(self.schema, values, self.choice)
        return form_fields(effective, prefix=self.prefix)

    def _refresh(self) -> None:
        """Rebuild what the current values change; say so if anything did."""
        self._busy = True
        try:
            changed = self._sync(super().values(), carry=True)
            if changed:
                self.rebuilt.emit()
        finally:
            self._busy = False
        if changed:
            log.debug("fields of %s follow the values again", self.prefix or "form")
            chain_tabs(self.focus_chain())

    def _sync(self, values: Any, *, carry: bool) -> bool:
        """Make the rows those of the effective schema for values.

        carry: rows that appear show what they held before, else their
        defaults (the user is filling in); without it they start empty.
        """
        specs = self._specs_for(values)
        if [row.spec for row in self.rows] == specs:
            return False

        wanted = {spec.name: spec for spec in specs}
        for row in list(self.rows):
            if wanted.get(row.spec.name) != row.spec:
                self._drop(row)
        kept = [row.spec.name for row in self.rows]
        if kept != [spec.name for spec in specs if spec.name in kept]:
            # Fields changed places: build them all again, in order.
            for row in list(self.rows):
                self._drop(row)

        for index, spec in enumerate(specs):
            if index < len(self.rows) and self.rows[index].spec.name == spec.name:
                continue
            row = self._insert(index, spec)
            # What was typed comes back if this field takes it (not another
            # variant's constant); else it waits for its own field again.
            hidden = spec.name in self._hidden
            if hidden and fits_field(spec.schema, self._hidden[spec.name]):
                row.editor.set_value(self._hidden.pop(spec.name))
            elif carry:
                row.editor.set_value(_starting_value(spec, self.env))
            else:
                row.editor.set_value(EMPTY)
        return True

    def remove_before(self, widget: QWidget) -> bool:
        """Take out a row put above a field with insert_before; False if no
        row holds widget (its field was rebuilt, taking it along)."""
        for row in self.rows:
            if widget in row.before:
                position = self._layout_row(row) - len(row.before)
                position += row.before.index(widget)
                for part in _parts_of(self.layout_.takeRow(position)):
                    _discard(part)
                row.before.remove(widget)
                return True
        return False

    def _drop(self, row: FieldRow) -> None:
        value = row.editor.value()
        if value is not EMPTY:
            self._hidden[row.spec.name] = value
        first = self._layout_row(row) - len(row.before)
        for _ in range(len(row.before) + 1):
            for part in _parts_of(self.layout_.takeRow(first)):
                _discard(part)
        self.rows.remove(row)

    def _insert(self, index: int, spec: FieldSpec) -> FieldRow:
        row = self._add_row(spec)
        taken = self.layout_.takeRow(self.layout_.rowCount() - 1)
        label, field = _parts_of(taken)
        if field is None:
            raise RuntimeError(f"the row of {spec.path} was built without its field")
        self.rows.insert(index, row)
        position = self._layout_row(row)
        if label is not None:
            self.layout_.insertRow(position, label, field)
        else:
            self.layout_.insertRow(position, field)
        return row

    def _layout_row(self, row: FieldRow) -> int:
        """Where a field's own row is in the layout."""
        index = self.rows.index(row)
        above = sum(len(r.before) for r in self.rows[: index + 1])
        return index + above + (1 if self.chooser is not None else 0)

    def _choose(self, index: int) -> None:
        self.choice = index
        if self.chooser is not None:
            self.chooser.show_index(index)

    def _on_editor_changed(self) -> None:
        if self._busy:
            return
        self._refresh()
        self.changed.emit()

    def _on_chooser_chosen(self, index: int) -> None:
        log.debug("variant %d chosen for %s", index, self.prefix or "form")
        self.choice = index
        self._refresh()
        self.changed.emit()


class _TopRowAside:
    """While the base class counts rows, the variant row is out of the way."""

    def __init__(self, rows: LiveRows) -> None:
        self.rows = rows
        self.label: QWidget | None = None
        self.field: QWidget | None = None

    def __enter__(self) -> None:
        self.label, self.field = _widgets_of(self.rows.layout_.takeRow(0))

    def __exit__(self, *exc: object) -> None:
        if self.label is not None and self.field is not None:
            self.rows.layout_.insertRow(0, self.label, self.field)


def _parts_of(taken: Any) -> tuple[QWidget | None, QWidget | QLayout | None]:
    """The label and the field (a widget, or a field's column of widgets)
    of a row taken out of a QFormLayout."""
    label = taken.labelItem.widget() if taken.labelItem is not None else None
    field = None
    if taken.fieldItem is not None:
        field = taken.fieldItem.widget() or taken.fieldItem.layout()
    return label, field


def _discard(part: QWidget | QLayout | None) -> None:
    """Delete a part of a row taken out, and the widgets of a column."""
    if isinstance(part, QLayout):
        while (item := part.takeAt(0)) is not None:
            _discard(item.widget())
        part.deleteLater()
    elif part is not None:
        # Later: the editor may be the one telling of a change.
        part.hide()
        part.deleteLater()


def _widgets_of(taken: Any) -> tuple[QWidget | None, QWidget | None]:
    """The label and the field of a row taken out of a QFormLayout."""
    label = taken.labelItem.widget() if taken.labelItem is not None else None
    field = taken.fieldItem.widget() if taken.fieldItem is not None else None
    return label, field


def chain_tabs(widgets: list[QWidget]) -> None:
    """Tab visits widgets in this order (new ones would come last)."""
    for before, after in itertools.pairwise(widgets):
        QWidget.setTabOrder(before, after)


def _starting_value(spec: FieldSpec, env: EditorEnv) -> Any:
    """What a field that just appeared shows: its default, or its constant."""
    values = initial_values([spec], env.context)
    if spec.name in values:
        return values[spec.name]
    if "const" in spec.schema:
        return spec.schema["const"]
    return EMPTY
