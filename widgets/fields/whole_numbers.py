"""A spin box for whole numbers of any size, or "Not set".

Qt's QSpinBox holds a 32-bit int: a schema bound of 3000000000, or 1e308,
would overflow it (and its setRange raises). This box keeps its value as a
Python int instead, so any whole number a schema allows is typed, stepped
and given back exactly. It behaves as a spin box does: Up and Down step by
the schema's multipleOf, a digit that could only lead past the highest
allowed value is refused, and a value below the lowest one is accepted
only as a step on the way to a valid number. Empty, it reads "Not set";
the user gets there by clearing the text or stepping below the minimum.
"""

import math
import re
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QSize, QTimer, Signal
from PySide6.QtGui import QFocusEvent, QValidator
from PySide6.QtWidgets import QAbstractSpinBox, QWidget

from app.forms import FieldSpec
from widgets.fields.base import NOT_SET

# More digits than a bound of 1e308 has, fewer than Python refuses to read.
MAX_DIGITS = 400
# A width for the box's text: about this many digits are seen at once.
SHOWN_DIGITS = 13

_WHOLE = re.compile(r"[+-]?\d+")
_INVALID = QValidator.State.Invalid
Step = QAbstractSpinBox.StepEnabledFlag


@dataclass(frozen=True)
class WholeBounds:
    """What a whole-number box allows: None on a side the schema leaves open."""

    low: int | None
    high: int | None
    step: int
    start: int

    def allows(self, number: int) -> bool:
        above = self.low is None or number >= self.low
        return above and (self.high is None or number <= self.high)


def whole_bounds(spec: FieldSpec) -> WholeBounds:
    """The bounds of an integer field, from its schema, as exact ints.

    A bound that is not a finite number is left open; a range with no value
    in it (minimum above maximum) keeps its lowest value, for the schema's
    own error to be shown.
    """
    lows = [_ceil(spec.minimum), _after(spec.exclusive_minimum)]
    highs = [_floor(spec.maximum), _before(spec.exclusive_maximum)]
    low = max((x for x in lows if x is not None), default=None)
    high = min((x for x in highs if x is not None), default=None)
    if low is not None and high is not None:
        high = max(low, high)

    # A fractional multipleOf has no whole step of its own: step by one.
    multiple = _finite(spec.multiple_of)
    step = 1
    if multiple is not None and multiple >= 1 and float(multiple).is_integer():
        step = int(multiple)

    bounds = WholeBounds(low, high, step, 0)
    return WholeBounds(low, high, step, _start(spec, bounds))


def whole_number(value: Any) -> int | None:
    """A JSON value as an exact int when it is a whole number, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    return None


class WholeNumberBox(QAbstractSpinBox):
    """A spin box over Python ints; None (shown "Not set") when empty.

    Signals: number_changed(): the number changed, typed or stepped.
    """

    number_changed = Signal()

    def __init__(self, bounds: WholeBounds, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bounds = bounds
        self._number: int | None = None
        # What the box says while empty: "Not set", or a value it was given
        # and cannot hold (widgets/fields/numbers.py keeps it).
        self.empty_text = NOT_SET
        line = self.lineEdit()
        assert line is not None
        line.setText(NOT_SET)
        line.textChanged.connect(self._on_text_changed)
        self.editingFinished.connect(self._on_editing_finished)

    def number(self) -> int | None:
        return self._number

    def is_empty(self) -> bool:
        return self._number is None

    def set_number(self, number: int | None) -> None:
        """Show number (None: "Not set"); a new number is signalled."""
        changed = number != self._number
        self._number = number
        self._show()
        # Stepping comes here too, and the text shown then reads as the
        # number already set: no change would be signalled from the text.
        if changed:
            self.number_changed.emit()

    # -- what QAbstractSpinBox asks --------------------------------------------

    def validate(self, text: str, pos: int) -> Any:
        return self._state(text), text, pos

    def stepBy(self, steps: int) -> None:  # noqa: N802 (Qt override)
        bounds = self.bounds
        if self._number is None:
            if steps > 0:
                self.set_number(bounds.start)
            return
        number = self._number + steps * bounds.step
        if bounds.low is not None and number < bounds.low:
            # Below the lowest allowed value lies "Not set".
            self.set_number(None)
            return
        if bounds.high is not None:
            number = min(number, bounds.high)
        self.set_number(number)

    def stepEnabled(self) -> Step:  # noqa: N802 (Qt override)
        if self.isReadOnly():
            return Step.StepNone
        if self._number is None:
            return Step.StepUpEnabled
        up = self.bounds.high is None or self._number < self.bounds.high
        return Step.StepDownEnabled | (Step.StepUpEnabled if up else Step.StepNone)

    def clear(self) -> None:
        self.set_number(None)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        hint = super().sizeHint()
        digits = self.fontMetrics().horizontalAdvance("8" * SHOWN_DIGITS)
        return QSize(hint.width() + digits, hint.height())

    def focusInEvent(self, event: QFocusEvent) -> None:  # noqa: N802
        super().focusInEvent(event)
        if self._number is None:
            # A click puts the cursor inside "Not set": typing replaces it.
            QTimer.singleShot(0, self, self.selectAll)

    # -- internals -----------------------------------------------------------

    def _state(self, text: str) -> QValidator.State:
        """Acceptable, Intermediate (could become so) or Invalid."""
        written = text.strip()
        if not written or written == self.empty_text:
            return QValidator.State.Acceptable
        if written in ("-", "+"):
            below_zero = self.bounds.low is None or self.bounds.low < 0
            keeps_going = written == "+" or below_zero
            return QValidator.State.Intermediate if keeps_going else _INVALID
        if not _WHOLE.fullmatch(written) or len(written) > MAX_DIGITS:
            return _INVALID

        number = int(written)
        # More digits take a number further from zero, never back.
        negative = written.startswith("-")
        low, high = self.bounds.low, self.bounds.high
        if high is not None and number > high:
            return QValidator.State.Intermediate if negative else _INVALID
        if low is not None and number < low:
            return _INVALID if negative else QValidator.State.Intermediate
        return QValidator.State.Acceptable

    def _show(self) -> None:
        line = self.lineEdit()
        assert line is not None
        text = self.empty_text if self._number is None else str(self._number)
        if line.text() != text:
            line.setText(text)

    def _on_text_changed(self, text: str) -> None:
        if self._state(text) != QValidator.State.Acceptable:
            # Half typed: the number stays what it was until it is whole.
            return
        written = text.strip()
        number = None if not written or written == self.empty_text else int(written)
        if number != self._number:
            self._number = number
            self.number_changed.emit()

    def _on_editing_finished(self) -> None:
        # Text left half typed goes back to the number it stands for.
        self._show()


def _ceil(value: float | None) -> int | None:
    exact = _finite(value)
    return None if exact is None else math.ceil(exact)


def _floor(value: float | None) -> int | None:
    exact = _finite(value)
    return None if exact is None else math.floor(exact)


def _after(value: float | None) -> int | None:
    """The lowest whole number above an exclusive minimum."""
    exact = _finite(value)
    return None if exact is None else math.floor(exact) + 1


def _before(value: float | None) -> int | None:
    """The highest whole number below an exclusive maximum."""
    exact = _finite(value)
    return None if exact is None else math.ceil(exact) - 1


def _finite(value: float | None) -> float | None:
    if value is None or isinstance(value, int):
        return value
    return value if math.isfinite(value) else None


def _start(spec: FieldSpec, bounds: WholeBounds) -> int:
    """Where stepping up from "Not set" starts: the default, else 0 in range."""
    default = whole_number(spec.default)
    if default is not None and bounds.allows(default):
        return default
    start = 0 if bounds.low is None else max(0, bounds.low)
    return start if bounds.high is None else min(start, bounds.high)
