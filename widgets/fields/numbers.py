"""Number and integer editors: spin boxes bounded by the schema, or "Not set".

A spin box always holds a number, so one value below the lowest allowed one
stands for "empty" and shows "Not set". The user gets there by clearing the
text or stepping below the minimum, and leaves it by typing a number or
stepping up (which starts at the default, or at 0 within the bounds).
"""

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QSize, QTimer
from PySide6.QtGui import QFocusEvent, QValidator
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.forms import FieldSpec
from widgets.fields.base import EMPTY, NOT_SET, EditorEnv, FieldEditor

# QSpinBox holds a 32-bit int; one value is kept below the range for "Not set".
# TODO(forms): a whole number beyond 32 bits cannot be typed (the box stops at
# about 2.1 billion); such a field would need a text editor of its own.
INT_HIGH = 2**31 - 1
INT_LOW = -(2**31) + 1
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
    """What a spin box allows, derived from the schema."""

    low: float
    high: float
    step: float
    decimals: int
    start: float

    @property
    def special(self) -> float:
        """The value that stands for "Not set", just below low.

        One step below for numbers, so stepping down from low reaches it;
        one below for integers, to stay inside a 32-bit int.
        """
        return self.low - (1 if self.decimals == 0 else self.step)


def integer_bounds(spec: FieldSpec) -> Bounds:
    low, high = INT_LOW, INT_HIGH
    if spec.minimum is not None:
        low = max(low, math.ceil(spec.minimum))
    if spec.exclusive_minimum is not None:
        low = max(low, math.floor(spec.exclusive_minimum) + 1)
    if spec.maximum is not None:
        high = min(high, math.floor(spec.maximum))
    if spec.exclusive_maximum is not None:
        high = min(high, math.ceil(spec.exclusive_maximum) - 1)
    high = max(low, high)

    multiple = spec.multiple_of
    step = int(multiple) if multiple and multiple >= 1 and multiple.is_integer() else 1
    return Bounds(low, high, step, 0, _start(spec, low, high))


def number_bounds(spec: FieldSpec) -> Bounds:
    """Bounds of a number; its decimals and step come from multipleOf if given.

    Without multipleOf any decimal number is allowed: DEFAULT_DECIMALS, or
    more when the schema's own numbers have more.
    """
    written = [spec.minimum, spec.maximum, spec.exclusive_minimum]
    written += [spec.exclusive_maximum, spec.multiple_of, _numeric(spec.default)]
    least = 0 if spec.multiple_of else DEFAULT_DECIMALS
    decimals = max([least, *(_decimals(x) for x in written if x is not None)])
    decimals = min(decimals, MAX_DECIMALS)
    tick = 10.0**-decimals

    low, high = -NUMBER_LIMIT, NUMBER_LIMIT
    if spec.minimum is not None:
        low = max(low, spec.minimum)
    if spec.exclusive_minimum is not None:
        low = max(low, spec.exclusive_minimum + tick)
    if spec.maximum is not None:
        high = min(high, spec.maximum)
    if spec.exclusive_maximum is not None:
        high = min(high, spec.exclusive_maximum - tick)
    high = max(low, high)

    step = spec.multiple_of if spec.multiple_of else 1.0
    return Bounds(low, high, step, decimals, _start(spec, low, high))


class IntegerSpinBox(QSpinBox):
    """A QSpinBox whose lowest value reads "Not set"."""

    def __init__(self, bounds: Bounds, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bounds = bounds
        self.setRange(int(bounds.special), int(bounds.high))
        self.setSingleStep(int(bounds.step))
        self.setSpecialValueText(NOT_SET)
        self.setValue(self.minimum())

    def is_empty(self) -> bool:
        return self.value() == self.minimum()

    def set_number(self, number: float) -> None:
        self.setValue(int(number))

    def validate(self, text: str, pos: int) -> Any:
        if not text.strip():
            return QValidator.State.Acceptable, text, pos
        state, text, pos = super().validate(text, pos)
        return _below_low(self, state, text, super().valueFromText), text, pos

    def valueFromText(self, text: str) -> int:  # noqa: N802 (Qt override)
        if not text.strip() or text == self.specialValueText():
            return self.minimum()
        return super().valueFromText(text)

    def stepBy(self, steps: int) -> None:  # noqa: N802 (Qt override)
        _step(self, steps, super().stepBy)

    def focusInEvent(self, event: QFocusEvent) -> None:  # noqa: N802
        super().focusInEvent(event)
        _select_placeholder(self)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        return _narrow(super().minimumSizeHint())


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


SpinBox = IntegerSpinBox | NumberSpinBox


class _SpinEditor(FieldEditor):
    """An editor around one of the spin boxes above."""

    def __init__(
        self, spec: FieldSpec, env: EditorEnv, parent: QWidget | None = None
    ) -> None:
        super().__init__(spec, env, parent)
        self.spin = self._make_spin()
        self.spin.setReadOnly(spec.read_only)
        # Its minimum is MIN_SPIN_WIDTH, not the width of its largest value.
        self.spin.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        line = self.spin.lineEdit()
        if line is not None:
            # Qt lays the spin box's line over its left padding; keep the
            # text off the border, as in the other fields.
            line.setTextMargins(TEXT_INDENT, 0, 0, 0)
        # A change per keystroke, so values_changed follows the typing.
        self.spin.setKeyboardTracking(True)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.spin)
        self.spin.valueChanged.connect(self._on_spin_value_changed)

    def _make_spin(self) -> SpinBox:
        raise NotImplementedError

    def value(self) -> Any:
        if self.spin.is_empty():
            return EMPTY
        return self._convert(self.spin.value())

    def set_value(self, value: Any) -> None:
        if value is EMPTY or value is None:
            self.spin.set_number(self.spin.minimum())
            return

        number = _numeric(value)
        if number is None or not self._accepts(number):
            self._reject(value, "not a number it can hold")
            return
        bounds = self.spin.bounds
        if not bounds.low <= number <= bounds.high:
            self._reject(value, f"outside {bounds.low:g} to {bounds.high:g}")
            return
        self.spin.set_number(number)

    def focus_widgets(self) -> list[QWidget]:
        return [self.spin]

    def _accepts(self, number: float) -> bool:
        return True

    def _convert(self, number: float) -> Any:
        return number

    def _on_spin_value_changed(self, _value: float) -> None:
        self.changed.emit()


class IntegerEditor(_SpinEditor):
    """A whole number; values() gives an int."""

    def _make_spin(self) -> SpinBox:
        return IntegerSpinBox(integer_bounds(self.spec), self)

    def _accepts(self, number: float) -> bool:
        return float(number).is_integer()

    def _convert(self, number: float) -> Any:
        return int(number)


class NumberEditor(_SpinEditor):
    """Any number, with as many decimals as the schema's numbers use."""

    def _make_spin(self) -> SpinBox:
        return NumberSpinBox(number_bounds(self.spec), self)

    def _convert(self, number: float) -> Any:
        return float(number)


def _step(spin: SpinBox, steps: int, qt_step: Callable[[int], None]) -> None:
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
    spin: SpinBox,
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


def _narrow(size: QSize) -> QSize:
    return QSize(min(size.width(), MIN_SPIN_WIDTH), size.height())


def _select_placeholder(spin: SpinBox) -> None:
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
    return float(value)


def _decimals(number: float) -> int:
    text = repr(float(number))
    if "e-" in text:
        return int(text.split("e-")[1])
    fraction = text.split(".")[1] if "." in text else ""
    return len(fraction.rstrip("0"))
