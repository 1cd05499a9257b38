"""Report forms without Qt: which field each schema property becomes.

A script's resolved parameters schema (app.manifest.Script.schema) is turned
into a tree of FieldSpec, one per property, each naming the kind of editor
it needs. The kind is chosen by an ordered table of rules (FIELD_KINDS), the
first that matches wins, so new kinds are added as rows, not as branches.
What no rule handles yet becomes kind "json": a small JSON text editor, with
`unsupported` saying what is missing. Titles, descriptions and choice labels
are for showing, so they are cut to a readable length (app/display_text.py);
names and values are kept whole.

The starting values of a form and the quick periods for `$from`/`$to`
live in app/form_start.py; their names are re-exported here, so the
widgets and the command line import them from app.forms as before.
"""

import dataclasses
import functools
import json
import logging
import re
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from app.display_text import DESCRIPTION_LIMIT, TITLE_LIMIT, clipped, one_line
from app.form_arrays import (
    ITEM_INDEX,
    ITEM_NAME,
    is_list,
    is_tuple,
)
from app.form_conditions import is_logic_object
from app.form_scalars import is_null, is_nullable, non_null_schema

# Re-exported: the start values and periods moved to app/form_start.py.
from app.form_start import (  # noqa: F401 (re-exported)
    CUSTOM_PERIOD,
    DEFAULT_PERIOD,
    PERIODS,
    SPEED_FOR_DISTANCE,
    START_ROUNDS,
    FormContext,
    FormState,
    date_text,
    initial_values,
    period_range,
    speed_for_distance,
    today_in,
    wall_time_text,
)
from app.jsonvalues import number
from app.recursion import is_open_ref
from app.schema_merge import merged_or_reason

log = logging.getLogger(__name__)

JsonObject = dict[str, Any]

TEXT = "text"
DATE = "date"
DATETIME = "datetime"
NUMBER = "number"
INTEGER = "integer"
BOOLEAN = "boolean"
CHOICE = "choice"
MULTI_CHOICE = "multi_choice"
RESOURCES = "resources"
OBJECT = "object"
JSON = "json"
REFERENCE = "reference"
ARRAY = "array"
TIME = "time"
NULL = "null"
NULLABLE = "nullable"
CONSTANT = "constant"

PERIOD_PEG_TYPES = ("$from", "$to")
TZ_PEG_TYPE = "$tz"
PREFS_PEG_TYPE = "$prefs"
RESOURCE_PEG_TYPES: dict[str, str] = {
    "$vehicles": "vehicles",
    "$groups": "groups",
    "$geofences": "geofences",
    "$assets": "assets",
    "$triggers": "triggers",
    "$users": "users",
}


@dataclass
class FieldSpec:
    """One field of a report form, as the schema describes it."""

    name: str
    path: str
    title: str
    kind: str
    required: bool = False
    description: str = ""
    default: Any = None
    has_default: bool = False
    read_only: bool = False
    # The bounds as the schema writes them: an exact int for a whole number.
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: float | None = None
    exclusive_maximum: float | None = None
    multiple_of: float | None = None
    choices: list[tuple[Any, str]] = field(default_factory=list)
    # Set only when the field is a picker of that gateway resource.
    resource: str | None = None
    peg_type: str | None = None
    children: list["FieldSpec"] = field(default_factory=list)
    # Kind "array": one item's template (app/form_arrays.py); kind "nullable":
    # the field as its type without null.
    item: "FieldSpec | None" = None
    schema: JsonObject = field(default_factory=dict)
    # For kind "json": what the form cannot edit yet, in words for the user.
    unsupported: str = ""


@dataclass(frozen=True)
class FieldKind:
    """A rule of the kind table: the first kind whose test accepts a schema."""

    name: str
    matches: Callable[[JsonObject], bool]
    choices: Callable[[JsonObject], list[tuple[Any, str]]] = lambda schema: []


def form_fields(
    schema: JsonObject, kinds: tuple[FieldKind, ...] | None = None, prefix: str = ""
) -> list[FieldSpec]:
    """The fields of a form for an object schema, in the order written.

    prefix starts each path: "range/" for the fields of a group "range".
    """
    table = FIELD_KINDS if kinds is None else kinds
    return _object_fields(merged_or_reason(schema, lenient=True)[0], prefix, table)


def root_field(
    schema: JsonObject, kinds: tuple[FieldKind, ...] | None = None
) -> FieldSpec:
    """The one field of a form whose value is not an object: the whole value
    (path ""), titled "Value" when the schema has no title."""
    table = FIELD_KINDS if kinds is None else kinds
    spec = _field("", schema, "", True, table)
    return spec if spec.title else dataclasses.replace(spec, title="Value")


def title_from_name(name: str) -> str:
    """A label made from a property name: "min_idle" -> "Min idle"."""
    name = one_line(name, TITLE_LIMIT)
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name)
    words = re.sub(r"[_\-\s]+", " ", spaced).strip().lower()
    return words[:1].upper() + words[1:] if words else name


def choice_label(value: Any) -> str:
    """How an enum value reads in a list: strings as they are, others as JSON."""
    text = value if isinstance(value, str) else json.dumps(value)
    return one_line(text, TITLE_LIMIT)


@functools.cache
def time_zones() -> tuple[str, ...]:
    """Every IANA zone name known to this machine (or to tzdata), sorted."""
    # TODO(pickers): not the gateway's own list (GET /api/tz, "allowed"): a
    # zone it does not accept is found out only when the job fails.
    return tuple(sorted(zoneinfo.available_timezones()))


def describe_subpath(subpath: str) -> str:
    """A path inside a field in words: "0/label" -> "item 1, label"."""
    parts = []
    for part in subpath.split("/"):
        parts.append(f"item {int(part) + 1}" if part.isdigit() else part)
    return ", ".join(parts)


# --- The kind table ----------------------------------------------------------


def _object_fields(
    schema: JsonObject, prefix: str, kinds: tuple[FieldKind, ...]
) -> list[FieldSpec]:
    properties = schema.get("properties")
    if not isinstance(properties, dict):
        return []
    required = schema.get("required")
    required_names = set(required) if isinstance(required, list) else set()

    return [
        _field(name, sub, f"{prefix}{name}", name in required_names, kinds)
        for name, sub in properties.items()
    ]


def _field(
    name: str, schema: Any, path: str, required: bool, kinds: tuple[FieldKind, ...]
) -> FieldSpec:
    if not isinstance(schema, dict):
        return FieldSpec(
            name=name,
            path=path,
            title=title_from_name(name),
            kind=JSON,
            required=required,
            unsupported="its schema is not an object",
        )

    schema, cannot_merge = merged_or_reason(schema)
    kind = None if cannot_merge else next((k for k in kinds if k.matches(schema)), None)
    spec = FieldSpec(
        name=name,
        path=path,
        title=_title(schema.get("title")) or title_from_name(name),
        kind=kind.name if kind else JSON,
        required=required,
        description=clipped(_text(schema.get("description")), DESCRIPTION_LIMIT),
        default=schema.get("default"),
        has_default="default" in schema,
        read_only=schema.get("readOnly") is True,
        minimum=_bound(schema.get("minimum")),
        maximum=_bound(schema.get("maximum")),
        exclusive_minimum=_bound(schema.get("exclusiveMinimum")),
        exclusive_maximum=_bound(schema.get("exclusiveMaximum")),
        multiple_of=_bound(schema.get("multipleOf")),
        choices=kind.choices(schema) if kind else [],
        peg_type=_peg(schema),
        schema=schema,
    )
    if spec.kind == RESOURCES:
        spec.resource = RESOURCE_PEG_TYPES[schema["peg_type"]]
    elif spec.kind == OBJECT:
        spec.children = _object_fields(schema, f"{path}/", kinds)
    elif spec.kind == ARRAY:
        item_path = f"{path}/{ITEM_INDEX}"
        spec.item = _field(ITEM_NAME, _item_schema(schema), item_path, True, kinds)
    elif spec.kind == NULLABLE:
        spec.item = _field(name, non_null_schema(schema), path, required, kinds)
    elif spec.kind == JSON:
        spec.unsupported = cannot_merge or _unsupported(schema)
    return spec


def _type(schema: JsonObject) -> Any:
    return schema.get("type")


def _peg(schema: JsonObject) -> str | None:
    peg_type = schema.get("peg_type")
    return peg_type if isinstance(peg_type, str) else None


def _is_period(schema: JsonObject) -> bool:
    # Manifests write `format: date` on from/to, yet engines are given a
    # date-time (DESIGN.md quirk 7): a period end is always a date-time.
    return _peg(schema) in PERIOD_PEG_TYPES and _type(schema) in ("string", None)


def _is_zone(schema: JsonObject) -> bool:
    return _peg(schema) == TZ_PEG_TYPE and _type(schema) in ("string", None)


def _zone_choices(schema: JsonObject) -> list[tuple[Any, str]]:
    if isinstance(schema.get("enum"), list):
        return _enum_choices(schema)
    return [(zone, zone) for zone in time_zones()]


def _is_resources(schema: JsonObject) -> bool:
    items = schema.get("items")
    return (
        _peg(schema) in RESOURCE_PEG_TYPES
        and _type(schema) == "array"
        and isinstance(items, dict)
        and items.get("type") == "integer"
    )


def _is_const(schema: JsonObject) -> bool:
    return "const" in schema


def _const_choices(schema: JsonObject) -> list[tuple[Any, str]]:
    value = schema["const"]
    return [(value, _title(schema.get("title")) or choice_label(value))]


def _is_enum(schema: JsonObject) -> bool:
    return isinstance(schema.get("enum"), list) and bool(schema["enum"])


def _enum_choices(schema: JsonObject) -> list[tuple[Any, str]]:
    return [(value, choice_label(value)) for value in schema["enum"]]


def _const_branches(schema: JsonObject) -> list[Any] | None:
    for keyword in ("oneOf", "anyOf"):
        branches = schema.get(keyword)
        if (
            isinstance(branches, list)
            and branches
            and all(isinstance(b, dict) and "const" in b for b in branches)
        ):
            return branches
    return None


def _is_const_alternatives(schema: JsonObject) -> bool:
    return _const_branches(schema) is not None


def _alternative_choices(schema: JsonObject) -> list[tuple[Any, str]]:
    return [
        (b["const"], _title(b.get("title")) or choice_label(b["const"]))
        for b in _const_branches(schema) or []
    ]


def _item_schema(schema: JsonObject) -> JsonObject:
    items = schema.get("items")
    return items if isinstance(items, dict) else {}


def _is_multi_choice(schema: JsonObject) -> bool:
    items = _item_schema(schema)
    return _type(schema) == "array" and (
        _is_enum(items) or _is_const_alternatives(items)
    )


def _multi_choices(schema: JsonObject) -> list[tuple[Any, str]]:
    items = _item_schema(schema)
    return _enum_choices(items) if _is_enum(items) else _alternative_choices(items)


def _is_object(schema: JsonObject) -> bool:
    return _type(schema) in ("object", None) and isinstance(
        schema.get("properties"), dict
    )


def _is_string_format(wanted: str | None) -> Callable[[JsonObject], bool]:
    def matches(schema: JsonObject) -> bool:
        return _type(schema) == "string" and schema.get("format") == wanted

    return matches


def _is_type(wanted: str) -> Callable[[JsonObject], bool]:
    return lambda schema: _type(schema) == wanted


FIELD_KINDS: tuple[FieldKind, ...] = (
    # A schema that contains itself: expanded when the user asks for it.
    FieldKind(REFERENCE, is_open_ref),
    FieldKind(DATETIME, _is_period),
    FieldKind(CHOICE, _is_zone, _zone_choices),
    FieldKind(RESOURCES, _is_resources),
    FieldKind(CONSTANT, _is_const, _const_choices),
    FieldKind(CHOICE, _is_enum, _enum_choices),
    FieldKind(CHOICE, _is_const_alternatives, _alternative_choices),
    FieldKind(MULTI_CHOICE, _is_multi_choice, _multi_choices),
    FieldKind(ARRAY, is_list),
    FieldKind(OBJECT, _is_object),
    FieldKind(OBJECT, is_logic_object),
    FieldKind(DATE, _is_string_format("date")),
    FieldKind(DATETIME, _is_string_format("date-time")),
    FieldKind(TIME, _is_string_format("time")),
    # Other formats (email, uri, ...) are typed as text; validation checks them.
    FieldKind(TEXT, _is_type("string")),
    FieldKind(INTEGER, _is_type("integer")),
    FieldKind(NUMBER, _is_type("number")),
    FieldKind(BOOLEAN, _is_type("boolean")),
    FieldKind(NULL, is_null),
    FieldKind(NULLABLE, is_nullable),
)


def _unsupported(schema: JsonObject) -> str:
    """What the form cannot edit yet about a schema, in the user's words."""
    kind = _type(schema)
    items = _item_schema(schema)
    # TODO(forms): each case below is edited as JSON text, so the user types
    # brackets and quotes by hand; a later issue gives each a real editor.
    if "$ref" in schema:
        return "a field that contains itself (a recursive schema)"
    if isinstance(kind, list):
        return "a field that takes several types (" + ", ".join(map(str, kind)) + ")"
    if kind == "array" and is_tuple(schema):
        return "a list with its own kind of value at each position"
    if kind == "array" and _type(items) == "object":
        return "a list of groups of values"
    if kind == "array":
        return "a list of free-form values"
    if kind == "object":
        # TODO(forms): a `$prefs` written without properties lands here too;
        # it could offer the gateway's usual units and languages instead.
        return "a group of values with free names"
    if any(word in schema for word in ("oneOf", "anyOf", "allOf")):
        return "a field with alternative forms (oneOf/anyOf/allOf)"
    if kind is None:
        return "a field with no type"
    return f"a field of type {kind}"


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _title(value: Any) -> str:
    return one_line(_text(value), TITLE_LIMIT)


def _bound(value: Any) -> float | None:
    """A schema's bound as written: a whole number stays an exact int.

    As a float, 9223372036854775807 would become 9223372036854775808, and a
    whole number of 400 digits would not fit at all.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return number(value)
