"""allOf, conditions, dependencies and optional groups in the report form."""

from typing import Any

import pytest
from PySide6.QtCore import Qt

from app.form_conditions import effective_schema
from app.forms import form_fields
from app.schema_merge import MergeError, merge_all_of
from app.validation import field_errors
from widgets.form import ReportForm


def make_form(qtbot: Any, schema: dict[str, Any]) -> ReportForm:
    form = ReportForm()
    qtbot.addWidget(form)
    form.resize(700, 900)
    form.set_schema(schema)
    form.show()
    return form


def shown(form: ReportForm) -> list[str]:
    return [row.spec.name for row in form.rows.rows]


def label(form: ReportForm, name: str) -> str:
    row = form.rows.row(name)
    assert row is not None, name
    assert row.label is not None, name
    return row.label.text()


def choose(qtbot: Any, form: ReportForm, path: str, text: str) -> None:
    combo = form.editor(path).combo
    combo.setFocus()
    combo.setCurrentIndex(combo.findText(text))
    qtbot.keyClick(combo, Qt.Key.Key_Tab)


def type_in(qtbot: Any, form: ReportForm, path: str, text: str) -> None:
    line = form.editor(path).line
    line.selectAll()
    qtbot.keyClicks(line, text)


# --- allOf ------------------------------------------------------------------------

LIMITS = {
    "type": "object",
    "properties": {
        "max_speed": {
            "title": "Speed limit",
            "allOf": [
                {"type": "number", "minimum": 10, "maximum": 200},
                {"type": "integer", "minimum": 30, "maximum": 250},
            ],
        }
    },
    "allOf": [
        {"properties": {"driver": {"type": "string"}}, "required": ["driver"]},
        {"properties": {"depot": {"type": "string"}}, "required": ["max_speed"]},
    ],
}


def test_all_of_is_one_field_with_the_tighter_bounds(qtbot):
    form = make_form(qtbot, LIMITS)

    assert shown(form) == ["max_speed", "driver", "depot"]
    speed = form.editor("max_speed").spec
    assert (speed.kind, speed.minimum, speed.maximum) == ("integer", 30, 200)
    assert label(form, "max_speed") == "Speed limit *"
    assert label(form, "driver") == "Driver *"
    assert label(form, "depot") == "Depot"


def test_all_of_that_contradicts_itself_is_json_saying_why():
    schema = {
        "properties": {
            "odd": {"allOf": [{"type": "string"}, {"type": "number"}]},
            "empty": {"allOf": [{"minimum": 10}, {"maximum": 5}]},
        }
    }

    odd, empty = form_fields(schema)

    assert odd.kind == "json"
    assert "must be text and a number at once" in odd.unsupported
    assert empty.kind == "json"
    assert "minimum 10 is more than maximum 5" in empty.unsupported


def test_all_of_keeps_conditions_apart_and_never_changes_its_input():
    written = {
        "allOf": [
            {"properties": {"a": {"type": "string", "maxLength": 9}}},
            {"properties": {"a": {"maxLength": 4}}, "if": {"required": ["a"]}},
        ]
    }
    before = repr(written)

    merged = merge_all_of(written)

    assert merged["properties"] == {"a": {"type": "string", "maxLength": 4}}
    assert merged["allOf"] == [{"if": {"required": ["a"]}}]
    assert repr(written) == before
    with pytest.raises(MergeError, match="no value is in both"):
        merge_all_of({"allOf": [{"enum": ["a", "b"]}, {"enum": ["c"]}]})


# --- if / then / else ---------------------------------------------------------------

DETAIL = {
    "type": "object",
    "properties": {
        "layout": {"title": "Layout", "enum": ["summary", "detailed"]},
        "title": {"type": "string"},
    },
    "if": {"properties": {"layout": {"const": "detailed"}}, "required": ["layout"]},
    "then": {
        "properties": {"columns": {"type": "string", "title": "Columns"}},
        "required": ["columns", "title"],
    },
    "else": {"properties": {"max_rows": {"type": "integer", "default": 50}}},
}


def test_then_and_else_show_hide_and_require_fields_as_values_change(qtbot):
    form = make_form(qtbot, DETAIL)
    assert shown(form) == ["layout", "title", "max_rows"]
    assert form.values() == {"max_rows": 50}
    assert label(form, "title") == "Title"

    choose(qtbot, form, "layout", "detailed")

    assert shown(form) == ["layout", "title", "columns"]
    assert label(form, "title") == "Title *"
    assert label(form, "columns") == "Columns *"
    assert form.values() == {"layout": "detailed"}
    assert field_errors(DETAIL, form.values()) == {
        "columns": "is required",
        "title": "is required",
    }


def test_a_hidden_field_is_not_sent_and_keeps_what_was_typed(qtbot):
    form = make_form(qtbot, DETAIL)
    choose(qtbot, form, "layout", "detailed")
    type_in(qtbot, form, "columns", "speed,place")
    type_in(qtbot, form, "title", "Week 12")

    choose(qtbot, form, "layout", "summary")
    assert form.values() == {"layout": "summary", "title": "Week 12", "max_rows": 50}
    assert form.editor("columns") is None

    choose(qtbot, form, "layout", "detailed")
    assert form.editor("columns").line.text() == "speed,place"
    assert form.values() == {
        "layout": "detailed",
        "title": "Week 12",
        "columns": "speed,place",
    }
    assert field_errors(DETAIL, form.values()) == {}


def test_a_field_rebuilt_as_required_keeps_its_typed_value(qtbot):
    form = make_form(qtbot, DETAIL)
    type_in(qtbot, form, "title", "Fleet")
    before = form.editor("title")

    choose(qtbot, form, "layout", "detailed")

    after = form.editor("title")
    assert after is not before
    assert after.line.text() == "Fleet"
    assert form.editor("layout") is form.rows.row("layout").editor


def test_values_with_a_condition_load_back_as_they_were(qtbot):
    form = make_form(qtbot, DETAIL)
    data = {"layout": "detailed", "title": "T", "columns": "c"}

    form.set_values(data)
    assert form.values() == data
    form.set_values(form.values())
    assert form.values() == data

    form.set_values({"layout": "summary", "max_rows": 7})
    assert shown(form) == ["layout", "title", "max_rows"]
    assert form.values() == {"layout": "summary", "max_rows": 7}


def test_the_effective_schema_follows_the_validator_on_empty_fields():
    # An `if` over a field left empty holds, as the checks decide it.
    schema = {
        "properties": {"mode": {"enum": ["a", "b"]}},
        "if": {"properties": {"mode": {"const": "a"}}},
        "then": {"properties": {"level": {"type": "integer"}}, "required": ["level"]},
    }

    assert effective_schema(schema, {})["required"] == ["level"]
    assert "level" not in effective_schema(schema, {"mode": "b"})["properties"]
    assert field_errors(schema, {}) == {"level": "is required"}


# --- dependencies ---------------------------------------------------------------------

PAYMENT = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "card": {"type": "string", "title": "Card number"},
        "billing": {"type": "string", "title": "Billing address"},
        "fax": {"type": "string"},
    },
    "dependentRequired": {"card": ["billing"]},
    "dependencies": {
        "name": ["fax"],
        "fax": {"properties": {"fax_cover": {"type": "string", "title": "Cover"}}},
    },
    "dependentSchemas": {
        "billing": {
            "properties": {"zip": {"type": "string", "title": "ZIP"}},
            "required": ["zip"],
        }
    },
}


def test_dependencies_require_and_add_fields_once_a_field_is_filled(qtbot):
    form = make_form(qtbot, PAYMENT)
    assert shown(form) == ["name", "card", "billing", "fax"]
    assert label(form, "billing") == "Billing address"

    type_in(qtbot, form, "card", "4111")
    assert label(form, "billing") == "Billing address *"
    type_in(qtbot, form, "billing", "Main St 1")
    assert shown(form) == ["name", "card", "billing", "fax", "zip"]
    assert label(form, "zip") == "ZIP *"

    type_in(qtbot, form, "name", "Ana")
    assert label(form, "fax") == "Fax *"
    type_in(qtbot, form, "fax", "555")
    assert "fax_cover" in shown(form)


def test_emptying_a_field_drops_what_depends_on_it(qtbot):
    form = make_form(qtbot, PAYMENT)
    type_in(qtbot, form, "billing", "Main St 1")
    type_in(qtbot, form, "zip", "1010")
    assert form.values() == {"billing": "Main St 1", "zip": "1010"}

    form.editor("billing").line.clear()

    assert "zip" not in shown(form)
    assert form.values() == {}


# --- Optional groups ---------------------------------------------------------

FILTERS = {
    "type": "object",
    "properties": {
        "title": {"type": "string"},
        "filter": {
            "type": "object",
            "title": "Speed filter",
            "properties": {
                "min_speed": {"type": "string", "title": "Lowest speed"},
                "unit": {"type": "string", "default": "kph"},
            },
            "required": ["min_speed"],
        },
    },
}


def test_an_untouched_optional_group_is_left_out_and_the_form_is_valid(qtbot):
    form = make_form(qtbot, FILTERS)

    group = form.editor("filter")
    assert group.box.title() == "Speed filter"
    assert form.editor("filter/unit").line.text() == "kph"
    assert form.values() == {}
    assert field_errors(FILTERS, form.values()) == {}
    assert form.input_problems() == {}
    form.set_errors(field_errors(FILTERS, form.values()))
    assert not form.message.isVisible()


def test_an_optional_group_counts_once_used_and_can_be_left_out_again(qtbot):
    form = make_form(qtbot, FILTERS)
    type_in(qtbot, form, "filter/unit", "mph")

    assert form.values() == {"filter": {"unit": "mph"}}
    errors = field_errors(FILTERS, form.values())
    assert errors == {"filter/min_speed": "is required"}
    form.set_errors(errors)
    assert form.editor("filter").rows.row("filter/min_speed").error.text() == (
        "is required"
    )

    qtbot.mouseClick(form.editor("filter").leave_out, Qt.MouseButton.LeftButton)
    assert form.values() == {}
    assert form.editor("filter/unit").line.text() == "kph"


def test_an_optional_group_given_values_loads_back_the_same(qtbot):
    form = make_form(qtbot, FILTERS)
    data = {"title": "x", "filter": {"min_speed": "20", "unit": "kph"}}

    form.set_values(data)
    assert form.values() == data
    form.set_values({"title": "x"})
    assert form.values() == {"title": "x"}


def test_groups_nest_to_any_depth_as_titled_boxes(qtbot):
    schema: dict[str, Any] = {"properties": {"leaf": {"type": "string"}}}
    for level in range(6):
        group = {**schema, "type": "object", "title": f"Level {level}"}
        schema = {"properties": {f"g{level}": group}, "required": [f"g{level}"]}
    form = make_form(qtbot, schema)

    path = "g5/g4/g3/g2/g1/g0"
    assert form.editor(path).box.title() == "Level 0 *"
    assert form.editor("g5").box.title() == "Level 5 *"
    type_in(qtbot, form, f"{path}/leaf", "deep")
    assert form.values() == {
        "g5": {"g4": {"g3": {"g2": {"g1": {"g0": {"leaf": "deep"}}}}}}
    }


def test_conditions_inside_all_of_each_apply_to_the_form(qtbot):
    schema = {
        "type": "object",
        "properties": {"kind": {"enum": ["truck", "van"]}},
        "allOf": [
            {
                "if": {
                    "properties": {"kind": {"const": "truck"}},
                    "required": ["kind"],
                },
                "then": {"properties": {"axles": {"type": "string"}}},
            },
            {
                "if": {"properties": {"kind": {"const": "van"}}, "required": ["kind"]},
                "then": {"properties": {"seats": {"type": "string"}}},
            },
        ],
    }
    form = make_form(qtbot, schema)
    assert shown(form) == ["kind"]

    choose(qtbot, form, "kind", "truck")
    assert shown(form) == ["kind", "axles"]
    choose(qtbot, form, "kind", "van")
    assert shown(form) == ["kind", "seats"]


def test_a_report_opened_again_gets_back_its_conditional_fields(qtbot):
    form = make_form(qtbot, DETAIL)
    choose(qtbot, form, "layout", "detailed")
    type_in(qtbot, form, "columns", "a,b")
    kept = form.state()

    form.set_schema(FILTERS)
    form.set_schema(DETAIL)
    form.restore(kept)

    assert form.values() == {"layout": "detailed", "columns": "a,b"}
    assert form.editor("columns").line.text() == "a,b"


def test_a_form_whose_own_all_of_contradicts_shows_the_rest_and_says_why(qtbot):
    schema = {
        "allOf": [
            {"properties": {"a": {"type": "string"}}},
            {"properties": {"a": {"type": "integer"}}},
            {"properties": {"b": {"type": "string"}}},
        ]
    }
    form = make_form(qtbot, schema)

    assert shown(form) == ["a", "b"]
    assert form.editor("a").spec.kind == "text"
    assert form.message.isVisible()
    assert form.message.text() == (
        "Some fields of this report cannot be shown: it has parts of it that "
        "cannot be combined (allOf): a: it must be text and a whole number at once."
    )
    form.set_errors({})
    assert form.message.text().startswith("Some fields of this report")


def test_tab_goes_to_a_field_that_just_appeared(qtbot):
    schema = {
        "type": "object",
        "properties": {
            "trip": {
                "type": "object",
                "title": "Trip",
                "properties": {"start": {"type": "string"}},
                "dependentSchemas": {
                    "start": {"properties": {"stop": {"type": "string"}}}
                },
            },
            "note": {"type": "string"},
        },
    }
    form = make_form(qtbot, schema)
    type_in(qtbot, form, "trip/start", "Depot")
    start = form.editor("trip/start").line
    start.setFocus()
    qtbot.waitUntil(start.hasFocus)

    qtbot.keyClick(start, Qt.Key.Key_Tab)

    assert form.editor("trip/stop").line.hasFocus()


def test_a_picker_shown_by_a_condition_offers_the_lists_already_loaded(qtbot):
    schema = {
        "type": "object",
        "properties": {"scope": {"enum": ["fleet", "chosen"]}},
        "if": {"properties": {"scope": {"const": "chosen"}}, "required": ["scope"]},
        "then": {
            "properties": {
                "vehicles": {
                    "type": "array",
                    "peg_type": "$vehicles",
                    "items": {"type": "integer"},
                }
            },
            "required": ["vehicles"],
        },
    }
    form = make_form(qtbot, schema)
    form.set_resource_choices("vehicles", [(1, "Truck 1"), (2, "Van 2")])

    choose(qtbot, form, "scope", "chosen")

    assert form.editor("vehicles").picker.visible_names() == ["Truck 1", "Van 2"]
    assert form.resources_needed() == {"vehicles"}
