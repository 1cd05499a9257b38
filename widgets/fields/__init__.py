"""Field editors of report forms, one module per kind, and the kind table.

EDITORS maps each kind named by app.forms (FieldSpec.kind) to its editor
class. A new kind is a new editor module and a line here; the form takes
this table as an argument, so a test or an embedder can pass its own.
"""

from app import forms
from widgets.fields.arrays import ArrayEditor
from widgets.fields.base import EMPTY, EditorEnv, FieldEditor
from widgets.fields.choices import BooleanEditor, ChoiceEditor, MultiChoiceEditor
from widgets.fields.constant import ConstantEditor
from widgets.fields.dates import DateEditor, DateTimeEditor
from widgets.fields.group import ObjectEditor
from widgets.fields.nullable import NullableEditor, NullEditor
from widgets.fields.numbers import IntegerEditor, NumberEditor
from widgets.fields.recursion import ReferenceEditor
from widgets.fields.resources import ResourcesEditor
from widgets.fields.text import JsonEditor, TextEditor
from widgets.fields.times import TimeEditor

EDITORS: dict[str, type[FieldEditor]] = {
    forms.TEXT: TextEditor,
    forms.DATE: DateEditor,
    forms.DATETIME: DateTimeEditor,
    forms.NUMBER: NumberEditor,
    forms.INTEGER: IntegerEditor,
    forms.BOOLEAN: BooleanEditor,
    forms.CHOICE: ChoiceEditor,
    forms.MULTI_CHOICE: MultiChoiceEditor,
    forms.RESOURCES: ResourcesEditor,
    forms.OBJECT: ObjectEditor,
    forms.JSON: JsonEditor,
    forms.REFERENCE: ReferenceEditor,
    forms.ARRAY: ArrayEditor,
    forms.TIME: TimeEditor,
    forms.NULL: NullEditor,
    forms.NULLABLE: NullableEditor,
    forms.CONSTANT: ConstantEditor,
}

__all__ = ["EDITORS", "EMPTY", "EditorEnv", "FieldEditor"]
