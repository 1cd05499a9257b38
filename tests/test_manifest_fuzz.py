"""Thousands of mutated manifests: no crash, no hang, always a message.

The seeds are the manifests of tests/data/manifests and the RJSF sample
schemas of tests/data/rjsf, each wrapped as a script. Hypothesis mutates
them: keys dropped, replaced and duplicated, types swapped, references
added that loop, lead nowhere or fan out, nesting deepened, numbers made
huge or not numbers, strings made odd, keys made other than text. Each
manifest is loaded, linted, and every usable script gets its form model
(fields, starting values, checks of those values, references opened one
level); a sample also gets the real Qt form. Only the app's own errors may
come out, every problem must say what and where, and a watchdog fails an
example that runs past HANG_SECONDS: a hang detector, not a speed test.

The runs are derandomized, so CI sees the same examples every time.
"""

import copy
import json
import math
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from app.errors import PegasusError
from app.form_arrays import item_at
from app.form_conditions import form_names
from app.forms import (
    ARRAY,
    REFERENCE,
    FieldSpec,
    FormContext,
    form_fields,
    initial_values,
    root_field,
)
from app.lint import CLEAN, ERRORS, WARNINGS_ONLY, lint_manifest
from app.manifest import Manifest, Problem, Script, is_object_form, load_manifest
from app.recursion import ReferenceTargets
from app.references import RefError
from app.schema_merge import form_note
from app.validation import field_errors
from widgets.form import ReportForm

DATA = Path(__file__).parent / "data"
HANG_SECONDS = 10
SOURCE = "fuzzed.json"
CONTEXT = FormContext(tz="UTC")
FUZZ = settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)


# --- The seeds -------------------------------------------------------------------


def corpus() -> list[dict[str, Any]]:
    """The manifests to mutate: the gateway manifests, the readable broken
    ones, and each RJSF sample as the only script of a manifest."""
    documents = []
    for path in sorted(DATA.glob("manifests/**/*.json")):
        try:
            document = json.loads(path.read_text())
        except ValueError:
            continue
        if isinstance(document, dict):
            documents.append(document)

    index = json.loads((DATA / "rjsf" / "index.json").read_text())
    for entry in index:
        schema = json.loads((DATA / "rjsf" / entry["file"]).read_text())
        script = {
            "script": entry["file"].removesuffix(".json"),
            "title": "Sample",
            "category": "fleet_status",
            "parameters_schema": schema,
        }
        definitions = schema.get("definitions", {}) if isinstance(schema, dict) else {}
        documents.append({"definitions": definitions, "scripts": [script]})
    return documents


CORPUS = corpus()


# --- Mutations -------------------------------------------------------------------

KEYWORDS = (
    "type",
    "enum",
    "const",
    "default",
    "minItems",
    "maxItems",
    "minimum",
    "maximum",
    "multipleOf",
    "items",
    "properties",
    "required",
    "pattern",
    "format",
    "allOf",
    "anyOf",
    "oneOf",
    "not",
    "if",
    "then",
    "else",
    "dependencies",
    "additionalProperties",
    "patternProperties",
    "peg_type",
    "$ref",
    "$id",
    "$schema",
    "definitions",
    "title",
    "category",
    "schedule",
    "script",
    "parameters_schema",
)
ODD_TEXTS = (
    "",
    " ",
    "$ref: #",
    "$ref: #/definitions/nowhere",
    "$ref:#/definitions",
    "$ref : #/scripts/0",
    "^(a+)+$",
    "(",
    "\u202e\u0000\ud7ff\ufffd",
    "x" * 5000,
    "date-time",
    "$vehicles",
    "$from",
    "object",
    "array",
    "https://example.org/x",
    "../../etc/passwd",
)
ODD_VALUES = (
    None,
    True,
    False,
    0,
    -0.0,
    1e308,
    -1e308,
    5e-324,
    float("nan"),
    float("inf"),
    10**99,
    -(10**99),
    10**101,
    2**63,
    10**9,
    [],
    {},
    {"$ref": "#"},
    {"$ref": 5},
    {"$ref": "#/definitions/nowhere"},
    {"allOf": [{"$ref": "#"}]},
    {"type": ["string", "null", "integer"]},
    {"enum": list(range(3000))},
    {"oneOf": [{"const": n} for n in range(500)]},
    {"type": "array", "minItems": 10**9, "items": {"type": "string"}},
    {"type": "string", "pattern": "^(a+)+$", "default": "a" * 40 + "!"},
    {"properties": {str(n): {"type": "string"} for n in range(600)}},
    {"if": {"properties": {"a": {"const": 1}}}, "then": {"required": ["b"]}},
    {"type": "integer", "minimum": 1e308, "maximum": -1e308, "default": 1e308},
)
# Values the meta-schema takes for these keywords, yet odd for a form.
VALID_BUT_ODD = (
    ("minItems", 10**9),
    ("maxItems", 0),
    ("minimum", 1e308),
    ("maximum", -1e308),
    ("multipleOf", 5e-324),
    ("minLength", 10**9),
    ("enum", list(range(3000))),
    ("enum", [None, -0.0, 1e308, "", [], {}]),
    ("const", -0.0),
    ("pattern", "^(a+)+$"),
    ("format", "date-time"),
    ("format", "no-such-format"),
    ("type", ["string", "null"]),
    ("type", "array"),
    ("title", "x" * 5000),
    ("description", "\u202e\u0000 line\nbreak"),
    ("items", {"type": "array", "minItems": 1000, "items": {}}),
    ("items", [{"type": "string"}, {"type": "integer"}]),
    ("properties", {str(n): {} for n in range(100)}),
    ("required", ["zz", "a", "a"]),
    ("peg_type", "$vehicles"),
    ("peg_type", "$from"),
    ("peg_type", "$tz"),
    ("allOf", [{"type": "integer"}, {"type": "string"}]),
    ("allOf", [{"minimum": 5}, {"maximum": 1}]),
    ("oneOf", [{"const": 1}, {"const": 1}]),
    ("anyOf", [{"type": "object", "properties": {"q": {"type": "string"}}}]),
    ("readOnly", True),
    ("uniqueItems", True),
    ("additionalProperties", False),
    ("dependencies", {"a": ["b"], "b": {"required": ["zz"]}}),
    ("if", {"required": ["a"]}),
    ("then", {"required": ["zz"]}),
    ("not", {}),
)
REFERENCES = (
    "#",
    "#/definitions",
    "#/scripts/0",
    "#/definitions/nowhere",
    "#/definitions/loop_a",
    "#/definitions/d6",
    "https://example.org/schema",
    "other.json#/x",
    "#/definitions/~",
    "http://[::1",
)

odd_values = st.one_of(
    st.sampled_from(ODD_VALUES),
    st.sampled_from(ODD_TEXTS),
    st.text(max_size=30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**120), max_value=10**120),
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=5),
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(st.sampled_from(KEYWORDS), inner, max_size=3)
        ),
        max_leaves=8,
    ),
)
# One mutation: what to do, where (an index into the document's nodes,
# taken modulo their number) and with what.
mutations = st.tuples(
    st.sampled_from(
        [
            "drop",
            "replace",
            "duplicate",
            "swap_type",
            "keyword",
            "reference",
            "loop",
            "nest",
            "laughs",
            "odd_key",
            "valid_but_odd",
            "valid_but_odd",
            "valid_but_odd",
        ]
    ),
    st.integers(min_value=0, max_value=10_000),
    odd_values,
    st.sampled_from(KEYWORDS),
    st.sampled_from(REFERENCES),
    st.sampled_from([3, 40, 63, 65, 150]),
    st.sampled_from(VALID_BUT_ODD),
)


def places(document: Any) -> list[tuple[Any, Any]]:
    """Every (container, key) in document, outermost first."""
    found = []
    stack = [document]
    while stack:
        node = stack.pop()
        keys = list(node) if isinstance(node, dict) else range(len(node))
        for key in keys:
            found.append((node, key))
            if isinstance(node[key], dict | list):
                stack.append(node[key])
    return found


def swapped(value: Any) -> Any:
    """A value of another JSON type than value."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dict):
        return list(value.values())
    if isinstance(value, list):
        return {str(i): item for i, item in enumerate(value)}
    if isinstance(value, str):
        return 0
    if isinstance(value, int | float):
        return str(value)
    return False


def nested(levels: int, inner: Any) -> Any:
    for _ in range(levels):
        inner = {"type": "object", "properties": {"n": inner}}
    return inner


def definitions_of(document: dict[str, Any]) -> dict[str, Any] | None:
    found = document.setdefault("definitions", {})
    return found if isinstance(found, dict) else None


def mutate(document: dict[str, Any], mutation: tuple, as_text: bool) -> None:
    """Apply one mutation to document, in place."""
    action, where, value, keyword, ref, levels, valid = mutation
    found = places(document)
    if not found:
        document["scripts"] = value
        return
    container, key = found[where % len(found)]
    current = container[key]

    if action == "drop":
        del container[key]
    elif action == "replace":
        container[key] = copy.deepcopy(value)
    elif action == "duplicate" and isinstance(container, dict):
        container[f"{key}_copy"] = copy.deepcopy(current)
    elif action == "duplicate":
        container.append(copy.deepcopy(current))
    elif action == "swap_type":
        container[key] = swapped(current)
    elif action == "keyword" and isinstance(current, dict):
        current[keyword] = copy.deepcopy(value)
    elif action == "reference":
        container[key] = {"$ref": ref}
    elif action == "loop":
        definitions = definitions_of(document)
        if definitions is not None:
            definitions["loop_a"] = {"allOf": [{"$ref": "#/definitions/loop_b"}]}
            definitions["loop_b"] = {"anyOf": [{"$ref": "#/definitions/loop_a"}]}
            container[key] = {"$ref": "#/definitions/loop_a"}
    elif action == "nest":
        container[key] = nested(levels, current)
    elif action == "laughs":
        definitions = definitions_of(document)
        if definitions is not None:
            definitions["d0"] = {"type": "string"}
            for n in range(1, 7):
                uses = {f"p{k}": {"$ref": f"#/definitions/d{n - 1}"} for k in range(8)}
                definitions[f"d{n}"] = {"type": "object", "properties": uses}
            container[key] = {"$ref": "#/definitions/d6"}
    elif action == "valid_but_odd":
        schemas = [
            node[k]
            for node, k in found
            if isinstance(node[k], dict) and "type" in node[k]
        ]
        if schemas:
            schemas[where % len(schemas)][valid[0]] = copy.deepcopy(valid[1])
    elif action == "odd_key" and isinstance(container, dict) and not as_text:
        # Only a parsed object can have keys that are not text.
        container[7] = container.pop(key)
        container[None] = copy.deepcopy(value)


def mutated(seed: int, changes: list[tuple], as_text: bool) -> dict[str, Any]:
    document = copy.deepcopy(CORPUS[seed % len(CORPUS)])
    for change in changes:
        try:
            mutate(document, change, as_text)
        except RecursionError:
            # Too deep for copy.deepcopy here: the text would be refused
            # anyway, and the deepest texts have tests of their own.
            continue
    return document


manifests = st.tuples(
    st.integers(min_value=0, max_value=len(CORPUS) - 1),
    st.lists(mutations, min_size=1, max_size=4),
)


# --- What every manifest must give -----------------------------------------------


class HangError(AssertionError):
    """An example ran past HANG_SECONDS."""


@contextmanager
def watchdog(seconds: float = HANG_SECONDS) -> Iterator[None]:
    """Fail the example that runs longer than seconds, where it is stuck.

    A timer thread sends SIGUSR1 to the main thread, whose handler raises
    HangError there: the traceback shows where the work was.
    """

    def on_alarm(signum: int, frame: Any) -> None:
        raise HangError(f"the example ran for more than {seconds} s: it hangs")

    previous = signal.signal(signal.SIGUSR1, on_alarm)
    main = threading.main_thread().ident
    assert main is not None
    timer = threading.Timer(seconds, signal.pthread_kill, (main, signal.SIGUSR1))
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        timer.join()
        signal.signal(signal.SIGUSR1, previous)


def check_problems(problems: list[Problem], scripts: list[Script]) -> None:
    """Each problem says what, and where: a pointer, a line, or (for the
    text as a whole) nothing more to say."""
    for problem in problems:
        assert problem.message.strip(), problem
        assert problem.severity in ("error", "warning"), problem
        assert "Traceback" not in problem.message, problem
    for script in scripts:
        for problem in script.problems:
            # Inside a script: its pointer, or the definition it went through.
            assert problem.pointer.startswith(("/", "#")), problem


def said_or_done(work: Callable[[], Any]) -> None:
    """Run work: it ends, or raises one of the app's errors with words (a
    RefError when a reference is opened); nothing else may come out."""
    try:
        work()
    except (PegasusError, RefError) as exc:
        message = str(exc)
    else:
        return
    assert message.strip()


def spec_tree(specs: list[FieldSpec]) -> Iterator[FieldSpec]:
    stack = list(specs)
    while stack:
        spec = stack.pop()
        yield spec
        stack.extend(spec.children)
        if spec.item is not None:
            stack.append(spec.item)


def build_form_model(script: Script) -> None:
    """What the form does without Qt: fields, names, starting values, the
    check of those values, each list's first row and each open reference."""
    schema = script.schema
    if is_object_form(schema):
        specs = form_fields(schema)
        assert isinstance(form_names(schema), set)
    else:
        specs = [root_field(schema)]
    assert isinstance(form_note(schema), str)

    values = initial_values(specs, CONTEXT)
    errors = field_errors(script.validation_schema or schema, values)
    assert all(isinstance(m, str) and m for m in errors.values()), errors

    references = ReferenceTargets(schema)
    for spec in spec_tree(specs):
        if spec.kind == ARRAY and spec.item is not None:
            item_at(spec, 0)
        if spec.kind == REFERENCE:
            said_or_done(lambda spec=spec: references.expand(spec.schema))


def load_lint_build(document: dict[str, Any], *, as_text: bool) -> Manifest:
    """Load, lint (text only) and build every usable script's form model."""
    if as_text:
        try:
            data: Any = json.dumps(document, allow_nan=True)
        except (RecursionError, ValueError):
            # Deeper than the json module writes: a text no engine can send.
            return Manifest(source=SOURCE)
    else:
        data = document

    manifest = load_manifest(data, source=SOURCE)
    check_problems(manifest.all_problems, manifest.scripts)
    if as_text:
        report = lint_manifest(data, source=SOURCE)
        assert report.exit_status in (CLEAN, WARNINGS_ONLY, ERRORS)
        check_problems(report.problems, [])

    for script in manifest.scripts:
        if script.usable:
            build_form_model(script)
    return manifest


def count_usable(manifest: Manifest) -> None:
    """How many examples got as far as a form, for
    --hypothesis-show-statistics: a fuzzer whose every example is refused
    at once would test little."""
    usable = any(script.usable for script in manifest.scripts)
    event("some script usable" if usable else "no script usable")


# --- The tests ---------------------------------------------------------------------


@settings(FUZZ, max_examples=1500)
@given(manifests)
def test_mutated_manifest_texts_load_lint_and_build_forms(case):
    seed, changes = case
    document = mutated(seed, changes, as_text=True)

    with watchdog():
        said_or_done(lambda: count_usable(load_lint_build(document, as_text=True)))


@settings(FUZZ, max_examples=600)
@given(manifests)
def test_mutated_manifest_objects_with_odd_keys_load_and_build_forms(case):
    seed, changes = case
    document = mutated(seed, changes, as_text=False)

    with watchdog():
        said_or_done(lambda: count_usable(load_lint_build(document, as_text=False)))


@settings(FUZZ, max_examples=300)
@given(manifests)
def test_mutated_manifests_build_real_forms(qtbot, case):
    seed, changes = case
    document = mutated(seed, changes, as_text=True)

    with watchdog():
        manifest = load_lint_build(document, as_text=True)
        for script in manifest.scripts[:3]:
            if script.usable:
                show_form(qtbot, script)
                event("a Qt form shown")


def show_form(qtbot, script: Script) -> None:
    """The script's form as the report page builds it, checked once."""
    form = ReportForm()
    qtbot.addWidget(form)
    try:
        form.set_schema(script.schema, context=CONTEXT)
        values = form.values()
        errors = field_errors(script.validation_schema or script.schema, values)
        errors.update(form.input_problems())
        form.set_errors(errors)
        assert all(isinstance(m, str) and m for m in errors.values()), errors
    finally:
        form.close()
        form.deleteLater()


def test_the_mutations_make_what_they_say():
    # A fuzzer whose mutations did nothing would pass whatever the app does.
    base = CORPUS[0]
    schema = next(
        index
        for index, (_, key) in enumerate(places(copy.deepcopy(base)))
        if key == "parameters_schema"
    )
    odd = VALID_BUT_ODD[0]
    nan_default = ("keyword", schema, math.nan, "default", "#", 3, odd)
    loop = ("loop", schema, None, "type", "#", 3, odd)
    deep = ("nest", schema, None, "type", "#", 300, odd)

    assert json.dumps(mutated(0, [loop], True)) != json.dumps(base)
    assert "NaN" in json.dumps(mutated(0, [nan_default], True))
    with pytest.raises(RecursionError):
        json.dumps(nested(5000, {}))
    manifest = load_lint_build(mutated(0, [deep], True), as_text=True)
    assert manifest.all_problems
    looped = load_lint_build(mutated(0, [loop], True), as_text=True)
    assert any("never end" in p.message for p in looped.all_problems)
