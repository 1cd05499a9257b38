"""Dates come back from the form exactly as given: early years, fractions, times."""

import datetime as dt

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from app.forms import FormContext, date_text, wall_time_text
from widgets.form import ReportForm

CONTEXT = FormContext(tz="UTC", today=dt.date(2026, 3, 8))
SCHEMA = {
    "type": "object",
    "required": ["from", "to"],
    "properties": {
        "from": {"type": "string", "format": "date-time", "peg_type": "$from"},
        "to": {"type": "string", "format": "date-time", "peg_type": "$to"},
        "day": {"type": "string", "format": "date"},
        "at": {"type": "string", "format": "date-time"},
    },
}


def make_form(qtbot) -> ReportForm:
    form = ReportForm()
    qtbot.addWidget(form)
    form.set_schema(SCHEMA, context=CONTEXT)
    form.show()
    return form


def test_years_before_1000_are_sent_and_shown_with_four_digits(qtbot):
    form = make_form(qtbot)
    values = {"from": "0099-01-01T00:00:00", "to": "0999-05-06T07:08:09"}

    form.set_values(values)

    assert form.values() == values
    assert form.editor("to").edit.text() == "0999-05-06 07:08:09"
    assert form.input_problems() == {}
    assert wall_time_text(dt.datetime(5, 2, 3, 4, 5, 6)) == "0005-02-03T04:05:06"
    assert date_text(dt.date(42, 1, 2)) == "0042-01-02"


def test_a_fraction_of_a_second_is_kept_and_told_at_the_field(qtbot):
    form = make_form(qtbot)
    values = {
        "from": "2026-01-01T00:00:00",
        "to": "2026-01-02T00:00:00",
        "at": "2026-01-01T00:00:00.5",
    }

    form.set_values(values)

    assert form.values() == values
    problem = form.input_problems()["at"]
    assert "fraction of a second" in problem
    assert "2026-01-01T00:00:00.5" in problem
    form.set_errors({})
    assert "fraction of a second" in form.rows.row("at").error.text()


def test_a_time_given_to_a_date_field_is_kept_until_the_user_changes_it(qtbot):
    form = make_form(qtbot)
    values = {
        "from": "2026-01-01T00:00:00",
        "to": "2026-01-02T00:00:00",
        "day": "2026-01-02T10:00:00",
    }
    form.set_values(values)
    assert form.values()["day"] == "2026-01-02T10:00:00"
    assert "takes a date" in form.input_problems()["day"]

    editor = form.editor("day")
    change = next(b for b in editor.findChildren(QPushButton) if b.text() == "Change")
    qtbot.mouseClick(change, Qt.MouseButton.LeftButton)

    assert form.input_problems() == {}
    assert form.values()["day"] == "2026-01-02"
