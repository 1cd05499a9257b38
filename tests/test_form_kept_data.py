"""Data the form cannot show in its fields is kept and given back.

Three cases: keys no field takes (the Other values row), a schema whose
value is not an object (one field for the whole value), and a value a
check box or a list of choices cannot show (kept, read-only, with Change).
"""

import logging
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from app.manifest import is_object_form, run_blocker, takes_object
from app.validation import field_errors
from widgets.form import ReportForm


def make_form(qtbot, schema: dict[str, Any]) -> ReportForm:
    form = ReportForm()
    qtbot.addWidget(form)
    form.resize(700, 900)
    form.set_schema(schema)
    form.show()
    qtbot.waitExposed(form)
    return form


def check(form: ReportForm, schema: dict[str, Any]) -> dict[str, str]:
    errors = field_errors(schema, form.values())
    errors.update(form.input_problems())
    form.set_errors(errors)
    return errors


def visible_texts(form: ReportForm) -> str:
    return "\n".join(
        label.text()
        for label in form.findChildren(QLabel)
        if label.isVisible() and label.text()
    )


def press(qtbot, button) -> None:
    button.setFocus()
    qtbot.keyClick(button, Qt.Key.Key_Space)


# --- Other values ---------------------------------------------------------------

TAGGED = {
    "type": "object",
    "properties": {"name": {"type": "string"}},
    "additionalProperties": {"type": "string"},
}


def test_keys_the_schema_allows_come_back_from_the_other_values_row(qtbot):
    form = make_form(qtbot, TAGGED)
    assert form.other.isVisible()
    assert form.values() == {}

    form.set_values({"name": "Bus 4", "depot": "North", "shift": "late"})

    assert form.values() == {"name": "Bus 4", "depot": "North", "shift": "late"}
    assert '"depot": "North"' in form.other.text.toPlainText()
    assert form.editor("name").line.text() == "Bus 4"


def test_other_values_typed_by_the_user_are_sent(qtbot):
    form = make_form(qtbot, TAGGED)

    form.other.text.setFocus()
    qtbot.keyClicks(form.other.text, '{"depot": "South"}')

    assert form.values() == {"depot": "South"}
    assert check(form, TAGGED) == {}


def test_other_values_that_are_not_an_object_stop_run(qtbot):
    form = make_form(qtbot, TAGGED)

    form.other.text.setPlainText("[1, 2]")

    assert form.input_problems() == {
        "": 'Other values must be a JSON object such as {"name": "value"}'
    }
    check(form, TAGGED)
    assert "Other values must be a JSON object" in form.other.error.text()


def test_an_error_of_another_key_is_shown_on_the_other_values_row(qtbot):
    form = make_form(qtbot, TAGGED)
    form.set_values({"depot": 7})

    errors = check(form, TAGGED)

    assert errors == {"depot": "must be text"}
    assert form.other.error.text() == "depot: must be text"
    assert not form.message.isVisible()


def test_keys_the_schema_forbids_are_kept_with_their_error(qtbot):
    schema = {**TAGGED, "additionalProperties": False}
    form = make_form(qtbot, schema)
    assert not form.other.isVisible()

    form.set_values({"name": "Bus 4", "colour": "red"})

    assert form.values() == {"name": "Bus 4", "colour": "red"}
    check(form, schema)
    assert form.other.isVisible()
    assert form.other.error.text() == "colour: is not expected here"
    assert form.other.hint.text().startswith("Keys the schema does not allow")


def test_a_plain_object_shows_no_empty_other_values_row(qtbot):
    form = make_form(qtbot, {"type": "object", "properties": {"a": {"type": "string"}}})

    assert not form.other.isVisible()
    form.set_values({"a": "x", "b": 2})
    assert form.other.isVisible()
    assert form.values() == {"a": "x", "b": 2}


def test_a_group_keeps_the_keys_no_field_takes(qtbot):
    schema = {
        "type": "object",
        "properties": {
            "limits": {
                "type": "object",
                "properties": {"speed": {"type": "integer"}},
                "patternProperties": {"^zone_": {"type": "integer"}},
            }
        },
    }
    form = make_form(qtbot, schema)
    group = form.editor("limits")
    assert group.other.isVisible()

    form.set_values({"limits": {"speed": 80, "zone_school": 30}})

    assert form.values() == {"limits": {"speed": 80, "zone_school": 30}}
    form.set_values({"limits": {"speed": 80, "zone_school": "slow"}})
    check(form, schema)
    assert group.other.error.text() == "zone_school: must be a whole number"


# --- A value that is not an object ------------------------------------------------


def test_a_list_schema_is_one_field_for_the_whole_value(qtbot):
    schema = {"title": "Stops", "type": "array", "items": {"type": "string"}}
    form = make_form(qtbot, schema)
    editor = next(form.rows.editors())
    assert editor.spec.path == ""
    assert editor.spec.title == "Stops"

    form.set_values(["depot", "school"])

    assert form.values() == ["depot", "school"]
    assert [row.editor.line.text() for row in editor.items] == ["depot", "school"]


def test_a_text_schema_gives_its_text_and_its_default(qtbot):
    form = make_form(qtbot, {"type": "string", "default": "Chuck", "minLength": 8})
    assert form.values() == "Chuck"

    check(form, {"type": "string", "minLength": 8})
    assert "must have at least 8 characters" in visible_texts(form)
    form.set_values("")
    assert form.values() == ""


def test_a_schema_that_says_nothing_takes_any_value(qtbot):
    form = make_form(qtbot, {"title": "Anything"})

    form.set_values(1234)
    assert form.values() == 1234
    form.set_values({"a": [1]})
    assert form.values() == {"a": [1]}


def test_a_form_of_fields_given_something_else_keeps_it_and_does_not_raise(
    qtbot, caplog
):
    form = make_form(qtbot, TAGGED)

    with caplog.at_level(logging.WARNING):
        form.set_values(1234)

    assert form.values() == 1234
    assert "not an object" in caplog.text
    assert check(form, TAGGED) == {"": "must be a group of values"}
    assert form.message.isVisible()
    assert form.message.text() == "must be a group of values"

    form.editor("name").line.setText("Bus")
    assert form.values() == {"name": "Bus"}


def test_run_is_blocked_for_parameters_that_are_not_an_object():
    as_list = {"type": "array", "items": {"type": "string"}}

    assert not is_object_form(as_list)
    assert not takes_object(as_list)
    assert run_blocker(as_list, ["a"]) == (
        "Cannot run: the gateway takes a report's parameters as one JSON object "
        "of named values, and this report asks for a list. The report's "
        "manifest must be corrected."
    )
    assert run_blocker({}, 1234).endswith("not a number.")
    assert run_blocker({}, {"a": 1}) == ""
    assert run_blocker({"type": "object"}, {}) == ""
    assert is_object_form({"properties": {}})
    assert not is_object_form({"title": "Anything"})


# --- Values a check box or a list cannot show -------------------------------------

CHOICES = {
    "type": "object",
    "properties": {
        "active": {"type": "boolean"},
        "level": {"enum": ["low", None]},
        "days": {
            "type": "array",
            "uniqueItems": True,
            "items": {"enum": ["mon", "tue", "wed"]},
        },
    },
}


def test_a_check_box_keeps_a_value_that_is_not_true_or_false(qtbot, caplog):
    form = make_form(qtbot, CHOICES)
    active = form.editor("active")

    with caplog.at_level(logging.WARNING):
        form.set_values({"active": "wrong"})

    assert "active cannot show 'wrong'" in caplog.text
    assert form.values() == {"active": "wrong"}
    assert active.keeper.isVisible()
    assert not active.box.isVisible()
    assert active.keeper.line.text() == '"wrong"'
    assert active.keeper.line.isReadOnly()
    assert check(form, CHOICES) == {"active": "must be true or false"}
    assert "must be true or false" in visible_texts(form)

    press(qtbot, active.keeper.change)
    assert active.box.isVisible()
    assert form.values() == {}
    qtbot.mouseClick(active.box, Qt.MouseButton.LeftButton)
    assert form.values() == {"active": True}


def test_emptying_a_ticked_optional_box_leaves_it_out(qtbot):
    form = make_form(qtbot, CHOICES)
    form.set_values({"active": True})

    form.set_values({})

    assert form.values() == {}


def test_a_null_choice_is_chosen_and_sent_as_null(qtbot):
    form = make_form(qtbot, CHOICES)

    form.set_values({"level": None})

    assert form.values() == {"level": None}
    assert form.editor("level").combo.currentText() == "null"


def test_a_list_keeps_a_value_not_among_its_choices(qtbot):
    form = make_form(qtbot, CHOICES)
    level = form.editor("level")

    form.set_values({"level": "high"})

    assert form.values() == {"level": "high"}
    assert level.keeper.line.text() == '"high"'
    assert not level.combo.isVisible()
    press(qtbot, level.keeper.change)
    assert level.combo.isVisible()
    assert form.values() == {}


def test_repeated_picks_are_kept_until_changed(qtbot):
    form = make_form(qtbot, CHOICES)
    days = form.editor("days")

    form.set_values({"days": ["mon", "mon", "tue"]})

    assert form.values() == {"days": ["mon", "mon", "tue"]}
    assert check(form, CHOICES) == {
        "days": "must not list the same item twice: item 2 is the same as item 1"
    }
    assert days.keeper.isVisible()
    assert not any(box.isVisible() for box in days.boxes)
    press(qtbot, days.keeper.change)
    assert form.values() == {"days": ["mon", "tue"]}
    assert [box.isChecked() for box in days.boxes] == [True, True, False]


def test_a_list_of_check_boxes_still_falls_back_to_json(qtbot):
    schema = {
        "type": "object",
        "properties": {"flags": {"type": "array", "items": {"type": "boolean"}}},
    }
    form = make_form(qtbot, schema)

    form.set_values({"flags": [True, "yes"]})

    assert form.values() == {"flags": [True, "yes"]}
    assert form.editor("flags").kept
