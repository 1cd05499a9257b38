"""The quick choice of a report period, kept in step with `from` and `to`.

Choosing Today, Last 7 days, ... sets both date-time editors to that period
in the report's time zone; editing either by hand turns the choice to
Custom. Changing the zone moves a chosen period to the new zone's dates.
"""

import contextlib
from collections.abc import Callable

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QComboBox, QWidget

from app.forms import (
    CUSTOM_PERIOD,
    PERIODS,
    FormContext,
    period_range,
    today_in,
)
from widgets.fields.base import FieldEditor
from widgets.fields.choices import narrow_combo
from widgets.fields.dates import DateTimeEditor


class PeriodLink(QObject):
    """Owns the period combo box and drives the two editors from it."""

    def __init__(
        self,
        start: DateTimeEditor,
        end: DateTimeEditor,
        zone: Callable[[], str],
        context: FormContext,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.start, self.end = start, end
        self._zone = zone
        self._context = context
        self._applying = False
        # The `$tz` editors whose changes move a chosen period.
        self.zones: list[FieldEditor] = []

        self.combo = QComboBox(parent)
        narrow_combo(self.combo)
        for key, label in PERIODS:
            self.combo.addItem(label, key)
        self.combo.setAccessibleName("Report period")
        self.combo.setToolTip(
            "Sets From and To to a whole period in the report's time zone"
        )

        self.combo.currentIndexChanged.connect(self._on_combo_index_changed)
        start.changed.connect(self._on_editor_changed)
        end.changed.connect(self._on_editor_changed)

    def follow_zone(self, editor: FieldEditor) -> None:
        """Apply the chosen period again when this `$tz` editor changes."""
        editor.changed.connect(self.refresh)
        self.zones.append(editor)

    def unlink(self) -> None:
        """Stop following the editors (they are being built again)."""
        pairs: list[tuple[FieldEditor, Callable[[], None]]] = [
            (self.start, self._on_editor_changed),
            (self.end, self._on_editor_changed),
        ]
        pairs += [(zone, self.refresh) for zone in self.zones]
        for editor, slot in pairs:
            # An editor already deleted has lost its connections with it.
            with contextlib.suppress(RuntimeError):
                editor.changed.disconnect(slot)
        self.zones = []

    def period(self) -> str:
        return str(self.combo.currentData())

    def choose(self, period: str) -> None:
        """Select a period (a key of app.forms.PERIODS) and apply it."""
        index = self.combo.findData(period)
        if index < 0:
            raise ValueError(f"unknown period {period!r}")
        if index == self.combo.currentIndex():
            self.refresh()
        else:
            self.combo.setCurrentIndex(index)

    def refresh(self) -> None:
        """Apply the chosen period again, e.g. in a new time zone."""
        period = self.period()
        if period == CUSTOM_PERIOD:
            return
        first, last = period_range(period, today_in(self._zone(), self._context))
        self._applying = True
        try:
            self.start.set_moment(first)
            self.end.set_moment(last)
        finally:
            self._applying = False

    def _on_combo_index_changed(self, _index: int) -> None:
        self.refresh()

    def _on_editor_changed(self) -> None:
        if not self._applying and self.period() != CUSTOM_PERIOD:
            self.combo.setCurrentIndex(self.combo.findData(CUSTOM_PERIOD))
