"""Manifests that are huge, deep or odd: refused or handled within bounds.

Each manifest here is one an engine could send: too large, nested without
end, references that fan out like "billion laughs" or loop, lists asking
for a billion rows, NaN. The app must say what is wrong and where, in
bounded time and memory; `python -m app lint` must do the same with an
exit status, never a traceback.
"""

import json
import subprocess
import sys
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from app.form_arrays import MAX_ROWS
from app.form_start import MAX_START_EDITORS
from app.forms import FormContext, form_fields, initial_values
from app.jsonlimits import MAX_DEPTH, MAX_DOCUMENT_BYTES
from app.lint import ERRORS, lint_manifest
from app.manifest import Manifest, Script, load_manifest
from app.schema_bounds import MAX_CHECKED_NODES, MAX_FORM_FIELDS, MAX_SCRIPT_NODES
from app.validation import field_errors
from widgets.form import ReportForm

# Far above what any manifest here needs: a hang detector, not a speed test.
HANG_SECONDS = 30
# Memory a manifest of a few kilobytes may take to load, at most.
MEMORY_LIMIT = 200 * 1024 * 1024


def manifest_of(*schemas: Any, definitions: Any = None, **fields: Any) -> dict:
    """A manifest whose scripts s0, s1... have these parameters schemas."""
    return {
        "definitions": definitions if definitions is not None else {},
        "scripts": [
            {"script": f"s{i}", "title": f"S{i}", "parameters_schema": schema} | fields
            for i, schema in enumerate(schemas)
        ],
    }


def loaded(document: Any) -> Manifest:
    return load_manifest(json.dumps(document), source="odd.json")


def messages(script: Script) -> list[str]:
    return [str(problem) for problem in script.problems]


def laughs(levels: int, fan_out: int) -> dict:
    """Definitions that each use the one before fan_out times: fan_out **
    levels schemas once expanded, from a text of a few kilobytes."""
    definitions: dict = {"d0": {"type": "string"}}
    for n in range(1, levels + 1):
        uses = {f"p{k}": {"$ref": f"#/definitions/d{n - 1}"} for k in range(fan_out)}
        definitions[f"d{n}"] = {"type": "object", "properties": uses}
    return definitions


# --- Size and depth ------------------------------------------------------------


def test_a_manifest_of_fifty_megabytes_is_refused_naming_the_limit():
    text = '{"scripts": [], "padding": "' + "x" * (50 * 1024 * 1024) + '"}'

    manifest = load_manifest(text, source="huge.json")
    report = lint_manifest(text, source="huge.json")

    limit = f"{MAX_DOCUMENT_BYTES // (1024 * 1024)} MB"
    assert [str(p) for p in manifest.problems] == [
        f"the manifest is larger than {limit}"
    ]
    assert manifest.scripts == []
    assert report.exit_status == ERRORS
    assert [p.message for p in report.problems] == [
        f"the manifest is larger than {limit}"
    ]


@pytest.mark.parametrize("opening", ["[", '{"a":'])
def test_text_nested_ten_thousand_deep_is_refused(opening):
    closing = "]" if opening == "[" else "}"
    text = opening * 10_000 + "1" + closing * 10_000

    manifest = load_manifest(text, source="deep.json")

    assert [str(p) for p in manifest.problems] == [
        f"not usable JSON: it nests objects and lists more than {MAX_DEPTH} levels deep"
    ]


def test_an_object_nested_ten_thousand_deep_is_refused():
    schema: dict = {"type": "string"}
    for _ in range(10_000):
        schema = {"type": "object", "properties": {"a": schema}}

    manifest = load_manifest(manifest_of(schema), source="deep")

    assert [str(p) for p in manifest.problems] == [
        f"not usable JSON: it nests objects and lists more than {MAX_DEPTH} levels deep"
    ]


# --- References ----------------------------------------------------------------


@pytest.mark.timeout(HANG_SECONDS)
def test_a_billion_laughs_of_references_is_refused_in_bounded_memory():
    # 10 ** 9 fields once expanded, from a text of about 6 KB.
    document = manifest_of(
        {"$ref": "#/definitions/d9"},
        {"type": "object", "properties": {"name": {"$ref": "#/definitions/d0"}}},
        definitions=laughs(9, 10),
    )
    text = json.dumps(document)
    assert len(text) < 10_000

    tracemalloc.start()
    try:
        manifest = load_manifest(text, source="laughs.json")
        report = lint_manifest(text, source="laughs.json")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    bomb, small = manifest.scripts
    assert not bomb.usable
    assert all(
        p.pointer.startswith(("/scripts/0", "#/definitions")) for p in bomb.problems
    )
    assert any("references are expanded" in message for message in messages(bomb))
    assert small.usable
    assert peak < MEMORY_LIMIT
    assert report.exit_status == ERRORS


def test_references_that_loop_without_a_field_are_refused_where_they_loop():
    document = manifest_of(
        {"type": "object", "oneOf": [{"required": ["a"]}, {"$ref": "#"}]},
        {"$ref": "#/definitions/a"},
        definitions={
            "a": {"allOf": [{"$ref": "#/definitions/b"}]},
            "b": {"not": {"$ref": "#/definitions/a"}},
        },
    )

    manifest = loaded(document)

    first, second = manifest.scripts
    assert messages(first) == [
        "the reference # leads back to a schema it is part of without going "
        "into a field, so checking a value would never end "
        "(/scripts/0/parameters_schema/oneOf/1/$ref)"
    ]
    assert not second.usable
    assert "never end" in messages(second)[0]


def test_a_schema_that_loops_is_never_checked_into_a_crash():
    schema = {"type": "object", "anyOf": [{"$ref": "#"}]}

    errors = field_errors(schema, {"a": 1})

    assert errors == {
        "": "the report's parameters schema cannot be used: the reference # "
        "leads back to a schema it is part of without going into a field, so "
        "checking a value would never end (at /anyOf/0/$ref)"
    }


def test_a_tree_that_recurses_through_its_fields_is_still_a_form():
    node = {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "children": {"type": "array", "items": {"$ref": "#/definitions/node"}},
        },
    }
    document = manifest_of({"$ref": "#/definitions/node"}, definitions={"node": node})

    (script,) = loaded(document).scripts

    assert script.usable, messages(script)
    assert [spec.name for spec in form_fields(script.schema)] == ["name", "children"]


# --- How much is read ----------------------------------------------------------


def test_a_schema_of_too_many_parts_is_refused_before_it_is_checked():
    enum = list(range(MAX_SCRIPT_NODES))
    document = manifest_of(
        {"type": "object", "properties": {"x": {"enum": enum}}},
        {"type": "object", "properties": {"y": {"type": "string"}}},
    )

    large, small = loaded(document).scripts

    assert messages(large) == [
        f"the parameters schema is too large: it has more than "
        f"{MAX_SCRIPT_NODES:,} parts (objects, lists and values); real ones "
        "have a few hundred (/scripts/0/parameters_schema)"
    ]
    assert small.usable


def test_the_schemas_of_a_manifest_share_one_bound_on_checking():
    # Each script alone is within bounds; together they are not.
    enum = list(range(MAX_SCRIPT_NODES // 2))
    count = 2 * MAX_CHECKED_NODES // len(enum)
    schemas = [{"type": "object", "properties": {"x": {"enum": enum}}}] * count

    manifest = loaded(manifest_of(*schemas))

    usable = [script for script in manifest.scripts if script.usable]
    assert 1 <= len(usable) < count
    assert usable == manifest.scripts[: len(usable)]
    left_out = manifest.scripts[len(usable)]
    assert messages(left_out)[0].startswith(
        "left out: the parameters schemas of this manifest are too large together "
        f"(at most {MAX_CHECKED_NODES:,} parts in all are checked"
    )


def test_a_form_of_too_many_fields_is_refused_naming_the_bound():
    fields = {f"f{i}": {"type": "string"} for i in range(MAX_FORM_FIELDS + 1)}

    (script,) = loaded(manifest_of({"type": "object", "properties": fields})).scripts

    assert messages(script) == [
        f"the form would have {MAX_FORM_FIELDS + 1} fields once its references "
        f"are expanded; at most {MAX_FORM_FIELDS} are shown "
        "(/scripts/0/parameters_schema)"
    ]


# --- Odd values ----------------------------------------------------------------


@pytest.mark.parametrize("category", [{"a": 1}, ["fleet_status"], 5, None])
def test_a_category_that_is_not_text_is_shown_under_other(category):
    document = manifest_of({"type": "object"}, category=category)

    (script,) = loaded(document).scripts

    assert script.usable
    assert script.category_label == "Other"


@pytest.mark.parametrize(
    ("number", "shown"),
    [("NaN", "NaN"), ("1e400", "Infinity"), ("-Infinity", "-Infinity")],
)
def test_a_number_json_does_not_allow_is_a_problem_where_it_is(number, shown):
    text = (
        '{"definitions": {}, "scripts": [{"script": "s", "title": "S", '
        '"parameters_schema": {"type": "object", "properties": '
        f'{{"a": {{"type": "number", "maximum": {number}}}}}}}}}]}}'
    )

    (script,) = load_manifest(text, source="nan.json").scripts

    assert messages(script) == [
        f"the number {shown} is not one JSON allows (a number too large, or "
        "not a number); give a finite number "
        "(/scripts/0/parameters_schema/properties/a/maximum)"
    ]


def test_extreme_but_finite_numbers_make_a_form():
    schema = {
        "type": "object",
        "properties": {
            "a": {"type": "number", "minimum": -1e308, "maximum": 1e308},
            "b": {"type": "number", "default": -0.0, "multipleOf": 1e-300},
            "c": {"type": "integer", "maximum": 10**99, "default": -(10**99)},
        },
    }

    (script,) = loaded(manifest_of(schema)).scripts

    assert script.usable, messages(script)
    values = initial_values(form_fields(script.schema))
    assert values == {"b": -0.0, "c": -(10**99)}
    assert field_errors(script.validation_schema, values) == {}


# --- Rows a form starts with ---------------------------------------------------


def rows_schema(inner_items: int) -> dict:
    inner = {"type": "array", "minItems": inner_items, "items": {"type": "string"}}
    item = {"type": "object", "required": ["b"], "properties": {"b": inner}}
    outer = {"type": "array", "minItems": 10**9, "items": item}
    return {"type": "object", "required": ["a"], "properties": {"a": outer}}


def count_items(value: Any) -> int:
    if isinstance(value, list):
        return len(value) + sum(count_items(item) for item in value)
    if isinstance(value, dict):
        return sum(count_items(item) for item in value.values())
    return 0


def test_a_billion_rows_asked_for_start_as_a_bounded_few():
    (script,) = loaded(manifest_of(rows_schema(10**9))).scripts

    values = initial_values(form_fields(script.schema))

    assert 1 <= len(values["a"]) <= MAX_ROWS
    assert count_items(values) <= MAX_START_EDITORS
    assert field_errors(script.validation_schema, values)["a"] == (
        "must have at least 1000000000 items"
    )


@pytest.mark.timeout(HANG_SECONDS)
def test_the_form_for_a_billion_rows_shows_the_need_at_its_field(qtbot):
    (script,) = loaded(manifest_of(rows_schema(10**9))).scripts
    form = ReportForm()
    qtbot.addWidget(form)

    form.set_schema(script.schema, context=FormContext())
    errors = field_errors(script.validation_schema, form.values())
    form.set_errors(errors)
    form.show()

    assert len(list(form.rows.editors())) <= MAX_START_EDITORS + 1
    assert errors["a"] == "must have at least 1000000000 items"


# --- The command line ------------------------------------------------------------


def nasty_files(folder: Path) -> dict[str, Path]:
    """Manifests no engine should send, by what is wrong with them."""
    texts = {
        "too-large.json": b'{"scripts": []}' + b" " * (MAX_DOCUMENT_BYTES + 1),
        "too-deep.json": b"[" * 10_000 + b"]" * 10_000,
        "not-utf8.json": b'{"scripts": [{"script": "\xff\xfe"}]}',
        "laughs.json": json.dumps(
            manifest_of({"$ref": "#/definitions/d9"}, definitions=laughs(9, 10))
        ).encode(),
        "loop.json": json.dumps(manifest_of({"anyOf": [{"$ref": "#"}]})).encode(),
        "nan.json": b'{"definitions": {}, "scripts": [{"script": "s", "title": '
        b'"S", "parameters_schema": {"default": NaN}}]}',
        "odd-category.json": json.dumps(
            manifest_of({"type": "object"}, category=["x"])
        ).encode(),
    }
    paths = {}
    for name, data in texts.items():
        paths[name] = folder / name
        paths[name].write_bytes(data)
    return paths


@pytest.mark.timeout(120)
def test_lint_says_what_is_wrong_with_nasty_files_without_a_traceback(tmp_path):
    for name, path in nasty_files(tmp_path).items():
        done = subprocess.run(
            [sys.executable, "-m", "app", "lint", str(path)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

        said = done.stdout + done.stderr
        assert done.returncode in (1, 2), (name, said)
        assert "Traceback" not in said, name
        assert said.strip(), name
        assert str(path) in said or "manifest" in said, (name, said)


def test_lint_places_a_problem_found_through_a_reference_at_its_definition():
    document = manifest_of(
        {"$ref": "#/definitions/a"},
        definitions={
            "a": {"type": "object", "properties": {"x": {"$ref": "#/definitions/b"}}}
        },
    )
    text = json.dumps(document, indent=1)

    report = lint_manifest(text, source="m.json")

    (problem,) = report.problems
    assert problem.pointer == "#/definitions/a/properties/x"
    line = text.splitlines()[problem.line - 1]
    assert line.strip() == '"x": {'
