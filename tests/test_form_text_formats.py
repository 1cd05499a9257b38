"""Single values in the report form: text rules, formats, numbers and null."""

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel

from app.form_scalars import is_uri, pattern_message, read_time, time_value
from app.forms import form_fields
from app.validation import field_errors
from widgets.form import ReportForm


def schema_of(properties: dict[str, Any], required=()) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": list(required)}


def make_form(qtbot, schema: dict[str, Any]) -> ReportForm:
    form = ReportForm()
    qtbot.addWidget(form)
    form.resize(700, 900)
    form.set_schema(schema)
    form.show()
    qtbot.waitExposed(form)
    form.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is form)
    return form


def type_into(qtbot, line, text: str) -> None:
    line.setFocus()
    line.selectAll()
    qtbot.keyClicks(line, text)


def check(form: ReportForm, schema: dict[str, Any]) -> dict[str, str]:
    """What the report page does on each edit: check, then show the errors."""
    errors = field_errors(schema, form.values())
    errors.update(form.input_problems())
    form.set_errors(errors)
    return errors


def shown(form: ReportForm) -> list[str]:
    return [
        label.text()
        for label in form.findChildren(QLabel)
        if label.isVisible() and label.text()
    ]


# --- Text --------------------------------------------------------------------------

CODE = {
    "type": "string",
    "title": "Depot code",
    "pattern": "^[A-Z]{3}$",
    "examples": ["MAD", "BCN"],
}


def test_a_pattern_is_told_by_an_example_and_shown_to_authors(qtbot):
    schema = schema_of({"code": CODE})
    form = make_form(qtbot, schema)
    line = form.editor("code").line

    assert line.placeholderText() == "e.g. MAD"
    assert "Pattern: ^[A-Z]{3}$" in line.toolTip()
    qtbot.keyClicks(line, "mad")
    assert check(form, schema) == {"code": "must look like: MAD"}
    assert "must look like: MAD" in shown(form)

    type_into(qtbot, line, "MAD")
    assert check(form, schema) == {}
    assert form.values() == {"code": "MAD"}


@pytest.mark.parametrize(
    ("schema", "message"),
    [
        ({"examples": ["x", "ABC"]}, "must look like: ABC"),
        (
            {"description": "Three capital letters"},
            "must look like: Three capital letters",
        ),
        ({}, "must look like: ^[A-Z]{3}$"),
    ],
)
def test_a_pattern_message_uses_what_the_schema_offers(schema, message):
    assert pattern_message("^[A-Z]{3}$", schema) == message
    full = schema_of({"code": {"type": "string", "pattern": "^[A-Z]{3}$", **schema}})
    assert field_errors(full, {"code": "abcd"}) == {"code": message}


def test_text_longer_than_its_limit_is_kept_whole_and_said_too_long(qtbot):
    name = {"type": "string", "minLength": 2, "maxLength": 5}
    schema = schema_of({"name": name})
    form = make_form(qtbot, schema)
    line = form.editor("name").line

    qtbot.keyClicks(line, "a")
    assert check(form, schema) == {"name": "must have at least 2 characters"}
    type_into(qtbot, line, "abcdefg")
    assert form.values() == {"name": "abcdefg"}
    assert check(form, schema) == {"name": "must have at most 5 characters"}

    form.set_values({"name": "a much longer name"})
    assert form.values() == {"name": "a much longer name"}


def test_text_given_as_another_type_comes_back_as_given(qtbot):
    schema = schema_of({"name": {"type": "string"}})
    form = make_form(qtbot, schema)

    form.set_values({"name": 42})
    assert form.editor("name").line.text() == "42"
    assert form.values() == {"name": 42}
    assert check(form, schema) == {"name": "must be text"}

    qtbot.keyClicks(form.editor("name").line, "1")
    assert form.values() == {"name": "421"}


@pytest.mark.parametrize(
    ("fmt", "bad", "good", "message", "placeholder"),
    [
        ("email", "ops", "ops@example.org", "must be an email address", "name@"),
        (
            "uri",
            "example dot org",
            "https://example.org/fleet",
            "must be a web address, like https://example.org/page",
            "https://",
        ),
    ],
)
def test_emails_and_addresses_are_checked_in_plain_words(
    qtbot, fmt, bad, good, message, placeholder
):
    schema = schema_of({"field": {"type": "string", "format": fmt}})
    form = make_form(qtbot, schema)
    line = form.editor("field").line
    assert line.placeholderText().startswith(placeholder)

    qtbot.keyClicks(line, bad)
    assert check(form, schema) == {"field": message}
    type_into(qtbot, line, good)
    assert check(form, schema) == {}


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("https://example.org", True),
        ("mailto:ops@example.org", True),
        ("urn:isbn:0451450523", True),
        ("https://", False),
        ("example.org", False),
        ("http://exa mple.org", False),
        ("", False),
    ],
)
def test_web_addresses_need_a_scheme_and_no_spaces(text, ok):
    assert is_uri(text) is ok


def test_read_only_text_is_shown_and_sent_but_not_editable(qtbot):
    schema = schema_of(
        {
            "site": {"type": "string", "readOnly": True, "default": "north"},
            "note": {"type": "string", "readOnly": True},
            "limit": {"type": "integer", "readOnly": True, "default": 7},
        }
    )
    form = make_form(qtbot, schema)
    line = form.editor("site").line

    assert line.text() == "north"
    assert line.isReadOnly()
    qtbot.keyClicks(line, "x")
    assert form.editor("limit").spin.isReadOnly()
    assert form.values() == {"site": "north", "limit": 7}


def test_defaults_fill_a_new_form(qtbot):
    schema = schema_of(
        {
            "name": {"type": "string", "default": "Depot"},
            "ratio": {"type": "number", "default": 0.5},
            "when": {"type": "string", "format": "time", "default": "06:00:00"},
        }
    )
    form = make_form(qtbot, schema)
    assert form.values() == {"name": "Depot", "ratio": 0.5, "when": "06:00:00"}


# --- Dates and times -----------------------------------------------------------------


def test_each_format_gets_its_editor():
    fields = form_fields(
        schema_of(
            {
                "day": {"type": "string", "format": "date"},
                "at": {"type": "string", "format": "date-time"},
                "time": {"type": "string", "format": "time"},
                "mail": {"type": "string", "format": "email"},
            }
        )
    )
    assert [f.kind for f in fields] == ["date", "datetime", "time", "text"]


def test_a_time_is_typed_loosely_and_sent_as_hh_mm_ss(qtbot):
    schema = schema_of({"start": {"type": "string", "format": "time"}})
    form = make_form(qtbot, schema)
    line = form.editor("start").line
    assert line.placeholderText() == "08:30:00"
    assert form.values() == {}

    qtbot.keyClicks(line, "8:5")
    assert form.values() == {"start": "08:05:00"}
    qtbot.keyClick(line, Qt.Key.Key_Return)
    assert line.text() == "08:05:00"
    assert check(form, schema) == {}

    # Up and Down step the part under the cursor, around midnight.
    line.setCursorPosition(0)
    for _ in range(16):
        qtbot.keyClick(line, Qt.Key.Key_Up)
    assert form.values() == {"start": "00:05:00"}
    line.setCursorPosition(4)
    qtbot.keyClick(line, Qt.Key.Key_Down)
    assert form.values() == {"start": "00:04:00"}


def test_text_that_is_not_a_time_is_told_at_the_field(qtbot):
    schema = schema_of({"start": {"type": "string", "format": "time"}})
    form = make_form(qtbot, schema)

    qtbot.keyClicks(form.editor("start").line, "25:00")
    assert form.values() == {"start": "25:00"}
    message = "is not a time of day: type it like 08:30:00"
    assert check(form, schema)["start"] == message
    assert message in shown(form)


def test_a_time_given_with_an_offset_is_sent_as_given(qtbot):
    schema = schema_of({"start": {"type": "string", "format": "time"}})
    form = make_form(qtbot, schema)

    form.set_values({"start": "10:00:00.5+02:00"})
    assert form.values() == {"start": "10:00:00.5+02:00"}
    assert check(form, schema) == {}


@pytest.mark.parametrize(
    ("text", "sent"),
    [
        ("08:30:00", "08:30:00"),
        ("8:30", "08:30:00"),
        ("08:30", "08:30"),
        ("23:59:59Z", "23:59:59Z"),
        ("0830", None),
        ("24:00", None),
        ("noon", None),
    ],
)
def test_times_are_read_as_people_type_them(text, sent):
    assert time_value(text) == sent
    assert (read_time(text) is not None) is (sent is not None)


def test_dates_and_date_times_are_sent_as_typed(qtbot):
    schema = schema_of(
        {
            "day": {"type": "string", "format": "date"},
            "at": {"type": "string", "format": "date-time"},
        },
        required=["day", "at"],
    )
    form = make_form(qtbot, schema)
    type_into(qtbot, form.editor("day").edit, "2026-02-28")
    type_into(qtbot, form.editor("at").edit, "2026-02-28 23:30")

    assert form.values() == {"day": "2026-02-28", "at": "2026-02-28T23:30:00"}
    assert check(form, schema) == {}


def test_dates_and_times_given_as_other_types_come_back_as_given(qtbot):
    schema = schema_of(
        {
            "day": {"type": "string", "format": "date"},
            "at": {"type": "string", "format": "date-time"},
            "start": {"type": "string", "format": "time"},
        }
    )
    form = make_form(qtbot, schema)
    given = {"day": 20260301, "at": ["2026-03-01"], "start": 830}

    form.set_values(given)
    assert form.values() == given
    assert form.editor("start").line.text() == "830"
    errors = check(form, schema)
    assert errors["start"] == "is not a time of day: type it like 08:30:00"
    assert errors["day"] == "is not a date: type it like 2026-11-02"

    type_into(qtbot, form.editor("start").line, "8:30")
    assert form.values()["start"] == "08:30:00"


# --- Numbers -----------------------------------------------------------------------


NUMBERS = schema_of(
    {
        "low": {"type": "integer", "minimum": 1, "maximum": 10},
        "ratio": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
        "step": {"type": "integer", "multipleOf": 5},
        "half": {"type": "number", "multipleOf": 0.5},
    }
)


@pytest.mark.parametrize(
    ("values", "errors"),
    [
        ({"low": 0}, {"low": "must be at least 1"}),
        ({"low": 11}, {"low": "must be at most 10"}),
        ({"ratio": 0}, {"ratio": "must be more than 0"}),
        ({"ratio": 1}, {"ratio": "must be less than 1"}),
        ({"step": 7}, {"step": "must be a multiple of 5"}),
        ({"half": 0.3}, {"half": "must be a multiple of 0.5"}),
        ({"low": 10, "ratio": 0.99, "step": 15, "half": 2.5}, {}),
    ],
)
def test_number_rules_are_said_in_plain_words(values, errors):
    assert field_errors(NUMBERS, values) == errors


def test_number_boxes_keep_within_their_rules(qtbot):
    form = make_form(qtbot, NUMBERS)

    type_into(qtbot, form.editor("low").spin, "99")
    assert form.values()["low"] == 9
    type_into(qtbot, form.editor("ratio").spin, "1")
    qtbot.keyClick(form.editor("ratio").spin, Qt.Key.Key_Return)
    assert "ratio" not in form.values()

    step = form.editor("step").spin
    step.setFocus()
    qtbot.keyClick(step, Qt.Key.Key_Up)
    qtbot.keyClick(step, Qt.Key.Key_Up)
    assert form.values()["step"] == 5
    half = form.editor("half").spin
    half.setFocus()
    qtbot.keyClick(half, Qt.Key.Key_Up)
    qtbot.keyClick(half, Qt.Key.Key_Up)
    assert form.values()["half"] == 0.5
    assert check(form, NUMBERS) == {}


def test_numbers_the_boxes_cannot_hold_come_back_as_given(qtbot):
    form = make_form(qtbot, NUMBERS)
    given = {"low": 11, "ratio": "half", "step": 7, "half": 0.3}

    form.set_values(given)
    assert form.values() == given
    assert form.editor("low").spin.text() == "11"
    assert form.editor("ratio").spin.text() == '"half"'
    assert check(form, NUMBERS) == {
        "low": "must be at most 10",
        "ratio": "must be a number",
        "step": "must be a multiple of 5",
        "half": "must be a multiple of 0.5",
    }

    low = form.editor("low").spin
    low.setFocus()
    qtbot.keyClick(low, Qt.Key.Key_Up)
    assert form.values()["low"] == 1
    qtbot.keyClick(low, Qt.Key.Key_Down)
    assert "low" not in form.values()
    assert low.text() == "Not set"
    ratio = form.editor("ratio").spin
    type_into(qtbot, ratio, "0.5")
    assert form.values()["ratio"] == 0.5


# --- Null ----------------------------------------------------------------------------


def test_a_null_field_shows_empty_and_sends_null_when_it_must(qtbot):
    schema = schema_of(
        {
            "note": {"type": "null", "title": "Note"},
            "needed": {"type": "null"},
            "given": {"type": "null", "default": None},
        },
        required=["needed"],
    )
    form = make_form(qtbot, schema)
    line = form.editor("note").line

    assert line.placeholderText() == "(empty)"
    assert line.isReadOnly()
    assert form.values() == {"needed": None, "given": None}
    assert check(form, schema) == {}

    form.set_values({"note": None, "needed": None})
    assert form.values() == {"note": None, "needed": None, "given": None}
    form.set_values({"note": "x", "needed": None})
    assert form.values()["note"] == "x"
    assert check(form, schema) == {"note": "must be empty"}


def test_a_nullable_field_is_its_type_with_a_box_for_null(qtbot):
    schema = schema_of(
        {
            "bio": {"type": ["string", "null"], "title": "Bio"},
            "age": {"type": ["integer", "null"], "default": None},
        }
    )
    form = make_form(qtbot, schema)
    bio, age = form.editor("bio"), form.editor("age")

    assert form.values() == {"age": None}
    assert age.null_box.isChecked()
    assert not age.inner.isEnabled()
    qtbot.keyClicks(bio.inner.line, "hello")
    assert form.values() == {"bio": "hello", "age": None}

    bio.null_box.setFocus()
    qtbot.keyClick(bio.null_box, Qt.Key.Key_Space)
    age.null_box.setFocus()
    qtbot.keyClick(age.null_box, Qt.Key.Key_Space)
    type_into(qtbot, age.inner.spin, "75")
    assert form.values() == {"bio": None, "age": 75}
    assert check(form, schema) == {}

    again = make_form(qtbot, schema)
    again.set_values(form.values())
    assert again.values() == {"bio": None, "age": 75}
    assert again.editor("bio").null_box.isChecked()
    again.set_values({})
    assert again.values() == {}
