"""Number and integer editors: spin boxes bounded by the schema, or "Not set".

A number's spin box always holds a number, so one value below the lowest
allowed one stands for "empty" and shows "Not set". The user gets there by
clearing the text or stepping below the minimum, and leaves it by typing a
number or stepping up (which starts at the default, or at 0 within the
bounds). Integers use a box of their own (widgets/fields/whole_numbers.py)
that holds whole numbers of any size exactly, where Qt's stops at 2**31.

A value given to the form that the box cannot hold (out of its bounds, or
not a number) is kept: the empty box shows it in place of "Not set", and
it is sent back as given until the user steps or types a number.
"""

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QSize, QTimer
from PySide6.QtGui import QFocusEvent, QValidator
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QDoubleSpinBox,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from app.display_text import TITLE_LIMIT, one_line
from app.forms import FieldSpec
from widgets.fields.base import EMPTY, NOT_SET, EditorEnv, FieldEditor
from widgets.fields.whole_numbers import WholeNumberBox, whole_bounds, whole_number

# Wide enough for any report parameter, narrow enough for a sensible width.
NUMBER_LIMIT = 1e12
# Decimals of a number whose schema gives no step: enough for a distance in
# metres as km or a volume in centilitres, few enough to read at a glance.
DEFAULT_DECIMALS = 3
MAX_DECIMALS = 10
# Narrowest a spin box gets: Qt would make it as wide as its largest value
# (13 digits here), wider than a small window's form.
MIN_SPIN_WIDTH = 110
TEXT_INDENT = 5


@dataclass(frozen=True)
class Bounds:
    """What a number's spin box allows, derived from the schema."""

    low: float
    high: float
    step: float
    decimals: int
    start: float

    @property
    def special(self) -> float:
        """The value that stands for "Not set": one step below low.

        So stepping down from low reaches it; the next float below when low
        is too large for a step to move it.
        """
        below = self.low - self.step
        return below if below < self.low else math.nextafter(self.low, -math.inf)


def number_bounds(spec: FieldSpec) -> Bounds:
    """Bounds of a number; its decimals and step come from multipleOf if given.

    Without multipleOf any decimal number is allowed: DEFAULT_DECIMALS, or
    more when the schema's own numbers have more. A bound no float can hold
    (a whole number of 400 digits, infinity) is left out.
    """
    minimum, maximum = _float(spec.minimum), _float(spec.maximum)
    above, below = _float(spec.exclusive_minimum), _float(spec.exclusive_maximum)
    multiple = _float(spec.multiple_of)
    written = [minimum, maximum, above, below, multiple, _numeric(spec.default)]
    least = 0 if multiple else DEFAULT_DECIMALS
    decimals = max([least, *(_decimals(x) for x in written if x is not None)])
    decimals = min(decimals, MAX_DECIMALS)
    tick = 10.0**-decimals

    low, high = -NUMBER_LIMIT, NUMBER_LIMIT
    if minimum is not None:
        low = max(low, minimum)
    if above is not None:
        low = max(low, above + tick)
    if maximum is not None:
        high = min(high, maximum)
    if below is not None:
        high = min(high, below - tick)
    high = max(low, high)

    step = multiple if multiple else 1.0
    return Bounds(low, high, step, decimals, _start(spec, low, high))


class NumberSpinBox(QDoubleSpinBox):
    """A QDoubleSpinBox whose lowest value reads "Not set", without 0 padding."""

    def __init__(self, bounds: Bounds, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bounds = bounds
        self.setDecimals(bounds.decimals)
        self.setRange(bounds.special, bounds.high)
        self.setSingleStep(bounds.step)
        self.setSpecialValueText(NOT_SET)
        self.setValue(self.minimum())

    def is_empty(self) -> bool:
        return self.value() <= self.minimum()

    def set_number(self, number: float) -> None:
        self.setValue(number)

    def validate(self, text: str, pos: int) -> Any:
        if not text.strip():
            return QValidator.State.Acceptable, text, pos
        state, text, pos = super().validate(self._with_decimal_point(text), pos)
        return _below_low(self, state, text, super().valueFromText), text, pos

    def valueFromText(self, text: str) -> float:  # noqa: N802 (Qt override)
        if not text.strip() or text == self.specialValueText():
            return self.minimum()
        return super().valueFromText(self._with_decimal_point(text))

    def _with_decimal_point(self, text: str) -> str:
        """text with "," or "." read as this locale's decimal point.

        People type either; read as a group separator instead, 2,5 would
        silently become 25. The box never shows group separators.
        """
        point = self.locale().decimalPoint()
        other = "," if point == "." else "."
        return text.replace(other, point)

    def textFromValue(self, value: float) -> str:  # noqa: N802 (Qt override)
        text = super().textFromValue(value)
        point = self.locale().decimalPoint()
        if point in text:
            text = text.rstrip("0").removesuffix(point)
        return text

    def stepBy(self, steps: int) -> None:  # noqa: N802 (Qt override)
        _step(self, steps, super().stepBy)

    def focusInEvent(self, event: QFocusEvent) -> None:  # noqa: N802
        super().focusInEvent(event)
        _select_placeholder(self)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        return _narrow(super().minimumSizeHint())


def _place_spin(editor: FieldEditor, spin: QAbstractSpinBox) -> None:
    """Lay spin out as the editor's one control, as every field's looks."""
    spin.setReadOnly(editor.spec.read_only)
    # Its minimum is MIN_SPIN_WIDTH, not the width of its largest value.
    spin.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
    line = spin.lineEdit()
    if line is not None:
        # Qt lays the spin box's line over its left padding; keep the text
        # off the border, as in the other fields.
        line.setTextMargins(TEXT_INDENT, 0, 0, 0)
    # A change per keystroke, so values_changed follows the typing.
    spin.setKeyboardTracking(True)

    layout = QVBoxLayout(editor)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(spin)


class IntegerEditor(FieldEditor):
    """A whole number of any size; values() gives an exact int."""

    def __init__(
        self, spec: FieldSpec, env: EditorEnv, parent: QWidget | None = None
    ) -> None:
        super().__init__(spec, env, parent)
        self.spin = _WholeSpin(whole_bounds(spec), self)
        _place_spin(self, self.spin)
        self._kept: Any = EMPTY
        self.spin.number_changed.connect(self._on_spin_number_changed)

    def value(self) -> Any:
        number = self.spin.number()
        if number is None:
            return self._kept
        return number

    def set_value(self, value: Any) -> None:
        self._keep(EMPTY)
        if value is EMPTY or value is None:
            self.spin.set_number(None)
            return

        number = whole_number(value)
        if number is None or not self.spin.bounds.allows(number):
            self._keep(value)
            self.spin.set_number(None)
            return
        self.spin.set_number(number)

    def _keep(self, value: Any) -> None:
        self._kept = value
        self.spin.empty_text = NOT_SET if value is EMPTY else _json_text(value)

    def _on_spin_number_changed(self) -> None:
        if self.spin.number() is not None and self._kept is not EMPTY:
            self._keep(EMPTY)
        self.changed.emit()

    def focus_widgets(self) -> list[QWidget]:
        return [self.spin]


class _WholeSpin(WholeNumberBox):
    """The integer box, no wider at least than the form's other spin boxes."""

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        return _narrow(super().minimumSizeHint())


class NumberEditor(FieldEditor):
    """Any number, with as many decimals as the schema's numbers use."""

    # TODO(forms): a number's `examples` are not shown: the box always reads
    # a number or "Not set", so the user does not see the suggested values.

    def __init__(
        self, spec: FieldSpec, env: EditorEnv, parent: QWidget | None = None
    ) -> None:
        super().__init__(spec, env, parent)
        self.spin = NumberSpinBox(number_bounds(spec), self)
        _place_spin(self, self.spin)
        self._kept: Any = EMPTY
        self.spin.valueChanged.connect(self._on_spin_value_changed)

    def value(self) -> Any:
        if self.spin.is_empty():
            return self._kept
        return float(self.spin.value())

    def set_value(self, value: Any) -> None:
        self._keep(EMPTY)
        if value is EMPTY or value is None:
            self.spin.set_number(self.spin.minimum())
            return

        number = _numeric(value)
        bounds = self.spin.bounds
        if number is None or not bounds.low <= number <= bounds.high:
            self._keep(value)
            self.spin.set_number(self.spin.minimum())
            return
        self.spin.set_number(number)

    def _keep(self, value: Any) -> None:
        self._kept = value
        self.spin.setSpecialValueText(NOT_SET if value is EMPTY else _json_text(value))

    def focus_widgets(self) -> list[QWidget]:
        return [self.spin]

    def _on_spin_value_changed(self, _value: float) -> None:
        if not self.spin.is_empty() and self._kept is not EMPTY:
            self._keep(EMPTY)
        self.changed.emit()


def _step(spin: NumberSpinBox, steps: int, qt_step: Callable[[int], None]) -> None:
    """Step as Qt does, but in and out of "Not set" cleanly."""
    bounds = spin.bounds
    if spin.is_empty():
        if steps > 0:
            spin.set_number(bounds.start)
        return
    if spin.value() + steps * spin.singleStep() < bounds.low:
        spin.set_number(spin.minimum())
        return
    qt_step(steps)


def _below_low(
    spin: NumberSpinBox,
    state: QValidator.State,
    text: str,
    parse: Callable[[str], float],
) -> QValidator.State:
    """Intermediate for a number between "Not set" and the lowest allowed."""
    if (
        state == QValidator.State.Acceptable
        and text != spin.specialValueText()
        and parse(text) < spin.bounds.low
    ):
        return QValidator.State.Intermediate
    return state


def _json_text(value: Any) -> str:
    """A kept value as the box shows it, on one line of readable length."""
    return one_line(json.dumps(value, ensure_ascii=False, default=str), TITLE_LIMIT)


def _narrow(size: QSize) -> QSize:
    return QSize(min(size.width(), MIN_SPIN_WIDTH), size.height())


def _select_placeholder(spin: NumberSpinBox) -> None:
    # A click puts the cursor inside "Not set"; select it so typing replaces it.
    if spin.is_empty():
        # With spin as context: no call if the box is gone by then.
        QTimer.singleShot(0, spin, spin.selectAll)


def _start(spec: FieldSpec, low: float, high: float) -> float:
    default = _numeric(spec.default)
    if default is not None and low <= default <= high:
        return default
    return min(max(0.0, low), high)


def _numeric(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return _float(value)


def _float(value: float | None) -> float | None:
    """value as a finite float; None for None, infinity, NaN and too large."""
    if value is None:
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def _decimals(number: float) -> int:
    text = repr(float(number))
    if "e-" in text:
        return int(text.split("e-")[1])
    fraction = text.split(".")[1] if "." in text else ""
    return len(fraction.rstrip("0"))
