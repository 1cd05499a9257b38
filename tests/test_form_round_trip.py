"""What a form gives, loaded back into it, gives the same again (round trip).

Walks the same samples as tests/test_form_corpus.py. Two properties:
- the values a new form starts with, read back, loaded into the form and
  into a new form, read back the same (what switching back to a report
  relies on);
- any valid payload of a sample's schema, drawn by hypothesis (the same
  payloads on every run), loads into its form and reads back the same.

Drawn as the form writes them: period ends (`$from`/`$to`) as date-times,
picks in the order offered (another order has a test of its own), and no
optional list or group left empty (the form leaves those out).
"""

import datetime as dt
import functools
import string
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.form_corpus import (
    RESOURCES,
    load_sample,
    make_form,
    manifest_sample,
    sample_params,
)

from app.forms import (
    PERIOD_PEG_TYPES,
    RESOURCE_PEG_TYPES,
    TZ_PEG_TYPE,
    time_zones,
    wall_time_text,
)
from app.manifest import Script
from app.validation import field_errors

SAMPLES = sample_params()
PAYLOADS_PER_SCRIPT = 25
CONDITION_KEYWORDS = ("allOf", "if", "then", "else")
# Text a person types on one line: no control characters.
TYPED = st.characters(blacklist_categories=("Cc", "Cs"))
WALL_TIMES = st.datetimes(dt.datetime(2000, 1, 1), dt.datetime(2099, 12, 31)).map(
    lambda moment: wall_time_text(moment.replace(microsecond=0))
)


@pytest.mark.parametrize(("kind", "key"), SAMPLES)
def test_the_starting_values_load_back_the_same(qtbot, kind, key):
    script = load_sample(kind, key).script
    form = make_form(qtbot, script)
    values = form.values()

    form.set_values(values)
    assert form.values() == values

    again = make_form(qtbot, script)
    again.set_values(values)
    assert again.values() == values


@pytest.mark.parametrize(("kind", "key"), SAMPLES)
def test_any_valid_payload_loads_and_reads_back_the_same(qtbot, kind, key):
    script = load_sample(kind, key).script
    form = make_form(qtbot, script)
    schema = script.validation_schema

    @settings(
        max_examples=PAYLOADS_PER_SCRIPT,
        deadline=None,
        # The same payloads on every run: a failure here is never luck.
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow],
    )
    @given(payload_of(script.schema).filter(lambda v: field_errors(schema, v) == {}))
    def round_trip(payload: Any) -> None:
        form.set_values(payload)
        assert form.values() == payload
        form.set_values(form.values())
        assert form.values() == payload

    round_trip()


def test_picks_of_several_load_back_in_the_order_given(qtbot):
    form = make_form(qtbot, manifest_sample("gateway-default.json:idling").script)
    payload = {**form.values(), "vehicles": [103, 101], "formats": ["pdf", "json"]}

    form.set_values(payload)

    assert form.values() == payload


def test_a_value_typed_as_json_keeps_every_character(qtbot):
    # A field with no type is edited as JSON text.
    script = Script(script="any", title="Any", schema={"properties": {"note": {}}})
    form = make_form(qtbot, script)
    payload = {"note": ["no\u00a0break", "tab\there", "é ü 😀"]}

    form.set_values(payload)

    assert form.values() == payload


# --- Payloads of a schema ------------------------------------------------------


def payload_of(schema: Any) -> st.SearchStrategy[Any]:
    """Values of a resolved schema, as far as this knows its keywords.

    What it does not know (dependencies, patterns, formats other than
    dates and emails) is left to the validity filter of the test.
    """
    if not isinstance(schema, dict) or "$ref" in schema:
        # A recursion the form expands on demand: none drawn.
        return st.nothing()
    if "const" in schema:
        return st.just(schema["const"])
    if isinstance(schema.get("enum"), list):
        return st.sampled_from(schema["enum"])
    if isinstance(schema.get("allOf"), list) or "if" in schema:
        return _conditional_of(schema)
    branches = schema.get("oneOf") or schema.get("anyOf")
    if isinstance(branches, list) and branches:
        rest = {k: v for k, v in schema.items() if k not in ("oneOf", "anyOf")}
        return st.one_of([payload_of(_merged(rest, branch)) for branch in branches])

    peg_type = schema.get("peg_type")
    if peg_type in PERIOD_PEG_TYPES:
        # The form's period ends are date-times, whatever format is written.
        return WALL_TIMES
    if peg_type == TZ_PEG_TYPE:
        return st.sampled_from(time_zones())
    if peg_type in RESOURCE_PEG_TYPES:
        ids = [rid for rid, _ in RESOURCES[RESOURCE_PEG_TYPES[peg_type]]]
        # Drawn in the list's order; another order is the test above.
        return _list_of(schema, st.sampled_from(ids), unique=True).map(sorted)

    kind = schema.get("type")
    if isinstance(kind, list):
        return st.one_of([payload_of({**schema, "type": one}) for one in kind])
    if kind == "object" or isinstance(schema.get("properties"), dict):
        return _object_of(schema)
    if kind == "array":
        items = schema.get("items")
        if isinstance(items, list):
            return st.tuples(*map(payload_of, items)).map(list)
        if not isinstance(items, dict):
            items = {}
        if "$ref" in items:
            # Items of a recursion, expanded on demand: drawn empty.
            return st.just([])
        unique = schema.get("uniqueItems") is True
        values = _list_of(schema, payload_of(items), unique)
        if unique and isinstance(items, dict) and isinstance(items.get("enum"), list):
            # Drawn in the order offered; another order has its own test.
            return values.map(lambda chosen: sorted(chosen, key=items["enum"].index))
        return values
    return SCALARS.get(kind, _json_of)(schema)


def _conditional_of(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """allOf merged into one schema; each if/then/else in it (or the
    schema's own) drawn as its `if` and `then` together, or its `else`."""
    rest = {k: v for k, v in schema.items() if k not in CONDITION_KEYWORDS}
    parts = [
        *schema.get("allOf", []),
        {k: schema[k] for k in ("if", "then", "else") if k in schema},
    ]
    plain = [p for p in parts if isinstance(p, dict) and "if" not in p]
    conditions = [p for p in parts if isinstance(p, dict) and "if" in p]
    base = functools.reduce(_merged, plain, rest)

    def chosen(holds: tuple[bool, ...]) -> st.SearchStrategy[Any]:
        branches = [
            _merged(c["if"], c.get("then", {})) if yes else c.get("else", {})
            for c, yes in zip(conditions, holds, strict=True)
        ]
        return payload_of(functools.reduce(_merged, branches, base))

    return st.tuples(*[st.booleans() for _ in conditions]).flatmap(chosen)


def _merged(base: Any, extra: Any) -> dict[str, Any]:
    """Two schemas a value must match both of, as one (for the keywords here)."""
    if not isinstance(base, dict) or not isinstance(extra, dict):
        return base if isinstance(base, dict) else {}
    merged = {**base, **extra}
    properties = dict(base.get("properties") or {})
    for name, sub in (extra.get("properties") or {}).items():
        properties[name] = _merged(properties.get(name, {}), sub)
    if properties:
        merged["properties"] = properties
    required = [*(base.get("required") or []), *(extra.get("required") or [])]
    if required:
        merged["required"] = list(dict.fromkeys(required))
    return merged


def _object_of(schema: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    properties = schema.get("properties") or {}
    required = set(schema.get("required") or [])
    return st.fixed_dictionaries(
        {name: payload_of(sub) for name, sub in properties.items() if name in required},
        optional={
            name: payload_of(sub).filter(_not_empty)
            for name, sub in properties.items()
            if name not in required
        },
    )


def _not_empty(value: Any) -> bool:
    # An optional list or group left empty is left out of the payload: the
    # form has no way to tell "none" from "not given", nor needs one.
    return value not in ([], {})


def _list_of(
    schema: dict[str, Any], items: st.SearchStrategy[Any], unique: bool
) -> st.SearchStrategy[list[Any]]:
    least = schema.get("minItems", 0)
    return st.lists(
        items,
        min_size=least,
        max_size=max(least, min(schema.get("maxItems", 4), 4)),
        unique_by=(lambda item: repr(item)) if unique else None,
    )


def _text_of(schema: dict[str, Any]) -> st.SearchStrategy[str]:
    wanted = schema.get("format")
    if wanted == "date-time":
        return WALL_TIMES
    if wanted == "date":
        return st.dates(dt.date(2000, 1, 1), dt.date(2099, 12, 31)).map(str)
    if wanted == "email":
        name = st.text(string.ascii_lowercase, min_size=1, max_size=8)
        return st.tuples(name, name).map(lambda parts: f"{parts[0]}@{parts[1]}.org")
    return st.text(
        TYPED,
        min_size=max(schema.get("minLength", 0), 1),
        max_size=min(schema.get("maxLength", 30), 30),
    )


def _integer_of(schema: dict[str, Any]) -> st.SearchStrategy[int]:
    low, high = schema.get("minimum"), schema.get("maximum")
    if "exclusiveMinimum" in schema:
        low = int(schema["exclusiveMinimum"]) + 1
    if "exclusiveMaximum" in schema:
        high = int(schema["exclusiveMaximum"]) - 1
    return st.integers(low, high)


def _number_of(schema: dict[str, Any]) -> st.SearchStrategy[float | int]:
    # Numbers as people type them: a few decimals, within the bounds.
    low = schema.get("minimum", schema.get("exclusiveMinimum", -1e6))
    high = schema.get("maximum", schema.get("exclusiveMaximum", 1e6))
    typed = st.decimals(low, high, places=2, allow_nan=False, allow_infinity=False)
    return typed.map(lambda d: int(d) if d == d.to_integral_value() else float(d))


def _json_of(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    # A field with no type takes any JSON (the form's JSON editor).
    leaves = st.none() | st.booleans() | st.integers(-1000, 1000) | st.text(TYPED)
    return st.recursive(
        leaves,
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(
                st.text(string.ascii_letters, min_size=1), inner, max_size=3
            )
        ),
        max_leaves=5,
    )


SCALARS: dict[Any, Any] = {
    "string": _text_of,
    "integer": _integer_of,
    "number": _number_of,
    "boolean": lambda schema: st.booleans(),
    "null": lambda schema: st.none(),
}
