"""Folding a schema's `allOf` into one schema, for the form to show.

A form shows one field per property, so `{"allOf": [A, B]}` is merged into
a single schema before the form is built: properties of both, required of
both, and where both set a bound the tighter one wins. The merged schema is
only what the form shows; values are still checked against the schema as
written (app/validation.py), so a merge never has to be exact to be safe.

What cannot be folded into one schema is kept beside it: conditions
(`if`/`then`/`else`) and `not` stay in a shorter `allOf` that
app/form_conditions.py evaluates. What contradicts itself (a field that
must be text and a number at once, bounds that leave no value) raises
MergeError with words for the user; the form then offers the field as JSON.
"""

import json
import logging
from decimal import Decimal, InvalidOperation
from math import lcm
from typing import Any

from app.errors import ManifestError

log = logging.getLogger(__name__)

JsonObject = dict[str, Any]

# Kept aside by a merge: a condition or a negation is not one schema's keyword.
KEPT_APART = ("if", "then", "else", "not")
# How deep allOf inside allOf is followed; the manifest's depth bound is
# larger, but no real schema nests merges this far.
MAX_MERGE_DEPTH = 32

_LOWER_BOUNDS = frozenset(
    {"minimum", "exclusiveMinimum", "minLength", "minItems"}
    | {"minProperties", "minContains"}
)
_UPPER_BOUNDS = frozenset(
    {"maximum", "exclusiveMaximum", "maxLength", "maxItems"}
    | {"maxProperties", "maxContains"}
)
_BOUND_PAIRS = (
    ("minimum", "maximum"),
    ("minLength", "maxLength"),
    ("minItems", "maxItems"),
    ("minProperties", "maxProperties"),
)
_TYPE_WORDS = {
    "string": "text",
    "number": "a number",
    "integer": "a whole number",
    "boolean": "true or false",
    "array": "a list",
    "object": "a group of values",
    "null": "empty",
}
_SCHEMA_MAPS = ("properties", "patternProperties", "dependentSchemas")


class MergeError(ManifestError):
    """Schemas that cannot be merged into one; the text says why."""


def merge_all_of(schema: JsonObject, depth: int = 0) -> JsonObject:
    """schema with its `allOf` merged in; conditions kept in a shorter allOf.

    A schema without allOf comes back as it is (the same object).
    """
    members = schema.get("allOf")
    if members is None:
        return schema
    if not isinstance(members, list):
        raise MergeError("its allOf is not a list of schemas")
    if depth > MAX_MERGE_DEPTH:
        raise MergeError(f"its allOf nests more than {MAX_MERGE_DEPTH} levels deep")

    merged = {key: value for key, value in schema.items() if key != "allOf"}
    apart: list[Any] = []
    for member in members:
        if member is True or member == {}:
            continue
        if not isinstance(member, dict):
            raise MergeError("one of its allOf schemas allows no value at all")
        member = merge_all_of(member, depth + 1)
        own, kept = split_apart(member)
        apart += kept
        merged = merge_schemas(merged, own)

    if apart:
        merged["allOf"] = apart
    return merged


def split_apart(schema: JsonObject) -> tuple[JsonObject, list[JsonObject]]:
    """schema without what a merge keeps apart, and those parts as schemas."""
    own = {k: v for k, v in schema.items() if k not in KEPT_APART and k != "allOf"}
    kept: list[JsonObject] = []
    condition: JsonObject = {
        k: schema[k] for k in ("if", "then", "else") if k in schema
    }
    if "if" in condition:
        kept.append(condition)
    if "not" in schema:
        kept.append({"not": schema["not"]})
    # What merge_all_of already kept apart in a member stays apart.
    rest = schema.get("allOf")
    if isinstance(rest, list):
        kept += [part for part in rest if isinstance(part, dict)]
    return own, kept


def merge_schemas(first: JsonObject, second: JsonObject, where: str = "") -> JsonObject:
    """One schema that asks what both ask; the tighter bound wins.

    Titles, descriptions, defaults and other words come from first where it
    has them. Both are taken as merge_all_of gave them: an allOf in them
    holds only what is kept apart. where names the place for messages
    ("lorem/inner").
    """
    if "$ref" in first or "$ref" in second:
        raise MergeError(_at(where, "it combines a schema that contains itself"))
    first_own, first_apart = split_apart(first)
    second_own, second_apart = split_apart(second)

    merged = dict(first_own)
    for key, value in second_own.items():
        if key not in merged:
            merged[key] = value
        else:
            merged[key] = _merge_keyword(key, merged[key], value, where)

    _check_bounds(merged, where)
    apart = first_apart + second_apart
    if apart:
        merged["allOf"] = apart
    return merged


def _merge_keyword(key: str, first: Any, second: Any, where: str) -> Any:
    if _same(first, second):
        return first
    if key == "type":
        return _merge_types(first, second, where)
    if key in _SCHEMA_MAPS and isinstance(first, dict) and isinstance(second, dict):
        return _merge_maps(first, second, where)
    if key == "required" and isinstance(first, list) and isinstance(second, list):
        return first + [name for name in second if name not in first]
    if key == "enum" and isinstance(first, list) and isinstance(second, list):
        both = [value for value in first if any(_same(value, v) for v in second)]
        if not both:
            raise MergeError(_at(where, "no value is in both of its lists of choices"))
        return both
    if key == "const":
        raise MergeError(_at(where, f"it must be {_show(first)} and {_show(second)}"))
    if key in _LOWER_BOUNDS or key in _UPPER_BOUNDS:
        return _tighter(key, first, second)
    return _merge_other(key, first, second, where)


def _merge_other(key: str, first: Any, second: Any, where: str) -> Any:
    if key == "multipleOf":
        return _common_multiple(first, second, where)
    if key == "pattern" and isinstance(first, str) and isinstance(second, str):
        # Both must match: each is looked for from the start of the text.
        return f"(?=.*?(?:{first}))(?=.*?(?:{second}))"
    if key == "format":
        raise MergeError(_at(where, f"it must be in the {first} and {second} formats"))
    if key == "uniqueItems":
        return first is True or second is True
    if key in ("items", "additionalProperties", "propertyNames", "contains"):
        return _merge_subschemas(first, second, where)
    if key in ("dependencies", "dependentRequired"):
        return _merge_dependencies(first, second, where)
    if key in ("oneOf", "anyOf"):
        raise MergeError(_at(where, f"it has two sets of alternatives ({key})"))
    # Words (title, description, default, ...): the first schema's are kept.
    return first


def _merge_types(first: Any, second: Any, where: str) -> Any:
    one = _type_set(first)
    two = _type_set(second)
    both = one & two
    # A whole number is a number too.
    if "integer" in one and "number" in two or "number" in one and "integer" in two:
        both.add("integer")
    if not both:
        raise MergeError(
            _at(
                where,
                f"it must be {_type_words(first)} and {_type_words(second)} at once",
            )
        )
    order = first if isinstance(first, list) else [first]
    kept = [kind for kind in order if kind in both]
    kept += sorted(both - set(kept))
    return kept[0] if len(kept) == 1 else kept


def _type_set(value: Any) -> set[str]:
    kinds = value if isinstance(value, list) else [value]
    return {kind for kind in kinds if isinstance(kind, str)}


def _type_words(value: Any) -> str:
    kinds = value if isinstance(value, list) else [value]
    return " or ".join(_TYPE_WORDS.get(str(kind), str(kind)) for kind in kinds)


def _merge_maps(first: JsonObject, second: JsonObject, where: str) -> JsonObject:
    merged = dict(first)
    for name, schema in second.items():
        if name not in merged:
            merged[name] = schema
        else:
            merged[name] = _merge_subschemas(
                merged[name], schema, _join(where, str(name))
            )
    return merged


def _merge_subschemas(first: Any, second: Any, where: str) -> Any:
    if first is False or second is False:
        return False
    if first is True:
        return second
    if second is True:
        return first
    if isinstance(first, dict) and isinstance(second, dict):
        return merge_schemas(merge_all_of(first), merge_all_of(second), where)
    return first


def _merge_dependencies(first: Any, second: Any, where: str) -> Any:
    if not (isinstance(first, dict) and isinstance(second, dict)):
        return first
    merged = dict(first)
    for name, needs in second.items():
        had = merged.get(name)
        if had is None:
            merged[name] = needs
        elif isinstance(had, list) and isinstance(needs, list):
            merged[name] = had + [n for n in needs if n not in had]
        elif isinstance(had, dict) and isinstance(needs, dict):
            merged[name] = _merge_subschemas(had, needs, _join(where, str(name)))
        else:
            # One lists names, the other gives a schema: both must hold.
            names, schema = (had, needs) if isinstance(had, list) else (needs, had)
            merged[name] = _merge_subschemas(schema, {"required": names}, where)
    return merged


def _tighter(key: str, first: Any, second: Any) -> Any:
    one, two = _decimal(first), _decimal(second)
    if one is None:
        return second
    if two is None:
        return first
    if key in _LOWER_BOUNDS:
        return first if one >= two else second
    return first if one <= two else second


def _common_multiple(first: Any, second: Any, where: str) -> Any:
    one, two = _decimal(first), _decimal(second)
    if one is None or two is None or one <= 0 or two <= 0:
        return first
    if one % two == 0:
        return first
    if two % one == 0:
        return second
    if one == one.to_integral_value() and two == two.to_integral_value():
        return lcm(int(one), int(two))
    raise MergeError(
        _at(where, f"it must be a multiple of {first} and of {second} at once")
    )


def _check_bounds(schema: JsonObject, where: str) -> None:
    """Bounds that leave no value at all are an error, said with both bounds."""
    for low_key, high_key in _BOUND_PAIRS:
        low, high = _decimal(schema.get(low_key)), _decimal(schema.get(high_key))
        if low is not None and high is not None and low > high:
            raise MergeError(
                _at(
                    where,
                    f"no value fits: {low_key} {schema[low_key]} is more than "
                    f"{high_key} {schema[high_key]}",
                )
            )


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _same(first: Any, second: Any) -> bool:
    # 1 and True are equal in Python but not in JSON.
    return json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)


def _show(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _join(where: str, name: str) -> str:
    return f"{where}/{name}" if where else name


def _at(where: str, message: str) -> str:
    return f"{where}: {message}" if where else message


def merged_or_reason(
    schema: JsonObject, *, lenient: bool = False
) -> tuple[JsonObject, str]:
    """schema with its allOf merged and "", or schema as it is and why not.

    lenient: merge the parts of the allOf that can be, leave out the others,
    and still say why (for a whole form, which cannot fall back to JSON).
    """
    try:
        return merge_all_of(schema), ""
    except MergeError as exc:
        log.info("an allOf cannot be merged for the form: %s", exc)
        reason = f"parts of it that cannot be combined (allOf): {exc}"
    if not lenient or not isinstance(schema.get("allOf"), list):
        return schema, reason

    merged = {key: value for key, value in schema.items() if key != "allOf"}
    apart: list[JsonObject] = []
    for member in schema["allOf"]:
        if not isinstance(member, dict):
            continue
        try:
            own, kept = split_apart(merge_all_of(member))
            merged = merge_schemas(merged, own)
        except MergeError:
            continue
        apart += kept
    if apart:
        merged["allOf"] = apart
    return merged, reason


def form_note(schema: JsonObject) -> str:
    """What a form must say about its own schema's allOf ("" when merged).

    A field whose allOf cannot be merged is offered as JSON; the whole form
    cannot be, so it shows what merges and says this.
    """
    _, reason = merged_or_reason(schema)
    if not reason:
        return ""
    # TODO(forms): the fields of the parts of the allOf that cannot be
    # merged are left out of the form; the user can read why but not fill
    # them in (a JSON field for those parts would let them).
    return f"Some fields of this report cannot be shown: it has {reason}."
