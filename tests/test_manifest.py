"""Loading manifests: both $ref forms, categories, and broken manifests."""

import json
from pathlib import Path

import pytest

from app.manifest import CATEGORIES, OTHER_LABEL, group_by_category, load_manifest
from app.validation import field_errors

# A copy of the shared manifest corpus, so a clean clone tests on its own.
CORPUS = Path(__file__).parent / "data" / "manifests"


def load(name: str):
    path = CORPUS / name
    return load_manifest(path.read_text(), source=str(path))


def test_gateway_default_gives_every_script_under_its_category():
    raw = json.loads((CORPUS / "gateway-default.json").read_text())
    manifest = load("gateway-default.json")

    assert manifest.all_problems == []
    placed = {
        script.script: label
        for label, scripts in group_by_category(manifest.scripts)
        for script in scripts
    }
    expected = {s["script"]: CATEGORIES[s["category"]] for s in raw["scripts"]}
    assert placed == expected


def test_every_reference_is_inlined_and_keeps_peg_type():
    idling = load("gateway-default.json").script("idling")

    assert idling is not None
    text = json.dumps(idling.schema)
    assert "$ref" not in text
    assert idling.schema["properties"]["vehicles"]["peg_type"] == "$vehicles"
    assert idling.schema["properties"]["min_idle"]["maximum"] == 1440


@pytest.mark.parametrize(
    ("script", "prop", "peg_type"),
    [
        ("my_report", "bases", "$geofences"),
        ("trigger_log", "from", "$from"),
        ("trigger_log", "to", "$to"),
        ("trigger_log", "vehicles", "$vehicles"),
    ],
)
def test_string_form_of_ref_resolves_whatever_the_spacing(script, prop, peg_type):
    manifest = load("doc-quirks.json")

    found = manifest.script(script)
    assert found is not None
    assert found.usable
    assert found.schema["properties"][prop]["peg_type"] == peg_type


def test_missing_fields_take_defaults_and_unknown_category_goes_to_other():
    manifest = load("doc-quirks.json")

    no_params = manifest.script("no_params")
    assert no_params is not None
    assert no_params.schema == {"type": "object", "properties": {}}
    groups = dict(group_by_category(manifest.scripts))
    assert [s.script for s in groups[OTHER_LABEL]] == ["trigger_log"]


def test_title_and_description_beside_a_ref_override_without_changing_target():
    manifest = load_manifest(
        {
            "definitions": {"n": {"type": "integer", "title": "Number"}},
            "scripts": [
                {
                    "script": "s",
                    "title": "S",
                    "schedule": False,
                    "parameters_schema": {
                        "type": "object",
                        "properties": {
                            "a": {"$ref": "#/definitions/n", "title": "Count"},
                            "b": {"$ref": "#/definitions/n"},
                        },
                    },
                }
            ],
        },
        source="inline",
    )

    props = manifest.scripts[0].schema["properties"]
    assert props["a"]["title"] == "Count"
    assert props["b"]["title"] == "Number"
    assert manifest.definitions["n"]["title"] == "Number"


def test_recursive_schema_keeps_its_inner_reference():
    manifest = load_manifest(
        {
            "definitions": {
                "node": {
                    "type": "object",
                    "properties": {
                        "name": {"type": "string"},
                        "children": {
                            "type": "array",
                            "items": {"$ref": "#/definitions/node"},
                        },
                    },
                }
            },
            "scripts": [
                {
                    "script": "tree",
                    "title": "Tree",
                    "schedule": False,
                    "parameters_schema": {
                        "type": "object",
                        "properties": {"root": {"$ref": "#/definitions/node"}},
                    },
                }
            ],
        },
        source="inline",
    )

    script = manifest.scripts[0]
    assert script.usable
    children = script.schema["properties"]["root"]["properties"]["children"]
    assert children["items"] == {"$ref": "#/definitions/node"}
    value = {"root": {"name": "a", "children": [{"name": "b", "children": []}]}}
    assert field_errors(script.validation_schema, value) == {}
    bad = {"root": {"name": "a", "children": [{"name": 5}]}}
    assert field_errors(script.validation_schema, bad) == {
        "root/children/0/name": "must be text"
    }


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("not-json.json", ["line 1, column 81: not valid JSON"]),
        (
            "missing-definition.json",
            [
                "the reference #/definitions/to points to nothing",
                "/scripts/0/parameters_schema/properties/to",
            ],
        ),
        (
            "script-name-space.json",
            ["'my report' contains a space", "/scripts/0/script"],
        ),
        (
            "circular-ref.json",
            [
                "cycle: #/definitions/a -> #/definitions/b -> #/definitions/a",
                "/scripts/0/parameters_schema/properties/x",
            ],
        ),
    ],
)
def test_bad_manifests_say_what_is_wrong_and_where(name, expected):
    manifest = load(f"bad/{name}")

    messages = [str(p) for p in manifest.all_problems if p.severity == "error"]
    assert messages, f"{name} gave no error"
    for fragment in expected:
        assert any(fragment in m for m in messages), (fragment, messages)


def test_duplicate_script_names_are_reported_on_the_second():
    manifest = load("bad/script-name-space.json")

    second = manifest.scripts[2]
    assert not second.usable
    assert "used by more than one script" in str(second.problems[0])
    assert manifest.scripts[1].usable


def test_a_bad_script_leaves_the_others_usable():
    manifest = load_manifest(
        {
            "definitions": {},
            "scripts": [
                {
                    "script": "broken",
                    "title": "Broken",
                    "schedule": True,
                    "parameters_schema": {
                        "type": "object",
                        "properties": {"x": {"$ref": "#/definitions/none"}},
                    },
                },
                {"script": "fine", "title": "Fine", "schedule": True},
            ],
        },
        source="inline",
    )

    usable = {s.script: s.usable for s in manifest.scripts}
    assert usable == {"broken": False, "fine": True}


@pytest.mark.parametrize(
    "document",
    ["[]", '"text"', '{"scripts": {}}', '{"scripts": [1]}', "", "\xff"],
)
def test_wrong_shapes_give_a_message_not_an_exception(document):
    manifest = load_manifest(document, source="odd")

    assert manifest.all_problems
    assert all(str(p) for p in manifest.all_problems)


def test_external_references_are_never_fetched():
    manifest = load_manifest(
        {
            "definitions": {},
            "scripts": [
                {
                    "script": "ext",
                    "title": "External",
                    "schedule": False,
                    "parameters_schema": {
                        "type": "object",
                        "properties": {"x": {"$ref": "http://127.0.0.1:9/s.json"}},
                    },
                }
            ],
        },
        source="inline",
    )

    assert not manifest.scripts[0].usable
    assert "points to nothing" in str(manifest.scripts[0].problems[0])
