"""Lists in the report form: rows added, removed and moved as a user would."""

import logging
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel, QWidget

from app.form_arrays import can_add, can_remove, same_json, unique_message
from app.forms import form_fields
from app.validation import field_errors
from widgets.form import ReportForm

TAGS = {"type": "array", "title": "Tags", "items": {"type": "string"}}
BANDS = {
    "type": "array",
    "title": "Severity bands",
    "maxItems": 3,
    "items": {
        "type": "object",
        "title": "Band",
        "required": ["label"],
        "properties": {
            "label": {"type": "string", "maxLength": 5},
            "over": {"type": "number", "minimum": 0, "default": 10},
        },
    },
}


def make_form(qtbot, properties: dict[str, Any], required=()) -> ReportForm:
    form = ReportForm()
    qtbot.addWidget(form)
    form.resize(700, 900)
    schema = {"type": "object", "properties": properties, "required": list(required)}
    form.set_schema(schema)
    form.show()
    qtbot.waitExposed(form)
    form.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is form)
    return form


def schema_of(properties: dict[str, Any], required=()) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": list(required)}


def press(qtbot, button) -> None:
    """Tab-reachable buttons are pressed with Space, as from the keyboard."""
    button.setFocus()
    qtbot.keyClick(button, Qt.Key.Key_Space)


def type_into(qtbot, line, text: str) -> None:
    line.setFocus()
    line.selectAll()
    qtbot.keyClicks(line, text)


def show_errors(form: ReportForm, schema: dict[str, Any]) -> dict[str, str]:
    errors = field_errors(schema, form.values())
    errors.update(form.input_problems())
    form.set_errors(errors)
    return errors


# --- Lists of values ----------------------------------------------------------


def test_a_list_of_text_is_filled_moved_and_emptied_by_keyboard(qtbot):
    form = make_form(qtbot, {"tags": TAGS})
    tags = form.editor("tags")
    assert "tags" not in form.values()
    assert tags.empty_note.text() == "No items."

    press(qtbot, tags.add_button)
    qtbot.keyClicks(tags.items[0].editor.line, "north")
    press(qtbot, tags.add_button)
    qtbot.keyClicks(tags.items[1].editor.line, "south")
    assert form.values() == {"tags": ["north", "south"]}

    press(qtbot, tags.items[1].up)
    assert form.values() == {"tags": ["south", "north"]}
    # The focus follows the item moved; at the top, Up is off, so its text.
    assert not tags.items[0].up.isEnabled()
    assert tags.items[0].editor.line.hasFocus()

    press(qtbot, tags.items[0].down)
    assert form.values() == {"tags": ["north", "south"]}
    assert not tags.items[1].down.isEnabled()
    press(qtbot, tags.items[0].down)
    assert form.values() == {"tags": ["south", "north"]}

    press(qtbot, tags.items[0].remove)
    assert form.values() == {"tags": ["north"]}
    assert tags.items[0].remove.hasFocus()
    press(qtbot, tags.items[0].remove)
    assert "tags" not in form.values()
    assert tags.add_button.hasFocus()


def test_new_rows_are_reached_by_tab_after_the_rows_before(qtbot):
    form = make_form(
        qtbot, {"title": {"type": "string"}, "tags": TAGS, "last": {"type": "string"}}
    )
    tags = form.editor("tags")
    press(qtbot, tags.add_button)
    press(qtbot, tags.add_button)

    expected = [
        form.editor("title").line,
        *tags.focus_widgets(),
        form.editor("last").line,
    ]
    reached: list[QWidget] = []
    widget = expected[0]
    for _ in range(200):
        if widget in expected and widget not in reached:
            reached.append(widget)
        widget = widget.nextInFocusChain()
    assert reached == expected
    assert tags.focus_widgets()[0] is tags.items[0].editor.line
    assert tags.items[1].editor.line.hasFocus()


def test_min_and_max_items_turn_remove_and_add_off(qtbot):
    limited = {**TAGS, "minItems": 2, "maxItems": 3, "items": {"type": "integer"}}
    form = make_form(qtbot, {"ids": limited}, required=["ids"])
    ids = form.editor("ids")

    # A required list starts with its fewest items, which stay.
    assert len(ids.items) == 2
    assert not any(row.remove.isEnabled() for row in ids.items)
    press(qtbot, ids.add_button)
    assert len(ids.items) == 3
    assert not ids.add_button.isEnabled()
    assert all(row.remove.isEnabled() for row in ids.items)

    for row, number in zip(ids.items, "123", strict=True):
        type_into(qtbot, row.editor.spin, number)
    assert form.values() == {"ids": [1, 2, 3]}
    press(qtbot, ids.items[0].remove)
    assert form.values() == {"ids": [2, 3]}
    assert ids.add_button.isEnabled()


def test_a_required_list_starts_with_its_fewest_items_at_their_defaults(qtbot):
    thing = {
        "type": "object",
        "properties": {"name": {"type": "string", "default": "x"}},
    }
    things = {"type": "array", "minItems": 3, "items": thing}
    form = make_form(qtbot, {"things": things}, required=["things"])

    assert form.values() == {"things": [{"name": "x"}] * 3}
    assert [row.editor.box.title() for row in form.editor("things").items] == [
        "Item 1",
        "Item 2",
        "Item 3",
    ]


def test_items_that_may_be_null_show_and_send_null(qtbot):
    notes = {"type": "array", "items": {"type": ["string", "null"]}}
    form = make_form(qtbot, {"notes": notes})

    form.set_values({"notes": [None, "a"]})
    assert form.values() == {"notes": [None, "a"]}
    first = form.editor("notes/0")
    assert first.null_box.isChecked()
    press(qtbot, first.null_box)
    qtbot.keyClicks(first.inner.line, "b")
    assert form.values() == {"notes": ["b", "a"]}


def test_an_optional_list_with_min_items_starts_left_out_and_says_what_it_needs(
    qtbot,
):
    schema = schema_of({"ids": {**TAGS, "minItems": 2}})
    form = make_form(qtbot, schema["properties"])
    ids = form.editor("ids")
    assert form.values() == {}
    assert field_errors(schema, form.values()) == {}

    press(qtbot, ids.add_button)
    qtbot.keyClicks(ids.items[0].editor.line, "a")
    errors = show_errors(form, schema)
    assert errors == {"ids": "must have at least 2 items"}
    assert "must have at least 2 items" in visible_texts(form)


def test_an_empty_row_is_sent_as_null_and_says_it_is_empty(qtbot):
    schema = schema_of({"tags": TAGS})
    form = make_form(qtbot, schema["properties"])
    tags = form.editor("tags")
    press(qtbot, tags.add_button)
    press(qtbot, tags.add_button)
    qtbot.keyClicks(tags.items[1].editor.line, "x")

    assert form.values() == {"tags": [None, "x"]}
    assert show_errors(form, schema) == {"tags/0": "must be text"}
    assert tags.items[0].error.text() == "is empty: fill it in or remove it"
    assert tags.items[1].error.text() == ""


def test_a_repeated_item_is_an_error_at_the_list(qtbot):
    schema = schema_of({"tags": {**TAGS, "uniqueItems": True}})
    form = make_form(qtbot, schema["properties"])
    tags = form.editor("tags")
    for text in ("a", "b", "a"):
        press(qtbot, tags.add_button)
        qtbot.keyClicks(tags.items[-1].editor.line, text)

    message = "must not list the same item twice: item 3 is the same as item 1"
    assert show_errors(form, schema) == {"tags": message}
    assert message in visible_texts(form)

    press(qtbot, tags.items[2].remove)
    assert show_errors(form, schema) == {}
    assert message not in visible_texts(form)


def test_items_of_other_kinds_are_their_own_editors(qtbot):
    properties = {
        "days": {"type": "array", "items": {"type": "string", "format": "date"}},
        "limits": {"type": "array", "items": {"type": "number", "maximum": 9}},
        "flags": {"type": "array", "items": {"type": "boolean"}},
    }
    form = make_form(qtbot, properties)
    for name in properties:
        press(qtbot, form.editor(name).add_button)

    type_into(qtbot, form.editor("days/0").edit, "2026-03-01")
    type_into(qtbot, form.editor("limits/0").spin, "7")
    press(qtbot, form.editor("flags/0").box)
    assert form.values() == {"days": ["2026-03-01"], "limits": [7.0], "flags": [True]}


# --- Lists of groups, nested --------------------------------------------------


def test_a_list_of_groups_shows_titled_items_with_their_defaults(qtbot):
    schema = schema_of({"bands": BANDS})
    form = make_form(qtbot, schema["properties"])
    bands = form.editor("bands")
    assert bands.add_button.text() == "Add band"

    press(qtbot, bands.add_button)
    press(qtbot, bands.add_button)
    assert [row.editor.box.title() for row in bands.items] == ["Band 1", "Band 2"]
    assert form.values() == {"bands": [{"over": 10.0}, {"over": 10.0}]}

    qtbot.keyClicks(form.editor("bands/1/label").line, "high")
    press(qtbot, bands.items[1].up)
    assert form.values()["bands"][0] == {"label": "high", "over": 10.0}
    assert show_errors(form, schema) == {"bands/1/label": "is required"}
    (error,) = [t for t in visible_texts(form) if "required" in t]
    assert error == "is required"
    label = form.editor("bands/1/label").line
    assert label.accessibleDescription() == "is required"

    press(qtbot, bands.add_button)
    assert not bands.add_button.isEnabled()


def test_lists_inside_groups_inside_lists_give_their_paths(qtbot):
    inner = {"type": "array", "items": {"type": "string", "minLength": 2}}
    stops = {
        "type": "array",
        "items": {"type": "object", "properties": {"names": inner}},
    }
    schema = schema_of({"routes": {"type": "array", "items": stops}})
    form = make_form(qtbot, schema["properties"])

    press(qtbot, form.editor("routes").add_button)
    press(qtbot, form.editor("routes/0").add_button)
    press(qtbot, form.editor("routes/0").add_button)
    press(qtbot, form.editor("routes/0/1/names").add_button)
    qtbot.keyClicks(form.editor("routes/0/1/names/0").line, "x")

    assert form.values() == {"routes": [[{}, {"names": ["x"]}]]}
    assert show_errors(form, schema) == {
        "routes/0/1/names/0": "must have at least 2 characters"
    }
    assert "must have at least 2 characters" in visible_texts(form)


def test_lists_load_back_exactly_and_move_nested_values(qtbot):
    inner = {"type": "array", "items": {"type": "integer"}}
    schema = schema_of(
        {"rows": {"type": "array", "items": inner}, "bands": BANDS, "tags": TAGS}
    )
    given = {
        "rows": [[1, 2], [], [3]],
        "bands": [{"label": "a", "over": 1}, {"label": "b"}],
        "tags": [],
    }
    form = make_form(qtbot, schema["properties"])
    form.set_values(given)
    assert same_json(form.values(), given)

    press(qtbot, form.editor("rows").items[0].down)
    assert form.values()["rows"] == [[], [1, 2], [3]]
    other = make_form(qtbot, schema["properties"])
    other.set_values(form.values())
    assert same_json(other.values(), form.values())


def test_values_the_rows_cannot_show_are_kept_as_json(qtbot, caplog):
    schema = schema_of({"flags": {"type": "array", "items": {"type": "boolean"}}})
    form = make_form(qtbot, schema["properties"])
    flags = form.editor("flags")
    assert flags.json is None

    with caplog.at_level(logging.WARNING):
        form.set_values({"flags": [True, "yes", {"b": 1}]})
    assert "flags/1 cannot show 'yes'" in caplog.text
    assert form.values() == {"flags": [True, "yes", {"b": 1}]}
    assert flags.kept
    assert flags.json.isVisible()
    assert flags.json.note.text().startswith("Shown as JSON")
    assert show_errors(form, schema) == {
        "flags/1": "must be true or false",
        "flags/2": "must be true or false",
    }
    assert "item 2: must be true or false\nitem 3: must be true or false" in (
        visible_texts(form)
    )

    flags.json.text.setPlainText("[true, false]")
    press(qtbot, flags.to_list_button)
    assert not flags.kept
    assert form.values() == {"flags": [True, False]}
    assert [row.editor.box.isChecked() for row in flags.items] == [True, False]

    form.set_values({"flags": "not a list"})
    assert form.values() == {"flags": "not a list"}


def test_number_items_of_another_type_are_shown_and_sent_back(qtbot):
    schema = schema_of({"ids": {"type": "array", "items": {"type": "integer"}}})
    form = make_form(qtbot, schema["properties"])
    ids = form.editor("ids")

    form.set_values({"ids": [1, "two"]})
    assert form.values() == {"ids": [1, "two"]}
    assert not ids.kept
    assert [row.editor.spin.text() for row in ids.items] == ["1", '"two"']
    assert show_errors(form, schema) == {"ids/1": "must be a whole number"}


def test_text_items_of_another_type_are_shown_and_sent_back(qtbot):
    schema = schema_of({"tags": TAGS})
    form = make_form(qtbot, schema["properties"])
    tags = form.editor("tags")

    form.set_values({"tags": ["a", 5]})
    assert form.values() == {"tags": ["a", 5]}
    assert [row.editor.line.text() for row in tags.items] == ["a", "5"]
    assert show_errors(form, schema) == {"tags/1": "must be text"}

    type_into(qtbot, tags.items[1].editor.line, "6")
    assert form.values() == {"tags": ["a", "6"]}


def test_a_read_only_list_shows_its_items_but_cannot_change(qtbot):
    form = make_form(qtbot, {"tags": {**TAGS, "readOnly": True, "default": ["a"]}})
    tags = form.editor("tags")

    assert form.values() == {"tags": ["a"]}
    assert tags.items[0].editor.line.isReadOnly()
    assert not tags.add_button.isEnabled()
    assert not tags.items[0].remove.isEnabled()


def test_lists_of_pickers_are_given_the_names_loaded_before(qtbot):
    vehicles = {"type": "array", "items": {"type": "integer"}, "peg_type": "$vehicles"}
    fleets = {"type": "array", "items": vehicles}
    form = make_form(qtbot, {"fleets": fleets})
    assert form.resources_needed() == {"vehicles"}

    form.set_resource_choices("vehicles", [(7, "Truck 7")])
    press(qtbot, form.editor("fleets").add_button)
    assert form.editor("fleets/0").picker.visible_names() == ["Truck 7"]


# --- Arrays of enums, tuples --------------------------------------------------


def test_a_list_of_choices_stays_boxes_with_its_limits_checked(qtbot):
    choices = {
        "type": "array",
        "uniqueItems": True,
        "maxItems": 2,
        "items": {"type": "string", "enum": ["foo", "bar", "fuzz"]},
    }
    schema = schema_of({"pick": choices})
    form = make_form(qtbot, schema["properties"])
    pick = form.editor("pick")
    assert (form.specs()[0].kind, len(pick.boxes)) == ("multi_choice", 3)

    for box in pick.boxes:
        press(qtbot, box)
    assert form.values() == {"pick": ["foo", "bar", "fuzz"]}
    assert show_errors(form, schema) == {"pick": "must have at most 2 items"}
    press(qtbot, pick.boxes[1])
    assert show_errors(form, schema) == {}


def test_a_tuple_list_is_typed_as_json_and_says_why():
    tuples = {"type": "array", "items": [{"type": "string"}, {"type": "number"}]}
    prefix = {"type": "array", "prefixItems": [{"type": "string"}]}
    fields = form_fields(schema_of({"pair": tuples, "head": prefix}))

    assert [(f.kind, f.unsupported) for f in fields] == [
        ("json", "a list with its own kind of value at each position"),
        ("json", "a list with its own kind of value at each position"),
    ]


# --- The rules without Qt -----------------------------------------------------


@pytest.mark.parametrize(
    ("schema", "count", "required", "add", "remove"),
    [
        ({}, 0, False, True, False),
        ({"minItems": 2}, 2, True, True, False),
        ({"minItems": 2}, 2, False, True, True),
        ({"minItems": 2, "maxItems": 3}, 3, True, False, True),
        ({"maxItems": 0}, 0, False, False, False),
    ],
)
def test_limits_say_when_rows_can_be_added_and_removed(
    schema, count, required, add, remove
):
    assert can_add(schema, count) is add
    assert can_remove(schema, count, required) is remove


def test_repeats_are_named_as_json_compares_them():
    assert unique_message([1, True, 1.0]) == (
        "must not list the same item twice: item 3 is the same as item 1"
    )
    assert unique_message([{"a": 1, "b": 2}, {"b": 2, "a": 1}]).endswith(
        "item 2 is the same as item 1"
    )
    assert same_json([1, {"a": 2.0}], [1.0, {"a": 2}])
    assert not same_json([1], [True])


def test_an_items_template_gives_each_item_its_own_paths():
    (spec,) = form_fields(schema_of({"bands": BANDS}))
    assert spec.kind == "array"
    assert spec.item is not None
    assert spec.item.path == "bands/#"
    assert [c.path for c in spec.item.children] == ["bands/#/label", "bands/#/over"]


def visible_texts(form: ReportForm) -> list[str]:
    return [
        label.text()
        for label in form.findChildren(QLabel)
        if label.isVisible() and label.text()
    ]
