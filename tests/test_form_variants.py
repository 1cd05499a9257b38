"""oneOf and anyOf of objects: a choice of variant that swaps the fields."""

from typing import Any

from PySide6.QtCore import Qt

from app.validation import field_errors
from widgets.form import ReportForm

ROUTE = {
    "type": "object",
    "properties": {"title": {"type": "string", "title": "Title"}},
    "oneOf": [
        {
            "title": "By vehicle",
            "properties": {"vehicle_name": {"type": "string", "title": "Vehicle"}},
            "required": ["vehicle_name"],
        },
        {
            "title": "By depot",
            "properties": {
                "depot": {"type": "string", "title": "Depot"},
                "radius_km": {"type": "integer", "default": 5},
            },
            "required": ["depot"],
        },
    ],
}
SHAPES = {
    "type": "object",
    "anyOf": [
        {
            "properties": {
                "kind": {"const": "circle"},
                "radius": {"type": "string", "minLength": 3},
            },
            "required": ["kind"],
        },
        {
            "properties": {
                "kind": {"const": "square"},
                "side": {"type": "string", "minLength": 3},
            },
            "required": ["kind"],
        },
    ],
}


def make_form(qtbot: Any, schema: dict[str, Any]) -> ReportForm:
    form = ReportForm()
    qtbot.addWidget(form)
    form.resize(700, 900)
    form.set_schema(schema)
    form.show()
    return form


def shown(rows: Any) -> list[str]:
    return [row.spec.name for row in rows.rows]


def pick_variant(qtbot: Any, rows: Any, text: str) -> None:
    combo = rows.chooser.combo
    combo.setFocus()
    index = combo.findText(text)
    assert index >= 0, text
    combo.setCurrentIndex(index)
    qtbot.keyClick(combo, Qt.Key.Key_Tab)


def type_in(qtbot: Any, form: ReportForm, path: str, text: str) -> None:
    line = form.editor(path).line
    line.selectAll()
    qtbot.keyClicks(line, text)


def test_variants_are_a_labelled_choice_of_their_titles(qtbot):
    form = make_form(qtbot, ROUTE)

    assert form.rows.chooser.labels() == ["By vehicle", "By depot"]
    assert form.rows.chooser.combo.currentText() == "By vehicle"
    assert shown(form.rows) == ["title", "vehicle_name"]
    assert form.rows.row("vehicle_name").label.text() == "Vehicle *"


def test_choosing_a_variant_swaps_the_fields_and_values(qtbot):
    form = make_form(qtbot, ROUTE)
    type_in(qtbot, form, "title", "Monday")
    type_in(qtbot, form, "vehicle_name", "Truck 7")
    assert form.values() == {"title": "Monday", "vehicle_name": "Truck 7"}

    pick_variant(qtbot, form.rows, "By depot")
    assert shown(form.rows) == ["title", "depot", "radius_km"]
    type_in(qtbot, form, "depot", "North")

    assert form.values() == {"title": "Monday", "depot": "North", "radius_km": 5}
    assert field_errors(ROUTE, form.values()) == {}

    pick_variant(qtbot, form.rows, "By vehicle")
    assert form.values() == {"title": "Monday", "vehicle_name": "Truck 7"}


def test_loading_values_picks_the_variant_they_validate_against(qtbot):
    form = make_form(qtbot, ROUTE)
    data = {"title": "T", "depot": "South", "radius_km": 3}

    form.set_values(data)

    assert form.rows.chooser.combo.currentText() == "By depot"
    assert form.values() == data
    form.set_values(form.values())
    assert form.values() == data

    form.set_values({"vehicle_name": "Van 2"})
    assert form.rows.chooser.combo.currentText() == "By vehicle"
    assert form.values() == {"vehicle_name": "Van 2"}


def test_untitled_variants_are_numbered_and_broken_data_comes_back(qtbot):
    form = make_form(qtbot, SHAPES)
    assert form.rows.chooser.labels() == ["Option 1", "Option 2"]
    assert form.values() == {"kind": "circle"}

    # Too short for its schema: no variant validates; its constant tells.
    data = {"kind": "square", "side": "ab"}
    form.set_values(data)

    assert form.rows.chooser.combo.currentText() == "Option 2"
    assert form.values() == data
    errors = field_errors(SHAPES, data)
    form.set_errors(errors)
    assert errors == {"side": "must have at least 3 characters"}
    assert form.rows.row("side").error.text() == "must have at least 3 characters"


def test_a_choice_of_constants_with_titles_stays_a_plain_choice(qtbot):
    schema = {
        "properties": {
            "unit": {
                "oneOf": [
                    {"const": "km", "title": "Kilometres"},
                    {"const": "mi", "title": "Miles"},
                ]
            }
        }
    }
    form = make_form(qtbot, schema)

    editor = form.editor("unit")
    assert editor.spec.kind == "choice"
    assert [editor.combo.itemText(i) for i in (1, 2)] == ["Kilometres", "Miles"]
    assert getattr(form.rows, "chooser", None) is None


def test_variants_of_a_nested_group_swap_inside_its_box(qtbot):
    schema = {
        "type": "object",
        "properties": {
            "area": {
                "type": "object",
                "title": "Area",
                "anyOf": [
                    {"title": "Circle", "properties": {"radius": {"type": "string"}}},
                    {"title": "Box", "properties": {"corner": {"type": "string"}}},
                ],
            }
        },
        "required": ["area"],
    }
    form = make_form(qtbot, schema)
    group = form.editor("area")

    assert group.rows.chooser.labels() == ["Circle", "Box"]
    pick_variant(qtbot, group.rows, "Box")
    type_in(qtbot, form, "area/corner", "1,2")

    assert form.values() == {"area": {"corner": "1,2"}}
    form.set_values({"area": {"radius": "9"}})
    assert group.rows.chooser.combo.currentText() == "Circle"
    assert form.values() == {"area": {"radius": "9"}}


def test_alternatives_pinned_to_a_field_follow_that_field(qtbot):
    pets = "Do you have any pets?"
    schema = {
        "type": "object",
        "properties": {pets: {"enum": ["No", "Yes"], "default": "No"}},
        "required": [pets],
        "dependencies": {
            pets: {
                "oneOf": [
                    {"properties": {pets: {"enum": ["No"]}}},
                    {
                        "properties": {
                            pets: {"enum": ["Yes"]},
                            "age": {"type": "string", "title": "Pet's age"},
                        },
                        "required": ["age"],
                    },
                ]
            }
        },
    }
    form = make_form(qtbot, schema)
    assert getattr(form.rows, "chooser", None) is None
    assert shown(form.rows) == [pets]

    combo = form.editor(pets).combo
    combo.setCurrentIndex(combo.findText("Yes"))

    assert shown(form.rows) == [pets, "age"]
    assert form.rows.row("age").label.text() == "Pet's age *"
    # The field that chose keeps both of its choices.
    assert [combo.itemText(i) for i in range(combo.count())][-2:] == ["No", "Yes"]
