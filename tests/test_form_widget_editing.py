"""Editing a report form as people do: the wheel, typed dates, decimals.

Each test drives the real form offscreen and checks what the user would
see or get back: the value shown, the payload, the error under the field.
"""

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget

from app.forms import FormContext
from app.manifest import Script, load_manifest
from app.validation import field_errors
from widgets.form import ReportForm

ENGINE_MANIFEST = Path(__file__).parent.parent / "app" / "engine" / "manifest.json"
CONTEXT = FormContext(tz="America/New_York", today=dt.date(2026, 12, 4))


def engine_script(name: str) -> Script:
    manifest = load_manifest(ENGINE_MANIFEST.read_text(), source="engine")
    script = manifest.script(name)
    assert script is not None
    return script


def make_form(qtbot: Any, name: str, height: int = 900) -> ReportForm:
    form = ReportForm()
    qtbot.addWidget(form)
    form.resize(700, height)
    form.set_schema(engine_script(name).schema, context=CONTEXT)
    form.show()
    qtbot.waitExposed(form)
    return form


def turn_wheel(widget: QWidget, notches: int = -1) -> None:
    """Turn the mouse wheel (down by default) with the pointer over widget.

    The event enters through the window system, as a real wheel's does, so
    Qt delivers it to the widget under the pointer and then to its parents.
    """
    window = widget.window()
    where = widget.mapTo(window, widget.rect().center())
    handle = window.windowHandle()
    assert handle is not None
    QTest.wheelEvent(handle, QPointF(where), QPoint(0, 120 * notches))


# --- The wheel -------------------------------------------------------------------


def scroll_over(form: ReportForm, editor: QWidget) -> bool:
    """Turn the wheel over editor; True if the form scrolled."""
    bar = form.scroll_area.verticalScrollBar()
    form.scroll_area.ensureWidgetVisible(editor)
    position = bar.value()
    # Towards the end the form can still scroll to.
    turn_wheel(editor, 1 if position > 0 else -1)
    return bar.value() != position


def focus(qtbot: Any, form: ReportForm, widget: QWidget) -> None:
    form.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is form)
    widget.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(widget.hasFocus)


def test_the_wheel_over_an_unfocused_editor_scrolls_the_form(qtbot):
    form = make_form(qtbot, "trips", height=320)
    assert form.scroll_area.verticalScrollBar().maximum() > 0
    form.set_resource_choices("vehicles", [(1, "Truck 01"), (2, "Van 02")])
    focus(qtbot, form, form.editor("vehicles").picker.filter)
    before = form.values()

    for path in ("tz", "prefs/distance", "prefs/speed", "min_distance"):
        editor = form.editor(path)
        assert editor is not None
        assert scroll_over(form, editor.focus_widgets()[0]), path
    assert scroll_over(form, form.period.combo)

    assert form.values() == before
    assert form.period.combo.currentText() == "Last 7 days"


def test_the_wheel_still_changes_an_editor_the_user_is_in(qtbot):
    form = make_form(qtbot, "trips", height=320)
    combo = form.period.combo
    assert combo.focusPolicy() == Qt.FocusPolicy.StrongFocus
    focus(qtbot, form, combo)

    turn_wheel(combo)

    assert combo.currentText() == "This month"


# --- Typed dates -------------------------------------------------------------------


def type_over(qtbot: Any, widget: QWidget, text: str) -> None:
    """Select everything in a field and type text, as a person would."""
    focus(qtbot, widget.window(), widget)
    qtbot.keyClick(widget, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(widget, text)


def test_a_date_and_time_typed_over_the_old_one_is_exactly_that(qtbot):
    form = make_form(qtbot, "trips")
    start = form.editor("from").edit

    type_over(qtbot, start, "2026-11-02 08:30:00")
    assert start.text() == "2026-11-02 08:30:00"
    assert form.values()["from"] == "2026-11-02T08:30:00"

    type_over(qtbot, start, "2025-01-01 00:00:00")
    qtbot.keyClick(start, Qt.Key.Key_Tab)
    assert start.text() == "2025-01-01 00:00:00"
    assert form.values()["from"] == "2025-01-01T00:00:00"
    assert form.period.combo.currentText() == "Custom"
    assert form.input_problems() == {}


def test_a_pasted_date_and_time_is_taken_whole(qtbot):
    form = make_form(qtbot, "trips")
    end = form.editor("to").edit
    QApplication.clipboard().setText("2026-11-09T00:00:00")

    focus(qtbot, form, end)
    qtbot.keyClick(end, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(end, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(end, Qt.Key.Key_Return)

    assert form.values()["to"] == "2026-11-09T00:00:00"
    assert end.text() == "2026-11-09 00:00:00"


def test_text_that_is_not_a_date_and_time_is_told_at_the_field(qtbot):
    form = make_form(qtbot, "trips")
    start = form.editor("from").edit

    type_over(qtbot, start, "2026-13-02 08:30")

    shown = form.rows.row("from").error
    assert shown.isVisible()
    assert shown.text().startswith("is not a date and time")
    assert "2026-11-02 08:30:00" in shown.text()
    assert start.text() == "2026-13-02 08:30"
    assert "from" in form.input_problems()
    # Kept and shown again (another report and back), the text stays as typed.
    form.restore(form.state())
    assert start.text() == "2026-13-02 08:30"
    assert shown.isVisible()

    type_over(qtbot, start, "2026-12-02 08:30")
    assert shown.text() == ""
    assert form.values()["from"] == "2026-12-02T08:30:00"


def test_each_date_field_is_one_tab_stop_and_arrows_step_its_parts(qtbot):
    form = make_form(qtbot, "trips")
    start, end = form.editor("from").edit, form.editor("to").edit
    focus(qtbot, form, start)

    qtbot.keyClick(start, Qt.Key.Key_Tab)
    assert end.hasFocus()

    end.setCursorPosition(len("2026-12-0"))  # in the day
    qtbot.keyClick(end, Qt.Key.Key_Up)
    assert end.text() == "2026-12-06 00:00:00"
    end.setCursorPosition(len("2026-1"))  # in the month
    qtbot.keyClick(end, Qt.Key.Key_Down)
    assert end.text() == "2026-11-06 00:00:00"
    assert form.values()["to"] == "2026-11-06T00:00:00"


def test_the_calendar_sets_the_day_and_keeps_the_time(qtbot):
    form = make_form(qtbot, "trips")
    start = form.editor("from").edit
    type_over(qtbot, start, "2026-11-02 08:30:00")

    qtbot.keyClick(start, Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)
    popup = start.calendar()
    qtbot.waitUntil(popup.isVisible)
    qtbot.keyClick(popup.focusWidget() or popup, Qt.Key.Key_Right)
    qtbot.keyClick(popup.focusWidget() or popup, Qt.Key.Key_Return)

    qtbot.waitUntil(lambda: not popup.isVisible())
    assert form.values()["from"] == "2026-11-03T08:30:00"
    assert start.hasFocus()


# --- Numbers -----------------------------------------------------------------------


def test_a_number_takes_decimals_typed_with_a_point_or_a_comma(qtbot):
    form = make_form(qtbot, "trips")
    shortest = form.editor("min_distance").spin

    type_over(qtbot, shortest, "2,5")
    qtbot.keyClick(shortest, Qt.Key.Key_Tab)
    assert form.values()["min_distance"] == 2.5
    assert shortest.text() == "2.5"

    type_over(qtbot, shortest, "0.125")
    assert form.values()["min_distance"] == 0.125


def test_a_number_with_a_step_takes_the_step_and_its_decimals(qtbot):
    form = ReportForm()
    qtbot.addWidget(form)
    form.set_schema(
        {
            "type": "object",
            "properties": {
                "hours": {"type": "number", "minimum": 0, "multipleOf": 0.25},
                "ratio": {"type": "number"},
            },
        },
        context=CONTEXT,
    )
    form.show()
    hours, ratio = form.editor("hours").spin, form.editor("ratio").spin

    type_over(qtbot, hours, "1")
    qtbot.keyClick(hours, Qt.Key.Key_Up)
    assert form.values()["hours"] == 1.25
    type_over(qtbot, hours, "2.755")
    assert form.values()["hours"] == 2.75

    type_over(qtbot, ratio, "0.3333")
    assert form.values()["ratio"] == 0.333


# --- Whole numbers of any size --------------------------------------------------


def schema_form(
    qtbot: Any, properties: dict[str, Any], required: tuple[str, ...] = ()
) -> ReportForm:
    form = ReportForm()
    qtbot.addWidget(form)
    schema = {"type": "object", "properties": properties, "required": list(required)}
    form.set_schema(schema, context=CONTEXT)
    form.resize(700, 900)
    form.show()
    qtbot.waitExposed(form)
    return form


WIDE_INTEGERS: dict[str, Any] = {
    "above": {"type": "integer", "minimum": 3_000_000_000},
    "far": {"type": "integer", "minimum": 1e308},
    "steps": {"type": "integer", "multipleOf": 10_000_000_000},
    "int64": {"type": "integer", "minimum": -(2**63), "maximum": 2**63 - 1},
}


def test_integer_bounds_beyond_32_bits_are_typed_and_stepped_exactly(qtbot):
    form = schema_form(qtbot, WIDE_INTEGERS)

    above = form.editor("above").spin
    type_over(qtbot, above, "3000000001")
    assert form.values()["above"] == 3_000_000_001
    qtbot.keyClick(above, Qt.Key.Key_Up)
    assert form.values()["above"] == 3_000_000_002

    # Up from "Not set" starts at the lowest value allowed.
    far = form.editor("far").spin
    assert far.text() == "Not set"
    focus(qtbot, form, far)
    qtbot.keyClick(far, Qt.Key.Key_Up)
    assert form.values()["far"] == int(1e308)

    steps = form.editor("steps").spin
    type_over(qtbot, steps, "20000000000")
    qtbot.keyClick(steps, Qt.Key.Key_Up)
    assert form.values()["steps"] == 30_000_000_000

    # The last digit would go past the highest value: it is not taken.
    int64 = form.editor("int64").spin
    type_over(qtbot, int64, f"{2**63 - 1}0")
    assert form.values()["int64"] == 2**63 - 1
    qtbot.keyClick(int64, Qt.Key.Key_Up)
    assert int64.text() == str(2**63 - 1)

    values = form.values()
    assert all(type(value) is int for value in values.values())
    assert field_errors({"type": "object", "properties": WIDE_INTEGERS}, values) == {}


@pytest.mark.parametrize("number", [3_000_000_000, 2**63 - 1, -(2**63), 10**40])
def test_a_whole_number_of_any_size_comes_back_as_given(qtbot, number: int):
    form = schema_form(
        qtbot,
        {"given": {"type": "integer", "default": number}, "set": {"type": "integer"}},
    )
    assert form.values() == {"given": number}
    assert form.editor("given").spin.text() == str(number)

    form.set_values({"set": number})
    assert form.values() == {"set": number}
    form.restore(form.state())
    assert form.values() == {"set": number}
    assert type(form.values()["set"]) is int


# --- Date-times with an offset ----------------------------------------------------

OFFSET_FIELDS: dict[str, Any] = {
    "at": {
        "type": "string",
        "format": "date-time",
        "default": "2026-11-02T10:00:00+14:00",
    },
    "until": {"type": "string", "format": "date-time"},
}


def test_a_date_time_given_with_an_offset_is_shown_with_it_and_sent_as_given(qtbot):
    form = schema_form(qtbot, OFFSET_FIELDS, required=("at",))
    at = form.editor("at").edit

    assert at.text() == "2026-11-02 10:00:00 +14:00"
    assert form.values() == {"at": "2026-11-02T10:00:00+14:00"}
    assert form.input_problems() == {}

    # Kept through another report and back, and when given again.
    form.restore(form.state())
    assert form.values() == {"at": "2026-11-02T10:00:00+14:00"}
    form.set_values({"at": "2026-11-02T10:00:00.250Z", "until": "2026-11-03T00:00Z"})
    assert form.values() == {
        "at": "2026-11-02T10:00:00.250Z",
        "until": "2026-11-03T00:00Z",
    }
    assert form.editor("until").edit.text() == "2026-11-03 00:00:00 +00:00"
    schema = {"type": "object", "properties": OFFSET_FIELDS}
    assert field_errors(schema, form.values()) == {}


def test_a_date_time_with_an_offset_keeps_it_when_edited(qtbot):
    form = schema_form(qtbot, OFFSET_FIELDS, required=("at",))
    at = form.editor("at").edit

    focus(qtbot, form, at)
    at.setCursorPosition(len("2026-11-02 1"))  # in the hour
    qtbot.keyClick(at, Qt.Key.Key_Up)
    assert form.values()["at"] == "2026-11-02T11:00:00+14:00"

    type_over(qtbot, at, "2026-11-02 08:30:00 -05:00")
    assert form.values()["at"] == "2026-11-02T08:30:00-05:00"
    type_over(qtbot, at, "2026-11-02T08:30Z")
    assert form.values()["at"] == "2026-11-02T08:30:00+00:00"

    # A wall time typed without one stays a wall time.
    type_over(qtbot, at, "2026-11-02 08:30")
    assert form.values()["at"] == "2026-11-02T08:30:00"

    type_over(qtbot, at, "2026-11-02 08:30 +25:00")
    assert "at" in form.input_problems()
