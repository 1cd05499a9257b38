"""Checks report parameters against their JSON Schema, in plain words.

Used by the form (errors shown at each field as the user types), by the
headless runner and by the embedded engine (a job with bad parameters ends
in error naming the field). Errors are keyed by field path, "min_idle" or
"range/low" or "bands/0/label"; "" is the form as a whole.
"""

import datetime as dt
import functools
import json
import re
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from typing import Any

from jsonschema import Draft7Validator, FormatChecker, validators
from jsonschema.exceptions import ValidationError

JsonObject = dict[str, Any]

FORMAT_CHECKER = FormatChecker(formats=())
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_TYPE_WORDS = {
    "string": "text",
    "number": "a number",
    "integer": "a whole number",
    "boolean": "true or false",
    "array": "a list",
    "object": "a group of values",
    "null": "empty",
}


@FORMAT_CHECKER.checks("date-time", raises=ValueError)
def _is_date_time(value: object) -> bool:
    # Gateways send and expect wall times without an offset; accept both.
    return not isinstance(value, str) or _parse_iso(value) is not None


@FORMAT_CHECKER.checks("date", raises=ValueError)
def _is_date(value: object) -> bool:
    # Some manifests say `date` where the engine is given a date-time.
    return not isinstance(value, str) or _parse_iso(value) is not None


@FORMAT_CHECKER.checks("time", raises=ValueError)
def _is_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    dt.time.fromisoformat(value)
    return True


@FORMAT_CHECKER.checks("email")
def _is_email(value: object) -> bool:
    return not isinstance(value, str) or bool(_EMAIL.match(value))


def parse_wall_time(value: str) -> dt.datetime | None:
    """A date or date-time string as a datetime, or None if it is not one."""
    return _parse_iso(value)


def field_errors(schema: JsonObject, value: Any) -> dict[str, str]:
    """Every problem with value, as {field path: plain message}; {} if valid."""
    errors: dict[str, str] = {}
    for error in _validator(_freeze(schema)).iter_errors(value):
        for path, message in _describe(error):
            errors.setdefault(path, message)

    for path, message in _period_errors(value).items():
        errors.setdefault(path, message)
    return errors


def summary(errors: dict[str, str], noun: str = "parameter") -> str:
    """One line naming each field and its problem, for logs and job errors."""
    parts = [
        f"{noun} '{path}' {message}" if path else message
        for path, message in sorted(errors.items())
    ]
    return "; ".join(parts)


def _freeze(schema: JsonObject) -> str:
    return json.dumps(schema, sort_keys=True, default=str)


def _multiple_of(
    validator: Any, step: Any, instance: Any, schema: JsonObject
) -> Iterator[ValidationError]:
    # jsonschema divides binary floats, so 0.3 is not a multiple of 0.1 there;
    # people type decimals, so compare them as the decimals they wrote.
    if not validator.is_type(instance, "number"):
        return
    try:
        remainder = Decimal(str(instance)) % Decimal(str(step))
    except (InvalidOperation, ArithmeticError):
        remainder = Decimal(1)
    if remainder != 0:
        yield ValidationError(f"{instance!r} is not a multiple of {step}")


_DecimalValidator = validators.extend(Draft7Validator, {"multipleOf": _multiple_of})


@functools.lru_cache(maxsize=256)
def _validator(frozen_schema: str) -> Any:
    return _DecimalValidator(json.loads(frozen_schema), format_checker=FORMAT_CHECKER)


def _describe(error: ValidationError) -> Iterator[tuple[str, str]]:
    path = "/".join(str(part) for part in error.absolute_path)
    keyword, expected = error.validator, error.validator_value

    if keyword == "required":
        missing = _missing_property(error)
        yield _join(path, missing), "is required"
    elif keyword in ("anyOf", "oneOf"):
        yield path, _alternatives_message(error)
    elif keyword == "additionalProperties":
        for extra in _extra_properties(error):
            yield _join(path, extra), "is not expected here"
    else:
        yield path, _MESSAGES.get(str(keyword), _fallback)(expected, error)


def _missing_property(error: ValidationError) -> str:
    match = re.match(r"'(.+)' is a required property", error.message)
    return match.group(1) if match else ""


def _extra_properties(error: ValidationError) -> list[str]:
    return re.findall(r"'([^']+)'", error.message.split("(")[-1]) or [""]


def _alternatives_message(error: ValidationError) -> str:
    needed = [
        name
        for branch in error.validator_value
        if isinstance(branch, dict)
        for name in branch.get("required", [])
    ]
    if needed and len(needed) == len(error.validator_value):
        return "needs one of: " + ", ".join(needed)
    return "does not match any of the allowed forms"


def _join(path: str, name: str) -> str:
    return f"{path}/{name}" if path and name else path or name


def _plural(count: Any, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def _fallback(expected: Any, error: ValidationError) -> str:
    return error.message


def _type_message(expected: Any, error: ValidationError) -> str:
    kinds = expected if isinstance(expected, list) else [expected]
    return "must be " + " or ".join(_TYPE_WORDS.get(k, str(k)) for k in kinds)


def _enum_message(expected: Any, error: ValidationError) -> str:
    return "must be one of: " + ", ".join(str(v) for v in expected)


def _format_message(expected: Any, error: ValidationError) -> str:
    words = {
        "date": "a date (YYYY-MM-DD)",
        "date-time": "a date and time (YYYY-MM-DDThh:mm:ss)",
        "time": "a time (hh:mm:ss)",
        "email": "an email address",
    }
    return "must be " + words.get(expected, f"in the {expected} format")


_MESSAGES: dict[str, Any] = {
    "type": _type_message,
    "enum": _enum_message,
    "const": lambda v, e: f"must be {v}",
    "format": _format_message,
    "minimum": lambda v, e: f"must be at least {v}",
    "maximum": lambda v, e: f"must be at most {v}",
    "exclusiveMinimum": lambda v, e: f"must be more than {v}",
    "exclusiveMaximum": lambda v, e: f"must be less than {v}",
    "multipleOf": lambda v, e: f"must be a multiple of {v}",
    "minLength": lambda v, e: f"must have at least {_plural(v, 'character')}",
    "maxLength": lambda v, e: f"must have at most {_plural(v, 'character')}",
    "pattern": lambda v, e: "is not in the expected form",
    "minItems": lambda v, e: f"must have at least {_plural(v, 'item')}",
    "maxItems": lambda v, e: f"must have at most {_plural(v, 'item')}",
    "uniqueItems": lambda v, e: "must not list the same item twice",
}


def _period_errors(value: Any) -> dict[str, str]:
    """`from` must come before `to` when both are given."""
    if not isinstance(value, dict):
        return {}
    start, end = value.get("from"), value.get("to")
    if not (isinstance(start, str) and isinstance(end, str)):
        return {}

    start_time, end_time = _parse_iso(start), _parse_iso(end)
    if start_time is None or end_time is None:
        return {}
    if _naive(start_time) >= _naive(end_time):
        return {"to": "must be after the start (from)"}
    return {}


def _parse_iso(value: str) -> dt.datetime | None:
    text = value.strip()
    if not re.match(r"^\d{4}-\d{2}-\d{2}", text):
        return None
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _naive(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=None)
