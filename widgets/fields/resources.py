"""The editor of a list of resource ids, chosen by name in a ResourcePicker.

The ids come back in the order they were given, then in the order picked,
so a payload loaded into the form reads back the same.
"""

import copy
from typing import Any

from PySide6.QtWidgets import QVBoxLayout, QWidget

from app.forms import FieldSpec
from widgets.fields.base import EMPTY, EditorEnv, FieldEditor
from widgets.resource_picker import ResourcePicker


class ResourcesEditor(FieldEditor):
    """Vehicles, groups, geofences, ... picked by name; the value is their ids."""

    def __init__(
        self, spec: FieldSpec, env: EditorEnv, parent: QWidget | None = None
    ) -> None:
        super().__init__(spec, env, parent)
        self.resource = spec.resource or ""
        self.picker = ResourcePicker(self.resource, self)
        self.picker.setEnabled(not spec.read_only)
        # What set_value was given, while the user has not changed it.
        self._given: Any = None
        self._setting = False

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.picker)
        self.picker.selection_changed.connect(self._on_picker_selection_changed)
        self.picker.retry_requested.connect(self._on_picker_retry_requested)

    def value(self) -> Any:
        if self._given is not None:
            return copy.deepcopy(self._given)
        return self.picker.selected_ids() or EMPTY

    def set_value(self, value: Any) -> None:
        self._setting = True
        try:
            if value is EMPTY or value is None:
                self._given = None
                self.picker.clear_selection()
                return
            self.picker.set_selected_ids(value if isinstance(value, list) else [])
            # Sent back exactly as given (order, repeats, odd items, an
            # empty list) until the user changes the choice.
            self._given = copy.deepcopy(value)
            if not (isinstance(value, list) and all(_is_id(v) for v in value)):
                self._reject(value, "not a list of ids")
        finally:
            self._setting = False

    def focus_widgets(self) -> list[QWidget]:
        picker = self.picker
        # Retry is reached only while it shows (after a failed load).
        return [
            picker.filter,
            picker.retry_button,
            picker.view,
            picker.select_button,
            picker.clear_button,
        ]

    def describe(self, name: str, description: str) -> None:
        super().describe(name, description)
        self.picker.filter.setAccessibleName(f"Search {name}")
        self.picker.select_button.setAccessibleName(f"Select the {name} shown")
        self.picker.clear_button.setAccessibleName(f"Clear the {name} shown")
        self.picker.retry_button.setAccessibleName(f"Load {name} again")

    def resources_needed(self) -> set[str]:
        return {self.resource}

    def set_resource_choices(self, resource: str, items: list[tuple[int, str]]) -> None:
        if resource == self.resource:
            self.picker.set_items(items)

    def set_resource_failed(self, resource: str, message: str) -> None:
        if resource == self.resource:
            self.picker.show_failure(message)

    def set_resource_loading(self, resource: str) -> None:
        if resource == self.resource:
            self.picker.show_loading()

    def _on_picker_selection_changed(self) -> None:
        if not self._setting:
            self._given = None
        self.changed.emit()

    def _on_picker_retry_requested(self) -> None:
        self.reload_requested.emit(self.resource)


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
