"""Loading manifests: both $ref forms, categories, and broken manifests."""

import asyncio
import json
from pathlib import Path

import pytest
from support.servers import recording

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


def with_scripts(*schemas: object, definitions: object = None) -> dict:
    """A manifest whose scripts s0, s1... have these parameters schemas."""
    return {
        "definitions": definitions or {},
        "scripts": [
            {"script": f"s{i}", "title": f"S{i}", "parameters_schema": schema}
            for i, schema in enumerate(schemas)
        ],
    }


def nested(levels: int) -> dict:
    schema: dict = {"type": "object"}
    for _ in range(levels):
        schema = {"type": "object", "properties": {"a": schema}}
    return schema


def test_a_deeply_nested_manifest_is_a_problem_not_a_crash():
    text = json.dumps(with_scripts(nested(300)))

    for data in (text, json.loads(text), "[" * 100_000, '{"a":' * 100_000):
        manifest = load_manifest(data, source="deep")
        assert manifest.scripts == []
        [problem] = manifest.all_problems
        assert problem.severity == "error"
        assert problem.message == (
            "not usable JSON: it nests objects and lists more than 64 levels deep"
        )


def test_a_schema_nested_as_deep_as_allowed_still_loads_and_validates():
    manifest = load_manifest(with_scripts(nested(28)), source="inline")

    script = manifest.scripts[0]
    assert script.usable, script.problems
    value: dict = {"a": {"a": 5}}
    assert field_errors(script.validation_schema, value) == {
        "a/a": "must be a group of values"
    }


def test_a_manifest_larger_than_five_megabytes_is_refused():
    text = '{"scripts": []}' + " " * (5 * 1024 * 1024)

    manifest = load_manifest(text, source="big")

    assert [str(p) for p in manifest.problems] == ["the manifest is larger than 5 MB"]


@pytest.mark.parametrize(
    ("schema", "pointer", "words"),
    [
        ({"type": "object", "minProperties": "abc"}, "/minProperties", "'abc'"),
        (
            {"type": "object", "properties": {"x": {"pattern": "("}}},
            "/properties/x/pattern",
            "'(' is not a 'regex'",
        ),
        ({"type": "nonsense"}, "/type", "'nonsense'"),
        (
            {"type": "object", "patternProperties": {"[": {}}},
            "/patternProperties",
            "'[' is not a 'regex'",
        ),
    ],
)
def test_an_invalid_schema_keyword_makes_only_its_script_unusable(
    schema, pointer, words
):
    manifest = load_manifest(with_scripts(schema, {"type": "object"}), source="x")

    broken, fine = manifest.scripts
    assert not broken.usable
    assert fine.usable
    problem = broken.problems[0]
    assert problem.pointer == "/scripts/0/parameters_schema" + pointer
    assert "is not valid JSON Schema" in problem.message
    assert words in problem.message
    # Whatever the window does with the broken script, checking values is safe.
    assert field_errors(broken.validation_schema or broken.schema, {"x": "a"}) == {}


def test_a_broken_definition_only_hurts_the_scripts_that_use_it():
    definitions = {
        "bad": {"type": "integer", "minimum": "zero"},
        "n": {"type": "integer"},
    }
    manifest = load_manifest(
        with_scripts(
            {"properties": {"x": {"$ref": "#/definitions/bad"}}},
            {"properties": {"x": {"$ref": "#/definitions/n"}}},
            definitions=definitions,
        ),
        source="x",
    )

    uses_bad, uses_n = manifest.scripts
    assert [p.pointer for p in uses_bad.problems] == ["/definitions/bad/minimum"]
    assert uses_n.usable
    assert field_errors(uses_n.validation_schema, {"x": "a"}) == {
        "x": "must be a whole number"
    }


@pytest.mark.timeout(60)
def test_references_that_expand_exponentially_are_refused():
    # Each definition uses the previous one twice: 2**20 copies once inlined.
    definitions: dict = {"d0": {"type": "string"}}
    for n in range(1, 21):
        twice = [{"$ref": f"#/definitions/d{n - 1}"}] * 2
        definitions[f"d{n}"] = {"allOf": twice}
    document = with_scripts(
        {"properties": {"x": {"$ref": "#/definitions/d20"}}},
        {"properties": {"y": {"$ref": "#/definitions/d3"}}},
        definitions=definitions,
    )
    assert len(json.dumps(document)) < 3000

    manifest = load_manifest(json.dumps(document), source="laughs")

    laughs, small = manifest.scripts
    assert [str(p) for p in laughs.problems] == [
        "the schema is too large once its references are expanded "
        "(more than 50,000 parts) (/scripts/0/parameters_schema)"
    ]
    assert laughs.schema == {}
    assert laughs.validation_schema == {}
    assert small.usable
    assert field_errors(small.validation_schema, {"y": 5}) == {"y": "must be text"}


def scripts_each_just_under_the_limit(count: int) -> str:
    """A manifest whose every script expands to just under the per-script
    limit: each definition holds the one before it twice (as alternatives:
    as fields, they would be more than a form shows)."""
    definitions: dict = {"d0": {"type": "integer"}}
    for n in range(1, 20):
        twice = [{"$ref": f"#/definitions/d{n - 1}"}] * 2
        definitions[f"d{n}"] = {"anyOf": twice}
    schema = {"type": "object", "properties": {"x": {"$ref": "#/definitions/d12"}}}
    scripts = [
        {"script": f"s{i}", "title": f"S{i}", "category": "fleet_status"}
        | {"parameters_schema": schema}
        for i in range(count)
    ]
    return json.dumps({"definitions": definitions, "scripts": scripts})


@pytest.mark.timeout(60)
def test_the_scripts_of_a_manifest_share_one_budget_for_their_references():
    # Each script alone is fine; a hundred of them once took half a minute,
    # with the window waiting.
    text = scripts_each_just_under_the_limit(100)
    assert len(text) < 20_000

    manifest = load_manifest(text, source="wide")

    usable = [script for script in manifest.scripts if script.usable]
    left_out = manifest.scripts[len(usable) :]
    assert len(manifest.scripts) == 100
    assert 1 <= len(usable) < 10
    assert usable == manifest.scripts[: len(usable)]  # the first ones load
    assert all(not script.usable for script in left_out)
    assert {str(script.problems[0]).split(" (")[0] for script in left_out} == {
        "left out: the scripts of this manifest are too large once their "
        "references are expanded"
    }
    assert manifest.script("s0") is not None
    assert field_errors(manifest.scripts[0].validation_schema, {"x": "no"})


def test_only_the_first_thousand_scripts_are_read():
    scripts = [{"script": f"s{i}", "title": f"S{i}"} for i in range(1500)]

    manifest = load_manifest(json.dumps({"scripts": scripts}), source="long")

    assert len(manifest.scripts) == 1000
    assert all(script.usable for script in manifest.scripts)
    assert [str(p) for p in manifest.problems] == [
        "the manifest lists 1,500 scripts; only the first 1,000 are read (/scripts)"
    ]


@pytest.mark.parametrize(
    "ref",
    ["#/scripts/abc", "#/definitions/word/0", "#/definitions/number/x", "http://[::1"],
)
def test_a_reference_through_something_that_is_not_a_schema_is_a_problem(ref):
    manifest = load_manifest(
        with_scripts(
            {"properties": {"x": {"$ref": ref}}},
            definitions={"word": "text", "number": 5},
        ),
        source="x",
    )

    script = manifest.scripts[0]
    assert not script.usable
    assert str(script.problems[0]).startswith(f"the reference {ref} points to nothing")


@pytest.mark.asyncio
async def test_an_id_never_makes_validation_fetch_anything():
    async with recording() as (url, received):
        schema = {
            "type": "object",
            "properties": {
                "x": {
                    "$id": f"{url}/elsewhere.json",
                    "type": "object",
                    "properties": {"n": {"$ref": "#/definitions/n"}},
                }
            },
        }
        manifest = load_manifest(
            with_scripts(schema, definitions={"n": {"type": "integer"}}), source="x"
        )
        script = manifest.scripts[0]
        # The schema as written, checked the way the window would: in a
        # thread, so that the loop could answer a fetch if one were made.
        raw = {**schema, "definitions": {"n": {"type": "integer"}}}
        errors = await asyncio.to_thread(field_errors, raw, {"x": {"n": "a"}})

    assert received == []
    assert not script.usable
    problem = script.problems[0]
    assert (
        problem.pointer == "/scripts/0/parameters_schema/properties/x/properties/n/$ref"
    )
    assert f"the $id {url}/elsewhere.json above it" in problem.message
    assert "never fetched" in problem.message
    assert list(errors) == [""]
    assert "never fetched" in errors[""]
