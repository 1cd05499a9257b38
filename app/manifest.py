"""Engine manifests: parse, check, and resolve every `$ref` of every script.

A manifest is `{definitions, scripts}` (DESIGN.md, "Protocol facts"). Loading
never raises for bad content: each problem is recorded with where it is, a
script with an error is marked unusable, and the other scripts stay usable.
References are accepted in both written forms, `{"$ref": "#/definitions/x"}`
and the string `"$ref: #/definitions/x"` seen in the gateway's documents, and
are resolved with `referencing` against the manifest itself.

A manifest comes from an engine we do not control, so loading is bounded:
the text's size and nesting, and the work of expanding references (a few
definitions that each use the previous one twice would otherwise expand
into millions of nodes). That work (app.references) is bounded per script
and for the manifest as a whole, and at most MAX_SCRIPTS scripts are read,
so any manifest within the size limit loads in about a second: the
scripts past the manifest's budget are marked unusable, the others stay
usable. Each script's schema is checked as JSON Schema when loaded, so a
broken one is a problem here, not an exception later.
"""

import copy
import json
import logging
import re
from dataclasses import dataclass, field
from typing import Any, Literal

from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from app.default_limits import default_problems
from app.display_text import quoted
from app.jsonlimits import (
    MAX_DEPTH,
    MAX_DOCUMENT_BYTES,
    JsonLimitError,
    depth_exceeds,
    nontext_key_paths,
    read_json,
)
from app.plurals import counted
from app.recursion import with_definitions
from app.references import (
    MAX_MANIFEST_NODES,
    SCRIPT_COST,
    Budget,
    Dereferencer,
    RefError,
    escape,
    with_embedded,
)
from app.schema_bounds import form_size_problem, size_problem
from app.validation import meta_schema_problems, schema_problems

log = logging.getLogger(__name__)

# Real manifests list dozens of scripts; past this many, the rest are not read.
MAX_SCRIPTS = 1000

CATEGORIES: dict[str, str] = {
    "live_reports": "Live reports",
    "trip_analysis": "Trip analysis",
    "vehicle_metrics": "Vehicle metrics",
    "device_behavior": "Device behavior",
    "fleet_status": "Fleet status",
    "accessories": "Accessories",
}
OTHER_CATEGORY = "other"
OTHER_LABEL = "Other"

MANIFEST_URI = "urn:pegasus-reports:manifest"
_STRING_REF = re.compile(r"^\s*\$ref\s*:\s*(\S+)\s*$")
# What _parse_json gives for text it could not read (None is JSON's null).
_UNREADABLE = object()

Severity = Literal["error", "warning"]
JsonObject = dict[str, Any]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a manifest, and where it is."""

    severity: Severity
    message: str
    pointer: str = ""
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        place = f" ({self.pointer})" if self.pointer else ""
        if self.line is not None:
            return f"line {self.line}, column {self.column}: {self.message}{place}"
        return f"{self.message}{place}"


@dataclass
class Script:
    """One report a manifest offers, with its parameters schema resolved."""

    script: str
    title: str
    desc: str = ""
    icon: str | None = None
    app_url: str | None = None
    category: str = OTHER_CATEGORY
    schedule: bool = False
    schema: JsonObject = field(default_factory=dict)
    validation_schema: JsonObject = field(default_factory=dict)
    engine_url: str = ""
    problems: list[Problem] = field(default_factory=list)

    @property
    def usable(self) -> bool:
        return not any(p.severity == "error" for p in self.problems)

    @property
    def category_label(self) -> str:
        return CATEGORIES.get(self.category, OTHER_LABEL)


@dataclass
class Manifest:
    """A loaded manifest: its scripts and the problems found in it."""

    source: str
    scripts: list[Script] = field(default_factory=list)
    definitions: JsonObject = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    @property
    def all_problems(self) -> list[Problem]:
        return self.problems + [p for s in self.scripts for p in s.problems]

    def script(self, name: str) -> Script | None:
        return next((s for s in self.scripts if s.script == name), None)


def load_manifest(
    data: str | bytes | JsonObject, *, source: str, engine_url: str = ""
) -> Manifest:
    """Load a manifest from JSON text or an already parsed object."""
    manifest = Manifest(source=source)

    if isinstance(data, dict):
        document: Any = data
        # Text is checked as it is read; an object given here is not yet.
        if depth_exceeds(document, MAX_DEPTH):
            manifest.problems.append(
                Problem(
                    "error",
                    "not usable JSON: it nests objects and lists more than "
                    f"{MAX_DEPTH} levels deep",
                )
            )
            return manifest
        odd_key = next(nontext_key_paths(document), None)
        if odd_key is not None:
            manifest.problems.append(
                Problem(
                    "error",
                    f"not usable JSON: the key at {odd_key} is not text",
                    "",
                )
            )
            return manifest
        document = normalize_refs(document)
    else:
        document = _parse_json(data, manifest)
        if document is _UNREADABLE:
            return manifest
        # Parsed here, so ours to change: no copy of a document of megabytes.
        document = _normalize_refs_in_place(document)
    if not isinstance(document, dict):
        manifest.problems.append(
            Problem(
                "error",
                "the manifest must be a JSON object with a list of scripts, "
                f"not {_described(document)}",
                "",
            )
        )
        return manifest

    definitions = document.get("definitions", {})
    if not isinstance(definitions, dict):
        manifest.problems.append(
            Problem("error", "definitions must be an object", "/definitions")
        )
        definitions = {}
    manifest.definitions = definitions

    scripts = document.get("scripts")
    if not isinstance(scripts, list):
        message = (
            "the manifest has no list of scripts"
            if scripts is None
            else f"the manifest's scripts must be a list, not {_described(scripts)}"
        )
        manifest.problems.append(Problem("error", message, "/scripts"))
        return manifest
    if len(scripts) > MAX_SCRIPTS:
        manifest.problems.append(
            Problem(
                "warning",
                f"the manifest lists {len(scripts):,} scripts; only the first "
                f"{MAX_SCRIPTS:,} are read",
                "/scripts",
            )
        )

    registry: Registry[Any] = Registry().with_resource(
        MANIFEST_URI, Resource.from_contents(document, default_specification=DRAFT7)
    )
    seen: set[str] = set()
    budget = Budget(MAX_MANIFEST_NODES)
    for index, entry in enumerate(scripts[:MAX_SCRIPTS]):
        script = _load_script(entry, f"/scripts/{index}", registry, definitions, budget)
        script.engine_url = engine_url
        _check_name(script, f"/scripts/{index}", seen)
        manifest.scripts.append(script)

    log.debug(
        "manifest %s: %s, %s",
        source,
        counted(len(manifest.scripts), "script"),
        counted(len(manifest.all_problems), "problem"),
    )
    return manifest


def normalize_refs(node: Any) -> Any:
    """A copy of node with every string-form `$ref` made a `{"$ref": ...}`."""
    return _normalize_refs_in_place(copy.deepcopy(node))


def _normalize_refs_in_place(root: Any) -> Any:
    """root with every string-form `$ref` in it made a `{"$ref": ...}`.

    Walks with its own stack and changes the containers it meets, so a
    document of a million nodes takes a fraction of a second.
    """
    if isinstance(root, str):
        return _ref_object(root)
    stack = [root] if isinstance(root, dict | list) else []
    while stack:
        node = stack.pop()
        places = node.items() if isinstance(node, dict) else enumerate(node)
        for place, value in places:
            if isinstance(value, str):
                if "$ref" in value:
                    node[place] = _ref_object(value)
            elif isinstance(value, dict | list):
                stack.append(value)
    return root


def _ref_object(text: str) -> Any:
    match = _STRING_REF.match(text)
    return {"$ref": match.group(1)} if match else text


def group_by_category(scripts: list[Script]) -> list[tuple[str, list[Script]]]:
    """Scripts grouped under their category labels, in the catalog's order."""
    order = [*CATEGORIES, OTHER_CATEGORY]
    groups: dict[str, list[Script]] = {}
    for script in scripts:
        groups.setdefault(script.category, []).append(script)

    return [
        (CATEGORIES.get(key, OTHER_LABEL), sorted(groups[key], key=lambda s: s.title))
        for key in order
        if key in groups
    ]


def _parse_json(data: str | bytes, manifest: Manifest) -> Any:
    """The parsed document, or _UNREADABLE with the problem recorded (a
    document of `null` is read, and is a problem of its shape)."""
    if len(data) > MAX_DOCUMENT_BYTES:
        megabytes = MAX_DOCUMENT_BYTES // (1024 * 1024)
        manifest.problems.append(
            Problem("error", f"the manifest is larger than {megabytes} MB")
        )
        return _UNREADABLE
    try:
        return read_json(data)
    except json.JSONDecodeError as exc:
        manifest.problems.append(
            Problem("error", f"not valid JSON: {exc.msg}", "", exc.lineno, exc.colno)
        )
    except UnicodeDecodeError as exc:
        manifest.problems.append(Problem("error", f"not UTF-8 text: {exc.reason}"))
    except JsonLimitError as exc:
        manifest.problems.append(Problem("error", f"not usable JSON: {exc}"))
    return _UNREADABLE


def _load_script(
    entry: Any,
    pointer: str,
    registry: Registry[Any],
    definitions: JsonObject,
    budget: Budget,
) -> Script:
    if not isinstance(entry, dict):
        script = Script(script="", title=f"(entry {pointer})")
        script.problems.append(Problem("error", "a script must be an object", pointer))
        return script

    name = entry.get("script")
    script = Script(
        script=name if isinstance(name, str) else "",
        title=_text(entry.get("title")) or (name if isinstance(name, str) else ""),
        desc=_text(entry.get("desc")),
        icon=_text(entry.get("icon")) or None,
        app_url=_text(entry.get("app_url")) or None,
    )
    _check_fields(script, entry, pointer)
    raw_schema = entry.get("parameters_schema")
    schema_pointer = f"{pointer}/parameters_schema"
    # Bounded before anything walks it: each check costs time by the part.
    too_large = isinstance(raw_schema, dict) and size_problem(raw_schema, budget.checks)
    # The author's rules `lint` checks too, so that what lint calls an error
    # is one here as well (a circular import at module level).
    from app.lint_rules import script_problems

    checked = {
        k: v for k, v in entry.items() if k != "parameters_schema" or not too_large
    }
    script.problems.extend(script_problems(checked, pointer))
    if too_large:
        script.problems.append(Problem("error", too_large, schema_pointer))
        return script

    if raw_schema is None:
        raw_schema = {"type": "object", "properties": {}}
    if not isinstance(raw_schema, dict):
        script.problems.append(
            Problem(
                "error",
                "parameters_schema must be an object schema",
                f"{pointer}/parameters_schema",
            )
        )
        return script

    # Checked as JSON Schema before its references are followed: the crawl
    # assumes an `$id` is text and `properties` a map of schemas, and would
    # otherwise fail in Python's words.
    shape = meta_schema_problems(raw_schema)
    if shape:
        script.problems.extend(
            Problem("error", message, _pointer_in(schema_pointer, path))
            for path, message in shape
        )
        return script
    try:
        # A bundle's schemas are found by their `$id`s (app/references.py).
        scripts_registry = with_embedded(
            registry, f"{MANIFEST_URI}{pointer}", raw_schema
        )
        resolver = scripts_registry.resolver(base_uri=MANIFEST_URI)
        dereferencer = Dereferencer(resolver, schema_pointer, budget, MANIFEST_URI)
        dereferencer.spend(SCRIPT_COST)
        expanded = dereferencer.resolve(raw_schema, schema_pointer)
    except RefError as exc:
        where = exc.pointer or schema_pointer
        script.problems.append(Problem("error", exc.message, where))
        return script

    # References resolve against the manifest, so its definitions win here
    # too; only those the script uses are kept, so a broken definition
    # elsewhere in the manifest leaves this script alone.
    own = raw_schema.get("definitions")
    merged = {**(own if isinstance(own, dict) else {}), **definitions}
    used = {name: merged[name] for name in sorted(dereferencer.used) if name in merged}
    validation_schema = {**raw_schema, "definitions": used}
    if dereferencer.by_id:
        # The checks follow references as Draft 7 does, which finds no
        # `$id` inside `$defs`: they check the expanded schema instead.
        validation_schema = with_definitions(expanded, used)

    too_large = size_problem(validation_schema, budget.checks) or form_size_problem(
        expanded
    )
    if too_large:
        script.problems.append(Problem("error", too_large, schema_pointer))
        return script
    problems = [
        Problem("error", message, _schema_pointer(path, schema_pointer, definitions))
        for path, message in schema_problems(validation_schema)
    ]
    problems += [
        Problem("error", message, _schema_pointer(path, schema_pointer, definitions))
        for path, message in default_problems(validation_schema)
    ]
    if problems:
        script.problems.extend(problems)
        return script
    script.schema = with_definitions(expanded, used)
    script.validation_schema = validation_schema
    return script


def _schema_pointer(
    path: tuple[str | int, ...], schema_pointer: str, definitions: JsonObject
) -> str:
    """Where a place in a script's validation schema is in the manifest."""
    parts = [escape(str(part)) for part in path]
    if len(path) > 1 and path[0] == "definitions" and path[1] in definitions:
        return "/" + "/".join(parts)
    return "/".join([schema_pointer, *parts])


def _pointer_in(schema_pointer: str, path: tuple[str | int, ...]) -> str:
    return "/".join([schema_pointer, *(escape(str(part)) for part in path)])


def _check_fields(script: Script, entry: JsonObject, pointer: str) -> None:
    problems = script.problems
    if not _text(entry.get("title")):
        problems.append(Problem("error", "the script has no title", f"{pointer}/title"))

    category = entry.get("category")
    if isinstance(category, str) and category in CATEGORIES:
        script.category = category
    elif category is not None:
        shown = quoted(category) if isinstance(category, str) else "(not text)"
        problems.append(
            Problem(
                "warning",
                f"unknown category {shown}; shown under {OTHER_LABEL}",
                f"{pointer}/category",
            )
        )

    schedule = entry.get("schedule", False)
    if isinstance(schedule, bool):
        script.schedule = schedule
    else:
        problems.append(
            Problem("error", "schedule must be true or false", f"{pointer}/schedule")
        )


def _check_name(script: Script, pointer: str, seen: set[str]) -> None:
    name = script.script
    if not name:
        script.problems.append(
            Problem("error", "the script has no name (script)", f"{pointer}/script")
        )
        return
    if re.search(r"\s", name):
        script.problems.append(
            Problem(
                "error",
                f"script name {quoted(name)} contains a space",
                f"{pointer}/script",
            )
        )
    if name in seen:
        script.problems.append(
            Problem(
                "error",
                f"script name {quoted(name)} is used by more than one script",
                f"{pointer}/script",
            )
        )
    seen.add(name)


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


# --- Parameters that are not an object -----------------------------------------

# What lets a schema describe an object though it writes no "type".
_OBJECT_KEYWORDS = (
    "properties",
    "additionalProperties",
    "patternProperties",
    "propertyNames",
    "required",
    "minProperties",
    "maxProperties",
    "dependencies",
    "dependentRequired",
    "dependentSchemas",
    "allOf",
    "anyOf",
    "oneOf",
    "if",
    "$ref",
)
_JSON_TYPES = {
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "array": "a list",
    "null": "null",
}


def is_object_form(schema: Any) -> bool:
    """Whether a parameters schema is a form of named fields (an object).

    Otherwise its form is one field for the whole value: a schema of
    another type ("type": "array"), or one that says nothing of its value.
    """
    if not isinstance(schema, dict):
        return False
    kind = schema.get("type")
    if kind is not None:
        kinds = kind if isinstance(kind, list) else [kind]
        return "object" in kinds
    return any(keyword in schema for keyword in _OBJECT_KEYWORDS)


def takes_object(schema: Any) -> bool:
    """Whether the schema lets the parameters be a JSON object at all."""
    if not isinstance(schema, dict):
        return False
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    return kind is None or "object" in kinds


def run_blocker(schema: Any, values: Any) -> str:
    """Why parameters cannot be sent as a job's args, in plain words; "" if
    they can. A gateway takes a job's args as one JSON object."""
    if not takes_object(schema):
        kind = schema.get("type") if isinstance(schema, dict) else None
        kinds = kind if isinstance(kind, list) else [kind]
        asked = " or ".join(_JSON_TYPES.get(str(k), str(k)) for k in kinds)
        return (
            "Cannot run: the gateway takes a report's parameters as one JSON "
            f"object of named values, and this report asks for {asked}. The "
            "report's manifest must be corrected."
        )
    if not isinstance(values, dict):
        return (
            "Cannot run: the gateway takes a report's parameters as one JSON "
            f"object of named values, not {_described(values)}."
        )
    return ""


def _described(value: Any) -> str:
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return "null" if value is None else "this value"
