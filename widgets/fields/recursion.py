"""A field whose schema contains itself, built one level at a time.

Where a recursive schema closes (a node's child nodes), the form shows an
"Add <title>" button instead of the field: pressing it, or giving the field
a value, builds one more level from the definition the reference names
(app/recursion.py). A required one is built at once, down to a bounded
depth. So a tree form takes as long to build as what is shown of it.
"""

import logging
from typing import Any

from PySide6.QtWidgets import QPushButton, QVBoxLayout, QWidget

from app.forms import JSON, REFERENCE, FieldSpec, form_fields
from app.recursion import RefError
from widgets.fields.base import EMPTY, EditorEnv, FieldEditor, hint_label
from widgets.fields.logic_rows import chain_tabs
from widgets.plain_text import button_text, tooltip

log = logging.getLogger(__name__)

# A required field that contains itself is built at once only this many
# levels down a path; deeper, it waits for the button like an optional one.
MAX_BUILT_AT_ONCE = 12
REMOVE = "Remove"


class ReferenceEditor(FieldEditor):
    """An "Add" button that becomes the field's editor when pressed."""

    spans_row = True

    def __init__(
        self, spec: FieldSpec, env: EditorEnv, parent: QWidget | None = None
    ) -> None:
        super().__init__(spec, env, parent)
        self.inner: FieldEditor | None = None
        self.add = QPushButton(button_text(f"Add {spec.title}"), self)
        self.add.setToolTip(tooltip(spec.description or f"Fill in {spec.title}"))
        self.remove = QPushButton(button_text(f"{REMOVE} {spec.title}"), self)
        self.remove.hide()
        self.note = hint_label(parent=self)
        self.note.hide()

        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.addWidget(self.add)
        self._layout.addWidget(self.note)
        self._layout.addWidget(self.remove)
        self.add.clicked.connect(self._on_add_clicked)
        self.remove.clicked.connect(self._on_remove_clicked)

        if spec.required and spec.path.count("/") < MAX_BUILT_AT_ONCE:
            self.expand()

    def expand(self) -> bool:
        """Build the field's editor one level down; False if it cannot be."""
        if self.inner is not None:
            return True
        spec = self._expanded_spec()
        if spec is None:
            return False

        editor_class = self.env.editors.get(spec.kind) or self.env.editors[JSON]
        self.inner = editor_class(spec, self.env, self)
        self.inner.describe(spec.title, spec.description)
        self._layout.insertWidget(0, self.inner)
        self.add.hide()
        self.remove.setVisible(not self.spec.required)
        self.inner.changed.connect(self.changed)
        chain_tabs([self.add, *self.inner.focus_widgets(), self.remove])
        log.debug("built one more level of %s", self.spec.path)
        return True

    def collapse(self) -> None:
        """Back to the "Add" button: the field is left out."""
        if self.inner is None:
            return
        self.inner.hide()
        self.inner.deleteLater()
        self.inner = None
        self.add.show()
        self.remove.hide()

    def value(self) -> Any:
        return self.inner.value() if self.inner is not None else EMPTY

    def set_value(self, value: Any) -> None:
        if value is EMPTY or value is None:
            if self.spec.required and self.inner is not None:
                self.inner.set_value(EMPTY)
            else:
                self.collapse()
        elif self.expand() and self.inner is not None:
            self.inner.set_value(value)
        else:
            self._reject(value, "its definition cannot be followed")
            return
        self.changed.emit()

    def input_problem(self) -> str:
        return self.inner.input_problem() if self.inner is not None else ""

    def focus_widgets(self) -> list[QWidget]:
        if self.inner is None:
            return [self.add]
        return [*self.inner.focus_widgets(), self.remove]

    def describe(self, name: str, description: str) -> None:
        self.add.setAccessibleName(f"Add {name}")
        self.remove.setAccessibleName(f"{REMOVE} {name}")

    def child_errors(self, errors: dict[str, str]) -> dict[str, str]:
        if self.inner is None:
            return errors
        return self.inner.child_errors(errors)

    def inner_editors(self) -> list[FieldEditor]:
        if self.inner is None:
            return []
        return [self.inner, *self.inner.inner_editors()]

    def _expanded_spec(self) -> FieldSpec | None:
        """The field's spec with one more level of its definition, or None."""
        references = self.env.references
        if references is None:
            self._say("the form was given no definitions to build it from")
            return None
        try:
            schema = references.expand(self.spec.schema)
        except RefError as exc:
            self._say(f"its definition cannot be followed: {exc.message}")
            return None

        name, path = self.spec.name, self.spec.path
        prefix = path[: len(path) - len(name)] if path.endswith(name) else f"{path}/"
        wrapper = {"properties": {name: schema}, "required": [name]}
        (spec,) = form_fields(wrapper, prefix=prefix)
        if spec.kind == REFERENCE:
            self._say("its definition is only another reference")
            return None
        spec.required = self.spec.required
        return spec

    def _say(self, problem: str) -> None:
        log.info("%s cannot be built: %s", self.spec.path, problem)
        self.note.setText(f"{self.spec.title} cannot be shown: {problem}.")
        self.note.show()
        self.add.setEnabled(False)

    def _on_add_clicked(self) -> None:
        # An optional group added is sent once something is typed in it.
        if self.expand():
            self.changed.emit()

    def _on_remove_clicked(self) -> None:
        self.collapse()
        self.changed.emit()
