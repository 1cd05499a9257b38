"""Parameter checks in plain words, keyed by the field they concern."""

import pytest

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
        ({"vehicles": [1, 1]}, "vehicles", "must not list the same item twice"),
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
