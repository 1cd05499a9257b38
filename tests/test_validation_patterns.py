"""Manifest patterns are checked in bounded time, with their error at the field."""

import pytest

from app.patterns import TOO_SLOW
from app.validation import field_errors

# Backtracks exponentially in Python's re: 2**40 steps on this text.
SLOW = "^(a|a)*$"
SLOW_TEXT = "a" * 40 + "b"


@pytest.mark.timeout(30)
def test_a_pattern_that_backtracks_forever_gives_an_error_at_its_field():
    schema = {
        "type": "object",
        "properties": {
            "code": {"type": "string", "pattern": SLOW},
            "name": {"type": "string", "minLength": 3},
        },
    }

    errors = field_errors(schema, {"code": SLOW_TEXT, "name": "x"})

    assert errors == {"code": TOO_SLOW, "name": "must have at least 3 characters"}
    assert "simplify" in errors["code"]


@pytest.mark.timeout(30)
def test_slow_pattern_properties_and_property_names_give_errors_at_their_keys():
    schema = {
        "type": "object",
        "patternProperties": {SLOW: {"type": "integer"}},
        "additionalProperties": False,
    }

    errors = field_errors(schema, {SLOW_TEXT: 5})

    assert errors == {SLOW_TEXT: TOO_SLOW}

    names = {"type": "object", "propertyNames": {"pattern": SLOW}}
    assert field_errors(names, {SLOW_TEXT: 1}) == {"": TOO_SLOW}


def test_fair_patterns_still_check_values_and_keys():
    schema = {
        "type": "object",
        "properties": {"plate": {"type": "string", "pattern": "^[A-Z]{3}-\\d{3}$"}},
        "patternProperties": {"^x_": {"type": "integer"}},
        "additionalProperties": False,
    }

    assert field_errors(schema, {"plate": "ABC-123", "x_a": 4}) == {}
    errors = field_errors(schema, {"plate": "abc", "x_a": "4", "other": 1})
    assert errors["plate"].startswith("must look like")
    assert errors["x_a"] == "must be a whole number"
    assert errors["other"] == "is not expected here"
