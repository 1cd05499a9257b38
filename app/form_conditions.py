"""Which fields an object shows, given its values: conditions and variants.

An object schema can change with what is filled in: `if`/`then`/`else`,
`dependencies` (both draft-7 forms), `dependentRequired` and
`dependentSchemas` add fields, require them or narrow them; `oneOf` and
`anyOf` of objects offer variants. effective_schema() gives the one plain
object schema (properties and required, no logic left) that applies to a set
of values and a chosen variant; the form builds its fields from it and
builds them again when it changes. No Qt here.

Conditions are decided as the validator decides them (an `if` over a field
left empty holds, as JSON Schema says), so the fields shown agree with the
errors shown. Alternatives that each pin a field the object already has
(`{"properties": {"kind": {"const": "a"}}, ...}`) follow that field's value;
alternatives that only require or narrow fields the object already has
(`anyOf: [{"required": ["vehicles"]}, {"required": ["groups"]}]`) are a
rule over those fields, said in words by object_rule(); the others are a
variant the user chooses.
"""

import functools
import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft7Validator
from jsonschema.exceptions import SchemaError, UnknownType
from referencing.exceptions import Unresolvable

from app.display_text import TITLE_LIMIT, one_line
from app.schema_merge import MergeError, merge_all_of, merge_schemas, merged_or_reason
from app.validation import FORMAT_CHECKER, NO_FETCH_REGISTRY

log = logging.getLogger(__name__)

JsonObject = dict[str, Any]

LOGIC_KEYWORDS = frozenset(
    {"if", "then", "else", "not", "allOf", "oneOf", "anyOf"}
    | {"dependencies", "dependentRequired", "dependentSchemas"}
)
VARIANT_KEYWORDS = ("oneOf", "anyOf")
# Parts that bring more parts (a `then` with its own `if`) are followed this
# many rounds; a schema that needs more is shown as far as that.
MAX_ROUNDS = 16


@dataclass(frozen=True)
class Variants:
    """The alternatives of an object that the user chooses between."""

    keyword: str
    labels: tuple[str, ...]
    branches: tuple[JsonObject, ...]


@dataclass(frozen=True)
class Rule:
    """Alternatives that add no field, only rules on fields already there.

    names: the fields involved, in the object's order; text: the rule said
    to a person ("Pick vehicles or groups (at least one)").
    """

    keyword: str
    names: tuple[str, ...]
    text: str
    branches: tuple[JsonObject, ...]

    def broken_by(self, values: Any) -> bool:
        """Whether values break the rule, as the form's checks decide."""
        return not _holds({self.keyword: list(self.branches)}, values)


def has_logic(schema: JsonObject) -> bool:
    """Whether the fields of an object schema depend on its values."""
    return any(key in schema for key in LOGIC_KEYWORDS - {"not"})


def is_logic_object(schema: JsonObject) -> bool:
    """An object described by alternatives or conditions, not by properties."""
    kind = schema.get("type")
    if kind not in ("object", None) or not has_logic(schema):
        return False
    return kind == "object" or any(
        _object_like(branch)
        for keyword in VARIANT_KEYWORDS
        for branch in _branches(schema, keyword)
    )


def object_variants(schema: JsonObject) -> Variants | None:
    """The variants the user chooses between, or None when there are none.

    A oneOf (else an anyOf) of objects, unless each of them pins a field of
    the object: then that field's value chooses, not the user.
    """
    for keyword in VARIANT_KEYWORDS:
        branches = _branches(schema, keyword)
        if not branches or not all(_object_like(b) for b in branches):
            continue
        if _discriminator(schema, branches) is not None:
            continue
        if _adds_no_field(schema, branches):
            continue
        labels = tuple(
            _label(branch.get("title")) or f"Option {index + 1}"
            for index, branch in enumerate(branches)
        )
        return Variants(keyword, labels, tuple(branches))
    return None


def object_rule(schema: JsonObject) -> Rule | None:
    """The oneOf (else anyOf) that is a rule over the object's own fields,
    or None: its branches only require or narrow fields already there."""
    own = list(_properties(schema))
    for keyword in VARIANT_KEYWORDS:
        branches = _branches(schema, keyword)
        if not branches or not all(_object_like(b) for b in branches):
            continue
        if _discriminator(schema, branches) is not None:
            continue
        if not _adds_no_field(schema, branches):
            continue
        involved = set()
        for branch in branches:
            involved |= set(_properties(branch)) | set(_required(branch))
        names = tuple(name for name in own if name in involved)
        text = _rule_text(schema, keyword, branches, names)
        return Rule(keyword, names, text, tuple(branches))
    return None


def effective_schema(
    schema: JsonObject, values: Any, choice: int | None = None
) -> JsonObject:
    """The plain object schema that applies to values, with variant choice.

    schema is an object schema as merge_all_of gave it; the result has its
    properties and required with every condition that holds and the chosen
    variant merged in, and no logic keyword left.
    """
    values = values if isinstance(values, dict) else {}
    effective = _plain(schema)
    names = set(_properties(schema))
    chosen = object_variants(schema)

    pending = [schema]
    for _ in range(MAX_ROUNDS):
        if not pending:
            break
        node, pending = pending[0], pending[1:]
        own_choice = choice if node is schema else None
        for part in _active_parts(node, values, names, chosen, own_choice):
            try:
                part = merge_all_of(part)
            except MergeError as exc:
                log.info("a condition's schema cannot be shown: %s", exc)
                continue
            effective = _apply(effective, part)
            pending.append(part)
    return effective


def pick_variant(variants: Variants, values: Any, base: JsonObject) -> int | None:
    """The variant that data belongs to, or None when nothing tells.

    The first the data validates against without fields of other
    variants; else the first whose required fields and constants match;
    else the one sharing most fields with the data.
    """
    if not isinstance(values, dict):
        return None
    own = set(values) - set(_properties(base))
    branches = variants.branches

    for index, branch in enumerate(branches):
        if own <= set(_properties(branch)) and _holds(branch, values):
            return index
    for index, branch in enumerate(branches):
        if _keys_match(branch, values):
            return index
    shared = [len(own & set(_properties(branch))) for branch in branches]
    if shared and max(shared) > 0:
        return shared.index(max(shared))
    return None


def shown_schema(schema: JsonObject, values: Any) -> JsonObject | None:
    """The plain schema an object shows for values, or None when its fields
    do not depend on its values.

    Its variant is the one values belong to, else the first, as a new
    form shows it; the conditions are those that hold for values.
    """
    merged, _ = merged_or_reason(schema, lenient=True)
    if not has_logic(merged):
        return None
    variants = object_variants(merged)
    choice = None
    if variants is not None:
        picked = pick_variant(variants, values, merged)
        choice = 0 if picked is None else picked
    return effective_schema(merged, values, choice)


def fits_field(schema: Any, value: Any) -> bool:
    """Whether a value typed in a field can stay when the field is built
    again with this schema (another variant's field of the same name).

    A constant or a list of choices takes only its own values; a typed
    field takes values of its type (a whole number is also a number).
    Bounds, lengths and formats are left to the checks, which name them.
    """
    if not isinstance(schema, dict):
        return True
    if "const" in schema:
        return _same(value, schema["const"])
    if isinstance(schema.get("enum"), list):
        return any(_same(value, choice) for choice in schema["enum"])
    kinds = schema.get("type")
    if kinds is None:
        return True
    wanted = kinds if isinstance(kinds, list) else [kinds]
    return _json_type(value) in wanted or (
        _json_type(value) == "integer" and "number" in wanted
    )


def possible_names(schema: JsonObject) -> set[str]:
    """Every property an object may show, whatever its values."""
    names = set(_properties(schema))
    for part in _every_part(schema, 0):
        names |= set(_properties(part))
    return names


def _active_parts(
    node: JsonObject,
    values: JsonObject,
    names: set[str],
    chosen: Variants | None,
    choice: int | None,
) -> Iterator[JsonObject]:
    """The parts of node's logic that apply to values."""
    conditions = [node] + [p for p in _list(node.get("allOf")) if isinstance(p, dict)]
    for condition in conditions:
        if "if" in condition:
            branch = "then" if _holds(condition["if"], values) else "else"
            if isinstance(condition.get(branch), dict):
                yield condition[branch]

    yield from _dependency_parts(node, values)
    for keyword in VARIANT_KEYWORDS:
        yield from _alternative_parts(node, keyword, values, names, chosen, choice)


def _dependency_parts(node: JsonObject, values: JsonObject) -> Iterator[JsonObject]:
    for keyword in ("dependencies", "dependentRequired", "dependentSchemas"):
        needs = node.get(keyword)
        if not isinstance(needs, dict):
            continue
        for name, need in needs.items():
            if name not in values:
                continue
            if isinstance(need, list):
                yield {"required": [n for n in need if isinstance(n, str)]}
            elif isinstance(need, dict):
                yield need


def _alternative_parts(
    node: JsonObject,
    keyword: str,
    values: JsonObject,
    names: set[str],
    chosen: Variants | None,
    choice: int | None,
) -> Iterator[JsonObject]:
    branches = _branches(node, keyword)
    if not branches or not all(_object_like(b) for b in branches):
        return
    if _adds_no_field(node, branches, names):
        # A rule over fields already shown: forcing one branch's `required`
        # would mark one field as needed when another would do as well.
        return
    key = _discriminator(node, branches, names)
    if key is not None:
        # The field that chose a branch keeps all its choices.
        matching = [b for b in branches if _pins(b, key, values)]
        for branch in matching[:1] if keyword == "oneOf" else matching:
            yield _without_property(branch, key)
        return

    if chosen is not None and chosen.keyword == keyword and choice is not None:
        index = choice
    else:
        # TODO(forms): alternatives inside a condition, or a second set
        # beside the object's own, get no choice of their own: the one the
        # values fit is shown, so the user cannot switch to another.
        variants = Variants(keyword, (), tuple(branches))
        index = pick_variant(variants, values, node) or 0
    if 0 <= index < len(branches):
        yield branches[index]


def _discriminator(
    node: JsonObject, branches: list[JsonObject], names: set[str] | None = None
) -> str | None:
    """A field of the object that every branch pins to its own values."""
    known = set(_properties(node)) if names is None else names
    for key in _properties(branches[0]):
        if key in known and all(_pinned(b, key) is not None for b in branches):
            return key
    return None


def _adds_no_field(
    node: JsonObject, branches: list[JsonObject], names: set[str] | None = None
) -> bool:
    """Whether branches only require or narrow fields the object has.

    Branches with logic of their own may bring fields: they stay variants.
    """
    known = set(_properties(node)) if names is None else names
    for branch in branches:
        if any(key in branch for key in LOGIC_KEYWORDS):
            return False
        mentioned = set(_properties(branch)) | set(_required(branch))
        if not mentioned or not mentioned <= known:
            return False
    return True


def _rule_text(
    node: JsonObject, keyword: str, branches: list[JsonObject], names: tuple[str, ...]
) -> str:
    """A rule said plainly, naming fields as the form labels them."""
    properties = _properties(node)
    wanted = [tuple(_required(branch)) for branch in branches]
    if all(wanted) and len(set(wanted)) == len(wanted):
        options = [" and ".join(_field_word(properties, n) for n in w) for w in wanted]
        kinds = {_kind(properties.get(n)) for w in wanted for n in w}
        verb = "Pick" if kinds == {"array"} else "Fill in"
        listed = _or_list(options)
        if keyword == "anyOf":
            return f"{verb} {listed} (at least one)"
        return f"{verb} {listed} (only one of them)"
    fields = _or_list([_field_word(properties, n) for n in names]).replace(" or ", ", ")
    how = "at least one" if keyword == "anyOf" else "exactly one"
    return f"{fields[:1].upper()}{fields[1:]}: must meet {how} of the allowed rules"


def _field_word(properties: JsonObject, name: str) -> str:
    """A field as a sentence names it: its title, lowercased unless it is
    an acronym ("vehicles", "VIN"), else its name."""
    schema = properties.get(name)
    title = _label(schema.get("title")) if isinstance(schema, dict) else ""
    if not title:
        return name
    if len(title) > 1 and title[1].isupper():
        return title
    return title[:1].lower() + title[1:]


def _or_list(words: list[str]) -> str:
    if len(words) < 2:
        return "".join(words)
    return ", ".join(words[:-1]) + " or " + words[-1]


def _kind(schema: Any) -> Any:
    return schema.get("type") if isinstance(schema, dict) else None


def _required(schema: JsonObject) -> list[str]:
    return [n for n in _list(schema.get("required")) if isinstance(n, str)]


def _pinned(branch: JsonObject, key: str) -> list[Any] | None:
    schema = _properties(branch).get(key)
    if not isinstance(schema, dict):
        return None
    if "const" in schema:
        return [schema["const"]]
    enum = schema.get("enum")
    return enum if isinstance(enum, list) else None


def _pins(branch: JsonObject, key: str, values: JsonObject) -> bool:
    allowed = _pinned(branch, key) or []
    return key in values and any(_same(values[key], v) for v in allowed)


def _keys_match(branch: JsonObject, values: JsonObject) -> bool:
    required = [n for n in _list(branch.get("required")) if isinstance(n, str)]
    if not required and not any(_pinned(branch, k) for k in _properties(branch)):
        return False
    if any(name not in values for name in required):
        return False
    return all(
        _pins(branch, key, values)
        for key in _properties(branch)
        if key in values and _pinned(branch, key) is not None
    )


def _apply(effective: JsonObject, part: JsonObject) -> JsonObject:
    """effective with a part's fields and rules merged in.

    Two conditions that contradict each other on a field (both hold while
    the field that tells them apart is empty) keep the first one's rule
    for it: the checks still name the problem at that field.
    """
    plain = _plain(part)
    try:
        return merge_schemas(effective, plain)
    except MergeError as exc:
        log.debug("conditions disagree, merged field by field: %s", exc)

    merged = dict(effective)
    properties = dict(_properties(effective))
    for name, schema in _properties(plain).items():
        if name not in properties:
            properties[name] = schema
            continue
        try:
            properties[name] = merge_schemas(properties[name], schema, name)
        except MergeError as exc:
            log.debug("kept the first rule of %s: %s", name, exc)
    merged["properties"] = properties
    required = _list(effective.get("required"))
    extra = [n for n in _list(plain.get("required")) if n not in required]
    if required or extra:
        merged["required"] = required + extra
    return merged


def _every_part(node: JsonObject, depth: int) -> Iterator[JsonObject]:
    """Every part of node's logic, applying or not, a few levels down."""
    if depth > MAX_ROUNDS:
        return
    parts: list[Any] = [node.get("then"), node.get("else")]
    for condition in _list(node.get("allOf")):
        if isinstance(condition, dict):
            parts += [condition, condition.get("then"), condition.get("else")]
    for keyword in ("dependencies", "dependentSchemas"):
        needs = node.get(keyword)
        if isinstance(needs, dict):
            parts += list(needs.values())
    for keyword in VARIANT_KEYWORDS:
        parts += _branches(node, keyword)
    for part in parts:
        if isinstance(part, dict):
            yield part
            yield from _every_part(part, depth + 1)


def _plain(schema: JsonObject) -> JsonObject:
    return {k: v for k, v in schema.items() if k not in LOGIC_KEYWORDS}


def _without_property(branch: JsonObject, key: str) -> JsonObject:
    properties = {k: v for k, v in _properties(branch).items() if k != key}
    return {**branch, "properties": properties}


def _object_like(branch: Any) -> bool:
    if not isinstance(branch, dict) or "const" in branch or "enum" in branch:
        return False
    kind = branch.get("type")
    return kind == "object" or (
        kind is None
        and any(key in branch for key in ("properties", "required", *LOGIC_KEYWORDS))
    )


def _branches(schema: JsonObject, keyword: str) -> list[JsonObject]:
    branches = schema.get(keyword)
    if not isinstance(branches, list):
        return []
    return [b for b in branches if isinstance(b, dict)]


def _properties(schema: Any) -> JsonObject:
    properties = schema.get("properties") if isinstance(schema, dict) else None
    return properties if isinstance(properties, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _label(value: Any) -> str:
    return one_line(value.strip(), TITLE_LIMIT) if isinstance(value, str) else ""


def _json_type(value: Any) -> str:
    """The JSON Schema type of a value; a whole float counts as an integer."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return "integer"
    names = {float: "number", str: "string", list: "array", dict: "object"}
    return names.get(type(value), "unknown")


def _same(first: Any, second: Any) -> bool:
    return json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)


def _holds(schema: Any, values: Any) -> bool:
    """Whether values pass schema, as the form's checks would decide."""
    if isinstance(schema, bool):
        return schema
    if not isinstance(schema, dict):
        return False
    try:
        return bool(_checker(json.dumps(schema, sort_keys=True)).is_valid(values))
    except (SchemaError, UnknownType, Unresolvable, re.error, RecursionError) as exc:
        # The manifest's check lets few such schemas through (a loop of
        # references inside an `$id`, say); one that fails here is taken as
        # a condition that does not hold.
        log.info("a condition cannot be checked, taken as not holding: %s", exc)
        return False


@functools.lru_cache(maxsize=512)
def _checker(frozen: str) -> Any:
    return Draft7Validator(
        json.loads(frozen), format_checker=FORMAT_CHECKER, registry=NO_FETCH_REGISTRY
    )


def form_names(schema: JsonObject) -> set[str]:
    """Every top-level name a form for schema may send (allOf merged)."""
    return possible_names(merged_or_reason(schema, lenient=True)[0])
