"""References by `$id` to schemas kept in `$defs` or `definitions` (bundles)."""

from app.manifest import load_manifest
from app.validation import field_errors

BUNDLE = {
    "$id": "https://reports.test/schemas/idling",
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$defs": {
        "https://reports.test/schemas/minutes": {
            "$id": "https://reports.test/schemas/minutes",
            "type": "integer",
            "minimum": 1,
        },
        "limit": {"$ref": "/schemas/minutes", "title": "Idle limit"},
    },
    "type": "object",
    "properties": {"limit": {"$ref": "#/$defs/limit"}},
}


def one_script(schema, definitions=None):
    document = {"scripts": [{"script": "s", "title": "S", "parameters_schema": schema}]}
    if definitions is not None:
        document["definitions"] = definitions
    return load_manifest(document, source="test").scripts[0]


def test_a_reference_by_id_into_defs_is_followed():
    script = one_script(BUNDLE)

    assert script.usable, [str(p) for p in script.problems]
    limit = script.schema["properties"]["limit"]
    assert (limit["type"], limit["minimum"], limit["title"]) == (
        "integer",
        1,
        "Idle limit",
    )
    assert field_errors(script.validation_schema, {"limit": 0}) == {
        "limit": "must be at least 1"
    }
    assert field_errors(script.validation_schema, {"limit": 5}) == {}


def test_a_reference_by_id_into_draft_7_definitions_is_followed():
    schema = {
        "$id": "https://reports.test/schemas/stops",
        "definitions": {
            "zone": {"$id": "zone", "type": "string", "enum": ["UTC", "EST"]},
        },
        "type": "object",
        "properties": {"zone": {"$ref": "zone"}},
    }

    script = one_script(schema)

    assert script.usable, [str(p) for p in script.problems]
    assert script.schema["properties"]["zone"]["enum"] == ["UTC", "EST"]


def test_an_unknown_id_still_points_to_nothing():
    schema = {**BUNDLE, "properties": {"limit": {"$ref": "/schemas/hours"}}}

    script = one_script(schema)

    assert not script.usable
    assert str(script.problems[0]).startswith(
        "the reference /schemas/hours points to nothing"
    )


def test_a_bundle_still_reaches_the_manifest_definitions():
    schema = {**BUNDLE, "properties": {"tz": {"$ref": "#/definitions/tz"}}}

    script = one_script(schema, definitions={"tz": {"type": "string", "title": "Zone"}})

    assert script.usable, [str(p) for p in script.problems]
    assert script.schema["properties"]["tz"]["title"] == "Zone"


def test_an_id_that_is_not_text_is_a_problem_of_its_script_only():
    broken = {"$defs": {"x": {"$id": 5, "type": "string"}}, "type": "object"}
    document = {
        "scripts": [
            {"script": "broken", "title": "B", "parameters_schema": broken},
            {"script": "fine", "title": "F", "parameters_schema": BUNDLE},
        ]
    }

    broken_script, fine = load_manifest(document, source="test").scripts

    assert not broken_script.usable
    assert "cannot be read" in str(broken_script.problems[0])
    assert fine.usable
