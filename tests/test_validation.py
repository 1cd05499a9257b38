"""Parameter checks in plain words, keyed by the field they concern."""

import asyncio

import pytest
from support.servers import recording

from app.validation import field_errors, summary

SCHEMA = {
    "type": "object",
    "required": ["from", "to"],
    "properties": {
        "from": {"type": "string", "format": "date-time"},
        "to": {"type": "string", "format": "date"},
        "min_idle": {"type": "integer", "minimum": 1, "maximum": 1440},
        "ratio": {"type": "number", "exclusiveMinimum": 0, "multipleOf": 0.5},
        "vehicles": {
            "type": "array",
            "items": {"type": "integer"},
            "uniqueItems": True,
        },
        "mail": {"type": "string", "format": "email"},
        "unit": {"enum": ["km", "mile"]},
        "code": {"type": "string", "maxLength": 3},
    },
}
WEEK = {"from": "2026-11-02T00:00:00", "to": "2026-11-09T00:00:00"}


def test_valid_values_have_no_errors():
    assert field_errors(SCHEMA, {**WEEK, "min_idle": 5, "vehicles": [1, 2]}) == {}


@pytest.mark.parametrize(
    ("extra", "path", "message"),
    [
        ({"min_idle": 2000}, "min_idle", "must be at most 1440"),
        ({"min_idle": 0}, "min_idle", "must be at least 1"),
        ({"min_idle": 1.5}, "min_idle", "must be a whole number"),
        ({"ratio": 0}, "ratio", "must be more than 0"),
        ({"ratio": 0.3}, "ratio", "must be a multiple of 0.5"),
        (
            {"vehicles": [1, 1]},
            "vehicles",
            "must not list the same item twice: item 2 is the same as item 1",
        ),
        ({"vehicles": ["a"]}, "vehicles/0", "must be a whole number"),
        ({"mail": "nobody"}, "mail", "must be an email address"),
        ({"unit": "league"}, "unit", "must be one of: km, mile"),
        ({"code": "abcd"}, "code", "must have at most 3 characters"),
        ({"from": "soon"}, "from", "must be a date and time (YYYY-MM-DDThh:mm:ss)"),
    ],
)
def test_each_problem_is_named_at_its_field(extra, path, message):
    assert field_errors(SCHEMA, {**WEEK, **extra}) == {path: message}


def test_decimal_steps_are_compared_as_written():
    schema = {"type": "number", "multipleOf": 0.1}
    assert field_errors(schema, 0.3) == {}
    assert field_errors(schema, 0.35) == {"": "must be a multiple of 0.1"}


def test_missing_required_field_is_reported_at_the_field():
    assert field_errors(SCHEMA, {"from": WEEK["from"]}) == {"to": "is required"}


def test_wall_times_without_offset_are_accepted_and_date_format_takes_date_time():
    values = {"from": "2026-11-02T08:00:00", "to": "2026-11-02T17:30:00"}
    assert field_errors(SCHEMA, values) == {}


def test_from_after_to_is_an_error_on_the_pair():
    values = {"from": "2026-11-09T00:00:00", "to": "2026-11-02T00:00:00"}
    assert field_errors(SCHEMA, values) == {"to": "must be after the start (from)"}


def test_either_of_two_required_fields():
    schema = {
        "type": "object",
        "anyOf": [{"required": ["vehicles"]}, {"required": ["groups"]}],
    }
    assert field_errors(schema, {}) == {"": "needs one of: vehicles, groups"}
    assert field_errors(schema, {"groups": [1]}) == {}


def test_summary_names_each_field_for_a_job_error():
    errors = field_errors(SCHEMA, {"from": WEEK["from"], "min_idle": 2000})
    assert summary(errors) == (
        "parameter 'min_idle' must be at most 1440; parameter 'to' is required"
    )


@pytest.mark.parametrize(
    ("schema", "words"),
    [
        ({"type": "object", "minProperties": "abc"}, "'minProperties'"),
        ({"properties": {"x": {"type": "string", "pattern": "("}}}, "'pattern'"),
        ({"type": "nonsense"}, "'type'"),
        ({"properties": {"x": {"$ref": "#/definitions/none"}}}, "points to nothing"),
    ],
)
def test_a_broken_schema_is_one_error_on_the_form_not_an_exception(schema, words):
    errors = field_errors(schema, {"x": "("})

    assert list(errors) == [""]
    assert errors[""].startswith("the report's parameters schema cannot be used: ")
    assert words in errors[""]


@pytest.mark.asyncio
async def test_validation_never_fetches_a_remote_reference():
    async with recording() as (url, received):
        schema = {"type": "object", "properties": {"x": {"$ref": f"{url}/s.json"}}}
        # In a thread, so that the loop could answer a fetch if one were made.
        errors = await asyncio.to_thread(field_errors, schema, {"x": 1})

    assert received == []
    assert errors == {
        "": "the report's parameters schema cannot be used: the reference "
        f"{url}/s.json points outside this manifest, and schemas are never "
        "fetched from elsewhere (at /properties/x/$ref)"
    }


def test_times_with_offsets_are_compared_as_moments():
    # 10:00 at UTC-5 is 15:00 UTC; 12:00 at UTC+5 is 07:00 UTC: from is later.
    values = {"from": "2026-11-02T10:00:00-05:00", "to": "2026-11-02T12:00:00+05:00"}
    assert field_errors(SCHEMA, values) == {"to": "must be after the start (from)"}

    values = {"from": "2026-11-02T12:00:00+05:00", "to": "2026-11-02T10:00:00-05:00"}
    assert field_errors(SCHEMA, values) == {}
    values = {"from": "2026-11-02T00:00:00", "to": "2026-11-03T00:00:00Z"}
    assert field_errors(SCHEMA, values) == {
        "to": "has a UTC offset and from has none; use the same form for both: "
        "with or without a UTC offset"
    }


@pytest.mark.parametrize(
    ("start", "end", "which"),
    [
        ("2026-11-02T10:00:00", "2026-11-02T12:00:00+05:00", "has a UTC offset"),
        ("2026-11-02T10:00:00Z", "2026-11-02T12:00:00", "has no UTC offset"),
    ],
)
def test_from_and_to_must_both_have_an_offset_or_neither(start, end, which):
    errors = field_errors(SCHEMA, {"from": start, "to": end})

    assert list(errors) == ["to"]
    assert errors["to"].startswith(which)
    assert errors["to"].endswith(
        "use the same form for both: with or without a UTC offset"
    )


def test_numbers_json_cannot_carry_are_errors_at_their_field():
    values = {**WEEK, "ratio": float("nan"), "vehicles": [1, float("inf")]}

    assert field_errors(SCHEMA, values) == {
        "ratio": "must be a finite number",
        "vehicles/1": "must be a finite number",
    }
