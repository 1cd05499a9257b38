"""`$ref` in forms: titles beside a reference, recursion on demand, cycles."""

import copy
from typing import Any

from PySide6.QtCore import Qt

from app.manifest import Manifest, Script, load_manifest
from app.validation import field_errors
from widgets.fields.recursion import ReferenceEditor
from widgets.form import ReportForm

DEFINITIONS = {
    "rule": {
        "type": "object",
        "title": "Rule",
        "properties": {
            "speed": {"type": "string", "title": "Speed"},
            "and_then": {"$ref": "#/definitions/rule", "title": "Next rule"},
        },
    },
    "node": {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "children": {"type": "array", "items": {"$ref": "#/definitions/node"}},
        },
    },
    "span": {"type": "string", "title": "Span", "description": "Days back"},
    "self": {"$ref": "#/definitions/self"},
    "ping": {"$ref": "#/definitions/pong"},
    "pong": {"$ref": "#/definitions/ping"},
}


def script_entry(name: str, properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "script": name,
        "title": name.title(),
        "schedule": False,
        "parameters_schema": {"type": "object", "properties": properties},
    }


def manifest() -> Manifest:
    return load_manifest(
        {
            "definitions": copy.deepcopy(DEFINITIONS),
            "scripts": [
                script_entry("rules", {"first": {"$ref": "#/definitions/rule"}}),
                script_entry("tree", {"root": {"$ref": "#/definitions/node"}}),
                script_entry(
                    "periods",
                    {
                        "current": {
                            "$ref": "#/definitions/span",
                            "title": "Comparison period",
                        },
                        "baseline": {
                            "$ref": "#/definitions/span",
                            "title": "Base period",
                            "description": "Days before the comparison",
                        },
                        "plain": {"$ref": "#/definitions/span"},
                    },
                ),
                script_entry("itself", {"x": {"$ref": "#/definitions/self"}}),
                script_entry("loop", {"y": {"$ref": "#/definitions/ping"}}),
            ],
        },
        source="recursion test",
    )


def script(name: str) -> Script:
    found = manifest().script(name)
    assert found is not None
    return found


def make_form(qtbot: Any, schema: dict[str, Any]) -> ReportForm:
    form = ReportForm()
    qtbot.addWidget(form)
    form.resize(700, 900)
    form.set_schema(schema)
    form.show()
    return form


def paths(form: ReportForm) -> list[str]:
    return [editor.spec.path for editor in form.rows.editors()]


def click(qtbot: Any, button: Any) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


# --- Titles beside a reference -----------------------------------------------------


def test_a_title_beside_a_reference_is_shown_and_the_target_is_unchanged(qtbot):
    loaded = manifest()
    periods = loaded.script("periods")
    assert periods is not None
    form = make_form(qtbot, periods.schema)

    labels = {row.spec.name: row.label.text() for row in form.rows.rows}
    assert labels == {
        "current": "Comparison period",
        "baseline": "Base period",
        "plain": "Span",
    }
    assert form.editor("baseline").spec.description == "Days before the comparison"
    assert form.editor("current").spec.description == "Days back"
    assert loaded.definitions["span"] == DEFINITIONS["span"]


# --- Reference loops ---------------------------------------------------------


def test_reference_loops_are_manifest_errors_naming_the_pointers():
    loaded = manifest()

    problems = {
        s.script: [str(p) for p in s.problems if p.severity == "error"]
        for s in loaded.scripts
    }
    assert problems["itself"] == [
        "the references form a cycle: #/definitions/self -> #/definitions/self "
        "(/scripts/3/parameters_schema/properties/x)"
    ]
    assert problems["loop"] == [
        "the references form a cycle: #/definitions/ping -> #/definitions/pong "
        "-> #/definitions/ping (/scripts/4/parameters_schema/properties/y)"
    ]
    usable = {s.script for s in loaded.scripts if s.usable}
    assert usable == {"rules", "tree", "periods"}


# --- Recursion on demand --------------------------------------------------------------


def test_a_recursive_field_is_built_one_level_per_click(qtbot):
    form = make_form(qtbot, script("rules").schema)
    assert paths(form) == ["first", "first/speed", "first/and_then"]
    more = form.editor("first/and_then")
    assert isinstance(more, ReferenceEditor)
    assert more.add.text() == "Add Next rule"
    assert form.values() == {}

    click(qtbot, more.add)
    assert paths(form) == [
        "first",
        "first/speed",
        "first/and_then",
        "first/and_then",
        "first/and_then/speed",
        "first/and_then/and_then",
    ]
    assert more.inner.box.title() == "Next rule"
    qtbot.keyClicks(form.editor("first/and_then/speed").line, "80")
    assert form.values() == {"first": {"and_then": {"speed": "80"}}}

    click(qtbot, more.remove)
    assert form.values() == {}
    assert more.add.isVisible()


def test_deep_values_build_just_the_levels_they_need_and_load_back(qtbot):
    schema = script("rules").schema
    form = make_form(qtbot, schema)
    data: dict[str, Any] = {"speed": "last"}
    for level in range(25):
        data = {"speed": str(level), "and_then": data}

    form.set_values({"first": data})

    assert form.values() == {"first": data}
    # The first group and its two fields, then for each level built below
    # it: the level's group, its speed, and its button for the next one.
    assert len(paths(form)) == 3 + 25 * 3
    assert form.editor("first/" + "and_then/" * 25 + "and_then").inner is None
    assert field_errors(script("rules").validation_schema, form.values()) == {}
    form.set_values({})
    assert paths(form) == ["first", "first/speed", "first/and_then"]


def test_a_tree_of_lists_builds_in_bounded_time_and_loads_back(qtbot):
    tree = script("tree")
    form = make_form(qtbot, tree.schema)
    assert len(paths(form)) <= 4

    data = {
        "root": {
            "name": "fleet",
            "children": [
                {"name": "north", "children": [{"name": "truck 1"}]},
                {"name": "south"},
            ],
        }
    }
    form.set_values(data)

    assert form.values() == data
    assert field_errors(tree.validation_schema, form.values()) == {}


def test_a_reference_the_form_cannot_follow_says_so(qtbot):
    schema = {"properties": {"x": {"$ref": "#/definitions/missing", "title": "X"}}}
    form = make_form(qtbot, schema)
    editor = form.editor("x")

    click(qtbot, editor.add)

    assert editor.inner is None
    assert editor.note.text().startswith("X cannot be shown: its definition")
    assert not editor.add.isEnabled()
    assert form.values() == {}
