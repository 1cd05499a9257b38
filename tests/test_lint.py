"""The manifest linter: each rule on a manifest of its own, the broken
manifests of tests/data/manifests/bad/, and `python -m app lint`."""

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from starlette.requests import Request
from starlette.responses import Response
from support.servers import serving_in_thread

from app.json_positions import Position, PositionMap
from app.lint import LintReport, lint_manifest
from app.manifest import Problem

MANIFESTS = Path(__file__).parent / "data" / "manifests"
BAD = MANIFESTS / "bad"


def script(**fields: Any) -> dict[str, Any]:
    """A script entry that breaks no rule, with fields changed."""
    entry: dict[str, Any] = {
        "script": "idle_report",
        "title": "Idle report",
        "desc": "Vehicles idle for too long",
        "icon": "https://cdn.example.com/idle.svg",
        "category": "fleet_status",
        "schedule": True,
        "parameters_schema": {
            "type": "object",
            "required": ["from"],
            "properties": {"from": {"$ref": "#/definitions/from"}},
        },
    }
    entry.update(fields)
    return {key: value for key, value in entry.items() if value is not None}


DEFINITIONS = {"from": {"type": "string", "format": "date-time", "peg_type": "$from"}}


def manifest_text(*scripts: dict[str, Any], **top: Any) -> str:
    document: dict[str, Any] = {"definitions": DEFINITIONS, "scripts": list(scripts)}
    document.update(top)
    return json.dumps(document, indent=2)


def lint(text: str) -> LintReport:
    return lint_manifest(text, source="m.json")


def only_problem(report: LintReport) -> Problem:
    assert len(report.problems) == 1, report.problems
    return report.problems[0]


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """The line (from 1) holding the occurrence-th needle in text."""
    lines = [n for n, line in enumerate(text.splitlines(), 1) if needle in line]
    return lines[occurrence - 1]


# --- One rule, one manifest ---------------------------------------------------


def test_a_manifest_breaking_no_rule_is_clean() -> None:
    report = lint(manifest_text(script()))

    assert report.problems == []
    assert report.exit_status == 0


def test_text_that_is_not_json_is_an_error_at_its_line_and_column() -> None:
    text = '{"definitions": {},\n "scripts": [1, 2,]}'

    problem = only_problem(lint(text))

    assert problem.severity == "error"
    assert problem.message.startswith("not valid JSON")
    assert (problem.line, problem.column) == (2, 19)


def test_a_manifest_without_scripts_is_an_error() -> None:
    problem = only_problem(lint('{"definitions": {}}'))

    assert problem.severity == "error"
    assert "no list of scripts" in problem.message
    assert problem.pointer == "/scripts"


def test_a_manifest_without_definitions_is_a_warning() -> None:
    text = json.dumps({"scripts": [script(parameters_schema=None)]})

    problem = only_problem(lint(text))

    assert problem.severity == "warning"
    assert "no definitions" in problem.message
    assert lint(text).exit_status == 1


def test_a_script_without_a_name_is_an_error() -> None:
    text = manifest_text(script(script=None))

    problem = only_problem(lint(text))

    assert problem.severity == "error"
    assert "no name" in problem.message
    assert problem.pointer == "/scripts/0/script"


def test_a_script_name_with_a_space_is_an_error_on_its_line() -> None:
    text = manifest_text(script(script="idle report"))

    problem = only_problem(lint(text))

    assert problem.severity == "error"
    assert "contains a space" in problem.message
    assert problem.pointer == "/scripts/0/script"
    assert problem.line == line_of(text, '"script": "idle report"')


def test_two_scripts_of_one_name_is_an_error_on_the_second() -> None:
    text = manifest_text(script(), script(title="Idle again"))

    problem = only_problem(lint(text))

    assert "more than one script" in problem.message
    assert problem.pointer == "/scripts/1/script"
    assert problem.line == line_of(text, '"script": "idle_report"', occurrence=2)


def test_a_script_without_a_title_is_an_error() -> None:
    problem = only_problem(lint(manifest_text(script(title=None))))

    assert problem.severity == "error"
    assert "no title" in problem.message
    assert problem.pointer == "/scripts/0/title"


def test_a_title_of_more_than_50_characters_is_an_error() -> None:
    assert lint(manifest_text(script(title="t" * 50))).problems == []
    text = manifest_text(script(title="t" * 51))

    problem = only_problem(lint(text))

    assert problem.severity == "error"
    assert "51 characters" in problem.message
    assert problem.pointer == "/scripts/0/title"
    assert problem.line == line_of(text, '"title"')


def test_a_desc_of_more_than_150_characters_is_an_error() -> None:
    assert lint(manifest_text(script(desc="d" * 150))).problems == []

    problem = only_problem(lint(manifest_text(script(desc="d" * 151))))

    assert problem.severity == "error"
    assert "151 characters" in problem.message
    assert problem.pointer == "/scripts/0/desc"


@pytest.mark.parametrize("name", ["icon", "app_url"])
def test_an_address_must_be_https(name: str) -> None:
    text = manifest_text(script(**{name: "http://cdn.example.com/page"}))

    problem = only_problem(lint(text))

    assert problem.severity == "error"
    assert "must be an https address" in problem.message
    assert problem.pointer == f"/scripts/0/{name}"
    assert problem.line == line_of(text, f'"{name}"')


@pytest.mark.parametrize("name", ["icon", "app_url"])
def test_plain_http_to_this_computer_is_a_warning(name: str) -> None:
    report = lint(manifest_text(script(**{name: "http://127.0.0.1:8123/page"})))

    problem = only_problem(report)

    assert problem.severity == "warning"
    assert "plain http" in problem.message
    assert report.exit_status == 1


def test_an_address_with_a_password_is_an_error_that_does_not_repeat_it() -> None:
    text = manifest_text(script(app_url="https://ann:s3cret@reports.example.com/"))

    problem = only_problem(lint(text))

    assert problem.severity == "error"
    assert "s3cret" not in problem.message


def test_an_unknown_category_is_a_warning_shown_under_other() -> None:
    report = lint(manifest_text(script(category="weather")))

    problem = only_problem(report)

    assert problem.severity == "warning"
    assert "'weather'" in problem.message
    assert "Other" in problem.message
    assert problem.pointer == "/scripts/0/category"
    assert report.exit_status == 1


def test_a_schedule_that_is_not_a_boolean_is_an_error() -> None:
    problem = only_problem(lint(manifest_text(script(schedule="yes"))))

    assert problem.severity == "error"
    assert "true or false" in problem.message
    assert problem.pointer == "/scripts/0/schedule"


def test_parameters_schema_that_is_not_an_object_is_an_error() -> None:
    problem = only_problem(lint(manifest_text(script(parameters_schema=[1]))))

    assert problem.severity == "error"
    assert problem.pointer == "/scripts/0/parameters_schema"


def test_parameters_schema_that_is_not_valid_json_schema_is_an_error() -> None:
    schema = {"type": "object", "properties": {"days": {"type": "integr"}}}
    text = manifest_text(script(parameters_schema=schema))

    problem = only_problem(lint(text))

    assert problem.severity == "error"
    assert problem.pointer.startswith("/scripts/0/parameters_schema/properties/days")
    assert problem.line == line_of(text, '"integr"')


def test_a_required_name_not_among_the_properties_is_an_error() -> None:
    schema = {
        "type": "object",
        "required": ["from", "form"],
        "properties": {"from": {"$ref": "#/definitions/from"}},
    }
    text = manifest_text(script(parameters_schema=schema))

    problem = only_problem(lint(text))

    assert problem.severity == "error"
    assert "'form' is required" in problem.message
    assert problem.pointer == "/scripts/0/parameters_schema/required/1"
    assert problem.line == line_of(text, '"form"')


@pytest.mark.parametrize(
    "ref", [{"$ref": "#/definitions/until"}, "$ref: #/definitions/until"]
)
def test_a_reference_to_nothing_is_an_error_in_both_written_forms(ref: Any) -> None:
    schema = {"type": "object", "properties": {"to": ref}}
    text = manifest_text(script(parameters_schema=schema))

    problem = only_problem(lint(text))

    assert problem.severity == "error"
    assert "#/definitions/until points to nothing" in problem.message
    assert problem.pointer == "/scripts/0/parameters_schema/properties/to"
    assert problem.line == line_of(text, '"to"')


def test_references_that_only_refer_to_each_other_are_an_error() -> None:
    definitions = {"a": {"$ref": "#/definitions/b"}, "b": "$ref: #/definitions/a"}
    schema = {"type": "object", "properties": {"x": {"$ref": "#/definitions/a"}}}
    text = manifest_text(script(parameters_schema=schema), definitions=definitions)

    problem = only_problem(lint(text))

    assert problem.severity == "error"
    assert "cycle" in problem.message
    assert problem.pointer == "/scripts/0/parameters_schema/properties/x"


def test_an_unknown_peg_type_is_a_warning() -> None:
    definitions = {"zone": {"type": "string", "peg_type": "$zones"}}
    schema = {"type": "object", "properties": {"z": {"$ref": "#/definitions/zone"}}}
    text = manifest_text(script(parameters_schema=schema), definitions=definitions)
    report = lint(text)

    problem = only_problem(report)

    assert problem.severity == "warning"
    assert "'$zones'" in problem.message
    assert problem.pointer == "/definitions/zone/peg_type"
    assert problem.line == line_of(text, '"$zones"')
    assert report.exit_status == 1


def test_problems_are_listed_in_the_order_of_the_text() -> None:
    text = manifest_text(script(script="a b", title="t" * 60, category="weather"))

    lines = [problem.line or 0 for problem in lint(text).problems]

    assert len(lines) == 3
    assert lines == sorted(lines)


# --- Positions ------------------------------------------------------------------


def test_positions_follow_keys_arrays_and_escaped_pointers() -> None:
    text = '{"a/b": [10,\n  {"c~d": "x"}],\n "e": {}}'
    positions = PositionMap(text)

    pointers = ["", "/a~1b", "/a~1b/0", "/a~1b/1", "/a~1b/1/c~0d", "/e"]

    found = [positions.position(pointer) for pointer in pointers]

    assert found == [
        Position(1, 1),
        Position(1, 9),
        Position(1, 10),
        Position(2, 3),
        Position(2, 11),
        Position(3, 7),
    ]


def test_a_pointer_the_text_does_not_hold_is_placed_at_the_nearest_value() -> None:
    positions = PositionMap('{"p": "$ref: #/definitions/x"}')

    assert positions.position("/p/$ref") == Position(1, 7)


# --- The broken manifests of the corpus ---------------------------------------

# What the linter must say for each file, as its README describes it: words
# of the message and the pointer (or the line and column) of each problem.
EXPECTED: dict[str, list[tuple[list[str], str]]] = {
    "not-json.json": [(["not valid JSON"], "")],
    "missing-definition.json": [
        (["#/definitions/to", "points to nothing"], "/scripts/0/parameters_schema")
    ],
    "script-name-space.json": [
        (["'my report'", "contains a space"], "/scripts/0/script"),
        (["'dup'", "more than one script"], "/scripts/2/script"),
    ],
    "circular-ref.json": [
        (["cycle", "#/definitions/a", "#/definitions/b"], "/scripts/0"),
    ],
}


def test_the_readme_describes_every_broken_manifest() -> None:
    readme = (BAD / "README.md").read_text(encoding="utf-8")
    described = set(re.findall(r"^\| (\S+\.json) \|", readme, re.MULTILINE))

    assert described == {path.name for path in BAD.glob("*.json")}
    assert described == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_broken_manifest_gives_the_message_its_readme_describes(
    name: str,
) -> None:
    report = lint_manifest((BAD / name).read_bytes(), source=name)

    assert len(report.problems) == len(EXPECTED[name])
    for problem, (words, pointer) in zip(report.problems, EXPECTED[name], strict=True):
        assert problem.severity == "error"
        for word in words:
            assert word in problem.message
        assert problem.pointer.startswith(pointer)
        assert problem.line is not None
        assert problem.column is not None
    assert report.exit_status == 2


def test_the_json_error_names_the_trailing_comma() -> None:
    text = (BAD / "not-json.json").read_text(encoding="utf-8")

    problem = lint_manifest(text, source="not-json.json").problems[0]

    assert problem.line == 1
    assert problem.column is not None
    assert text[: problem.column - 1].rstrip().endswith(",")


@pytest.mark.parametrize("path", sorted(MANIFESTS.glob("*.json")), ids=str)
def test_the_good_manifests_lint_clean(path: Path) -> None:
    report = lint_manifest(path.read_bytes(), source=path.name)

    assert report.problems == []


# --- The command ------------------------------------------------------------------


def run_lint(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", "lint", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_command_exits_0_and_prints_nothing_for_a_clean_manifest() -> None:
    result = run_lint(MANIFESTS / "gateway-default.json")

    assert result.returncode == 0, result.stderr
    assert result.stdout == ""


def test_the_command_exits_1_for_warnings_only(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    path.write_text(manifest_text(script(category="weather")), encoding="utf-8")

    result = run_lint(path)

    assert result.returncode == 1, result.stderr
    line = line_of(path.read_text(encoding="utf-8"), '"category"')
    assert re.fullmatch(
        rf"{re.escape(str(path))}:{line}:\d+: warning: unknown category 'weather'"
        r".* \(/scripts/0/category\)\n",
        result.stdout,
    )


def test_the_command_exits_2_for_errors_one_problem_a_line() -> None:
    path = BAD / "script-name-space.json"

    result = run_lint(path)

    assert result.returncode == 2, result.stderr
    assert result.stdout.splitlines() == [
        f"{path}:2:25: error: script name 'my report' contains a space "
        "(/scripts/0/script)",
        f"{path}:4:25: error: script name 'dup' is used by more than one script "
        "(/scripts/2/script)",
    ]


def test_the_command_prints_json_when_asked() -> None:
    result = run_lint(BAD / "missing-definition.json", "--format", "json")

    assert result.returncode == 2, result.stderr
    document = json.loads(result.stdout)
    assert (document["errors"], document["warnings"]) == (1, 0)
    problem = document["problems"][0]
    assert problem["pointer"] == "/scripts/0/parameters_schema/properties/to"
    assert (problem["line"], problem["column"]) == (4, 67)


def test_the_command_lints_a_manifest_fetched_from_a_url() -> None:
    body = manifest_text(script(schedule="yes"))

    async def manifest(request: Request) -> Response:
        return Response(body, media_type="application/json")

    with serving_in_thread({"/manifest": manifest}) as url:
        result = run_lint(f"{url}/manifest")
        missing = run_lint(f"{url}/nothing-here")

    assert result.returncode == 2, result.stderr
    assert "schedule must be true or false (/scripts/0/schedule)" in result.stdout
    assert result.stdout.startswith(f"{url}/manifest:{line_of(body, 'schedule')}:")
    assert missing.returncode == 2
    assert "HTTP 404" in missing.stderr


@pytest.mark.parametrize(
    "source", ["file:///etc/passwd", "ftp://127.0.0.1/manifest.json"]
)
def test_the_command_fetches_nothing_but_http(source: str) -> None:
    result = run_lint(source)

    assert result.returncode == 2
    assert "only http and https" in result.stderr
    assert result.stdout == ""


def test_the_command_says_when_the_file_cannot_be_read(tmp_path: Path) -> None:
    result = run_lint(tmp_path / "absent.json")

    assert result.returncode == 2
    assert "absent.json" in result.stderr


def test_a_name_with_a_newline_or_lone_surrogate_stays_on_its_own_escaped_line(
    tmp_path: Path,
) -> None:
    name = "a\ud800\n1:1: error: forged\x1b[31m"
    schema = {"type": "object", "properties": {name: {"type": "nope"}}}
    script = {"script": "x", "title": "X", "category": "fleet_status"}
    manifest = {"definitions": {}, "scripts": [{**script, "parameters_schema": schema}]}
    path = tmp_path / "odd-names.json"
    path.write_text(json.dumps(manifest), encoding="ascii")

    text = run_lint(path)
    as_json = run_lint(path, "--format", "json")

    assert text.returncode == 2
    assert as_json.returncode == 2
    assert "Traceback" not in text.stderr + as_json.stderr
    lines = text.stdout.splitlines()
    assert len(lines) == 1
    assert "\\ud800\\n1:1: error: forged\\x1b[31m" in lines[0]
    assert json.loads(as_json.stdout)["problems"][0]["pointer"].endswith(
        f"/{name}/type"
    )
