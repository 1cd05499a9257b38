"""Checks report parameters against their JSON Schema, in plain words.

Used by the form (errors shown at each field as the user types), by the
headless runner and by the embedded engine (a job with bad parameters ends
in error naming the field). Errors are keyed by field path, "min_idle" or
"range/low" or "bands/0/label"; "" is the form as a whole.

Schemas come from manifests we do not control, so schema_problems checks one
before use (Draft 7 keywords, patterns, references), and validation never
fetches anything: a reference that leaves the schema is a problem, not a
download.
"""

import datetime as dt
import functools
import json
import logging
import re
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from typing import Any

from jsonschema import Draft7Validator, FormatChecker, validators
from jsonschema.exceptions import ValidationError
from referencing import Registry
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT7, SchemaRegistry

from app.display_text import clipped, quoted
from app.form_arrays import unique_message
from app.form_scalars import is_uri, pattern_message
from app.jsonlimits import MAX_DEPTH, depth_exceeds, nonfinite_paths
from app.patterns import PATTERN_KEYWORDS, TOO_SLOW, pattern_problem
from app.schema_bounds import loop_problem, nonfinite_problems

log = logging.getLogger(__name__)

JsonObject = dict[str, Any]
SchemaPath = tuple[str | int, ...]

FORMAT_CHECKER = FormatChecker(formats=())
MAX_SCHEMA_PROBLEMS = 10
# Characters of a wrong value shown in a message about a schema.
_VALUE_SHOWN = 60

# No `retrieve`: a reference to anything but the schema itself (and the
# Draft 7 meta-schema) is unresolvable, never fetched.
NO_FETCH_REGISTRY: SchemaRegistry = Registry().with_resource(
    str(Draft7Validator.META_SCHEMA["$id"]).rstrip("#"),
    DRAFT7.create_resource(Draft7Validator.META_SCHEMA),
)
_META_VALIDATOR = Draft7Validator(
    Draft7Validator.META_SCHEMA, format_checker=Draft7Validator.FORMAT_CHECKER
)
# Where Draft 7 keeps subschemas: one schema, a list of them, or a map of them.
_SCHEMA_KEYWORDS = frozenset(
    {"additionalItems", "additionalProperties", "contains", "else", "if", "not"}
    | {"propertyNames", "then", "items"}
)
_SCHEMA_LIST_KEYWORDS = frozenset({"allOf", "anyOf", "oneOf", "items"})
_SCHEMA_MAP_KEYWORDS = frozenset(
    {"definitions", "properties", "patternProperties", "dependencies"}
)
# What the meta-schema asks for, as a manifest's author would say it.
_META_TYPE_WORDS = {
    "object": "an object",
    "boolean": "true or false",
    "array": "a list",
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "null": "null",
}
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


@FORMAT_CHECKER.checks("uri")
def _is_uri(value: object) -> bool:
    return not isinstance(value, str) or is_uri(value)


def parse_wall_time(value: str) -> dt.datetime | None:
    """A date or date-time string as a datetime, or None if it is not one."""
    return _parse_iso(value)


def field_errors(schema: JsonObject, value: Any) -> dict[str, str]:
    """Every problem with value, as {field path: plain message}; {} if valid.

    Never raises for a bad schema: a schema that cannot be used gives one
    error on the whole form saying why.
    """
    if depth_exceeds(schema, MAX_DEPTH):
        return {
            "": f"the report's parameters schema nests more than {MAX_DEPTH} "
            "levels deep and cannot be used"
        }
    checker = _validator(_freeze(schema))
    if isinstance(checker, str):
        return {"": checker}

    # JSON has no NaN or infinity: no gateway or engine can be sent one.
    errors = {path: "must be a finite number" for path in nonfinite_paths(value)}
    try:
        for error in checker.iter_errors(value):
            for path, message in _describe(error):
                errors.setdefault(path, message)
    except RecursionError:
        # schema_problems refuses the loops it can see; one it cannot (through
        # an $id) must still end in words, not in a crash.
        log.warning("checking a value against a schema recursed without end")
        return {
            "": "the report's parameters schema cannot be used: checking "
            "a value against it never ends (its references loop)"
        }

    for path, message in _period_errors(value).items():
        errors.setdefault(path, message)
    return errors


def schema_problems(schema: Any) -> list[tuple[SchemaPath, str]]:
    """What makes schema unusable for validation, each with where it is.

    Checks the schema against the Draft 7 meta-schema, compiles its
    patterns and follows each of its references (without fetching
    anything), and looks for references that loop. [] means field_errors
    can use it.
    """
    found = meta_schema_problems(schema)
    if not found and isinstance(schema, dict):
        resolver = NO_FETCH_REGISTRY.resolver_with_root(DRAFT7.create_resource(schema))
        found = list(_reference_problems(schema, (), resolver, ""))
    if not found and isinstance(schema, dict):
        loop = loop_problem(schema, lambda ref: follow_reference(resolver, ref))
        found = [loop] if loop is not None else []
    return found[:MAX_SCHEMA_PROBLEMS]


def meta_schema_problems(schema: Any) -> list[tuple[SchemaPath, str]]:
    """Where schema breaks the Draft 7 meta-schema, in plain words.

    Cheap and safe on anything: app.manifest runs it before following a
    script's references, which assume schemas, `$id`s, ... of the right types.
    """
    if depth_exceeds(schema, MAX_DEPTH):
        return [((), f"the schema nests more than {MAX_DEPTH} levels deep")]
    found = [
        (tuple(error.absolute_path), _meta_message(error))
        for error in _META_VALIDATOR.iter_errors(schema)
    ]
    found += nonfinite_problems(schema)
    return found[:MAX_SCHEMA_PROBLEMS]


def follow_reference(resolver: Any, ref: str) -> Any:
    """The resolved target of ref, or None when it leads nowhere."""
    try:
        return resolver.lookup(ref)
    # WORKAROUND(referencing 0.37): a pointer through a number or a string,
    # or a word used as a list index, raises these instead of Unresolvable.
    except (Unresolvable, LookupError, ValueError, TypeError, AttributeError):
        return None


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


_DecimalValidator = validators.extend(
    Draft7Validator,
    {
        "multipleOf": _multiple_of,
        **PATTERN_KEYWORDS,
    },
)


@functools.lru_cache(maxsize=256)
def _validator(frozen_schema: str) -> Any:
    """A validator for the schema, or the text of why it cannot have one."""
    schema = json.loads(frozen_schema)
    problems = schema_problems(schema)
    if problems:
        path, message = problems[0]
        log.warning("a parameters schema cannot be used: %s", message)
        return f"the report's parameters schema cannot be used: {message}{_place(path)}"
    return _DecimalValidator(
        schema, format_checker=FORMAT_CHECKER, registry=NO_FETCH_REGISTRY
    )


def _meta_message(error: ValidationError) -> str:
    path = list(error.absolute_path)
    keyword = next((p for p in reversed(path) if isinstance(p, str)), "")
    where = f"the keyword {keyword!r}" if keyword else "the schema"
    if len(path) > 1 and path[-2] in _SCHEMA_MAP_KEYWORDS:
        # properties/x: x names a field (or a definition), not a keyword.
        where = f"the schema of {str(path[-1])!r} in {path[-2]!r}"
    if error.validator == "type":
        # A value of the wrong type, said without Python's or jsonschema's
        # words ("5 is not of type 'object', 'boolean'").
        expected = error.validator_value
        kinds = expected if isinstance(expected, list) else [expected]
        words = " or ".join(_META_TYPE_WORDS.get(str(k), str(k)) for k in kinds)
        if sorted(map(str, kinds)) == ["boolean", "object"]:
            words = "a schema (an object, or true or false)"
        given = _META_TYPE_WORDS.get(_json_type(error.instance), "something else")
        if isinstance(error.instance, str):
            given += f" ({quoted(error.instance, _VALUE_SHOWN)})"
        elif isinstance(error.instance, int | float) and given != "true or false":
            given += f" ({clipped(str(error.instance), _VALUE_SHOWN)})"
        return f"{where} is not valid JSON Schema: it must be {words}, not {given}"
    return f"{where} is not valid JSON Schema: {error.message}"


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    return {float: "number", str: "string", list: "array", dict: "object"}.get(
        type(value), ""
    )


def _reference_problems(
    node: Any, path: SchemaPath, resolver: Any, scope: str
) -> Iterator[tuple[SchemaPath, str]]:
    """The references that lead nowhere and the patterns that do not compile.

    scope is the nearest `$id` above node, which references are relative to.
    """
    if not isinstance(node, dict):
        return
    ref = node.get("$ref")
    if isinstance(ref, str):
        # Draft 7 ignores whatever is written beside a $ref.
        if follow_reference(resolver, ref) is None:
            yield (*path, "$ref"), _unresolvable_message(ref, scope)
        return

    resolver = resolver.in_subresource(DRAFT7.create_resource(node))
    own_id = node.get("$id")
    if isinstance(own_id, str) and not own_id.startswith("#"):
        scope = own_id
    patterns = [((*path, "pattern"), node.get("pattern"))]
    if isinstance(node.get("patternProperties"), dict):
        patterns += [
            ((*path, "patternProperties", key), key)
            for key in node["patternProperties"]
        ]
    # A pattern that backtracks badly, like "(a+)+$", passes here: it is
    # matched with a time limit (app/patterns.py), not refused.
    for where, pattern in patterns:
        if isinstance(pattern, str) and (problem := pattern_problem(pattern)):
            yield where, f"the pattern {pattern!r} is not a valid pattern: {problem}"

    for keyword, value in node.items():
        if keyword in _SCHEMA_KEYWORDS and isinstance(value, dict):
            children = [((*path, keyword), value)]
        elif keyword in _SCHEMA_LIST_KEYWORDS and isinstance(value, list):
            children = [((*path, keyword, i), item) for i, item in enumerate(value)]
        elif keyword in _SCHEMA_MAP_KEYWORDS and isinstance(value, dict):
            children = [((*path, keyword, k), item) for k, item in value.items()]
        else:
            continue
        for child_path, child in children:
            yield from _reference_problems(child, child_path, resolver, scope)


def _unresolvable_message(ref: str, scope: str) -> str:
    if scope:
        return (
            f"the reference {ref} cannot be followed: the $id {scope} above it "
            "makes it point outside this manifest, and schemas are never "
            "fetched from elsewhere"
        )
    if not ref.startswith("#"):
        return (
            f"the reference {ref} points outside this manifest, and schemas "
            "are never fetched from elsewhere"
        )
    return f"the reference {ref} points to nothing in this schema"


def _place(path: SchemaPath) -> str:
    if not path:
        return ""
    return " (at /" + "/".join(str(p) for p in path) + ")"


def _describe(error: ValidationError) -> Iterator[tuple[str, str]]:
    path = "/".join(str(part) for part in error.absolute_path)
    keyword, expected = error.validator, error.validator_value

    if keyword == "required":
        missing = _missing_property(error)
        yield _join(path, missing), "is required"
    elif keyword in ("anyOf", "oneOf"):
        chosen = _chosen_branch_errors(error)
        if chosen:
            for inner in chosen:
                yield from _describe(inner)
        else:
            yield path, _alternatives_message(error)
    elif error.message == TOO_SLOW:
        yield path, TOO_SLOW
    elif keyword == "additionalProperties":
        for extra in _extra_properties(error):
            yield _join(path, extra), "is not expected here"
    else:
        yield path, _MESSAGES.get(str(keyword), _fallback)(expected, error)


def _chosen_branch_errors(error: ValidationError) -> list[ValidationError]:
    """The errors of the one alternative the value is meant for, if one is.

    That is the only one whose constants the value matches, else the only
    one that misses no required field: its errors then show at their
    fields ("side: must have at least 3 characters"), as the form shows
    that alternative's fields.
    """
    alternatives = error.validator_value
    if not isinstance(alternatives, list) or not all(
        isinstance(b, dict) and ("properties" in b or b.get("type") == "object")
        for b in alternatives
    ):
        return []
    branches: dict[Any, list[ValidationError]] = {}
    for inner in error.context or []:
        if inner.relative_schema_path:
            branches.setdefault(inner.relative_schema_path[0], []).append(inner)
    if len(branches) != len(alternatives):
        # Some alternative matched (a oneOf matched twice): no single one to blame.
        return []
    for ruled_out in (("const", "enum"), ("required",)):
        left = [
            errors
            for errors in branches.values()
            if not any(e.validator in ruled_out for e in errors)
        ]
        if len(left) == 1:
            return left[0]
        if len(left) > 1:
            branches = {i: e for i, e in enumerate(left)}
    return []


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
        "uri": "a web address, like https://example.org/page",
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
    "pattern": lambda v, e: pattern_message(v, e.schema),
    "minItems": lambda v, e: f"must have at least {_plural(v, 'item')}",
    "maxItems": lambda v, e: f"must have at most {_plural(v, 'item')}",
    "uniqueItems": lambda v, e: unique_message(e.instance),
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

    # An aware and a naive time cannot be ordered: the naive one is a wall
    # time in a zone we do not know here.
    start_aware, end_aware = start_time.tzinfo is not None, end_time.tzinfo is not None
    if start_aware != end_aware:
        if end_aware:
            which = "has a UTC offset and from has none"
        else:
            which = "has no UTC offset and from has one"
        return {
            "to": f"{which}; use the same form for both: with or without a UTC offset"
        }
    if start_time >= end_time:
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
