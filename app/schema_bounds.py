"""How much of a manifest's schemas the app reads, and loops that never end.

A manifest comes from an engine we do not control, and within the size a
manifest may have it can still hold schemas that would keep the app busy
for minutes. Every bound on reading one, each checked before the work it
limits, so that loading, linting and building a form each take well under
a second (the worst 5 MB manifests we could make load in about half a
second of one core, and lint in under a second):

- app.jsonlimits: 5 MB of text (MAX_DOCUMENT_BYTES), 64 levels of nesting
  (MAX_DEPTH), whole numbers of 100 digits; app.manifest: 1,000 scripts.
- MAX_SCRIPT_NODES (here): parts (objects, lists and values) of one
  script's parameters schema as written. Real ones have a few hundred.
  Checking a schema against the JSON Schema meta-schema costs tens of
  microseconds a part, so a schema past this is refused before it is.
- MAX_CHECKED_NODES (here): parts checked that way for all the scripts of
  a manifest together (the schema as written, then with the definitions
  it uses); the scripts past it are left out, each with a problem.
- app.references: 50,000 parts for one script once its references are
  expanded, 150,000 for all the scripts of a manifest ("billion laughs").
- MAX_FORM_FIELDS (here): fields in one form, counted as the properties of
  the schema once expanded (groups, list items, variants and conditions
  included). A form of thousands of fields takes seconds to show.
- app.form_start: 200 editors in the rows a new form's lists start with
  (MAX_START_EDITORS), whatever minItems asks; app.form_arrays: 500 rows
  in one list (MAX_ROWS). app.patterns: 0.25 s for one pattern match.

Each bound hit is a problem of the script, naming it by its pointer
(/scripts/N/parameters_schema), or for rows, the field's own "must have
at least N items". Also here: a schema whose references come back to
where they started without going into a field (`{"allOf": [{"$ref":
"#"}]}`) would make every check of a value recurse until Python gives up:
loop_problem finds it; and numbers JSON has no words for (NaN, 1e400).
"""

import logging
import math
from collections.abc import Callable, Iterator
from typing import Any

from app.plurals import counted

log = logging.getLogger(__name__)

SchemaPath = tuple[str | int, ...]
JsonObject = dict[str, Any]

MAX_SCRIPT_NODES = 5_000
MAX_CHECKED_NODES = 20_000
MAX_FORM_FIELDS = 500

# Keywords whose subschemas apply to the value itself, not to a part of it:
# a loop through these alone never ends.
_IN_PLACE_ONE = ("not", "if", "then", "else")
_IN_PLACE_LIST = ("allOf", "anyOf", "oneOf")
# Keywords that hold data, not schemas: a "$ref" key there is just a key.
_DATA_KEYWORDS = frozenset({"enum", "const", "default", "examples"})


class CheckBudget:
    """How many more schema parts the scripts of one manifest may have
    checked against the meta-schema (MAX_CHECKED_NODES in all)."""

    def __init__(self, nodes: int = MAX_CHECKED_NODES) -> None:
        self.nodes = nodes
        self.left = nodes


def count_nodes(value: Any, limit: int) -> int:
    """The parts of value (itself, and every object, list and value in it),
    counted up to limit + 1 at most: the count stops once past the limit."""
    count = 0
    stack = [value]
    while stack and count <= limit:
        node = stack.pop()
        count += 1
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return count


def size_problem(schema: Any, budget: CheckBudget) -> str:
    """Why schema is not checked ("" when it is within the bounds); what it
    costs is taken from the manifest's budget."""
    nodes = count_nodes(schema, MAX_SCRIPT_NODES)
    if nodes > MAX_SCRIPT_NODES:
        return (
            f"the parameters schema is too large: it has more than "
            f"{MAX_SCRIPT_NODES:,} parts (objects, lists and values); real "
            "ones have a few hundred"
        )
    budget.left -= nodes
    if budget.left < 0:
        return (
            "left out: the parameters schemas of this manifest are too large "
            f"together (at most {budget.nodes:,} parts in all are checked, and "
            "this one goes past that)"
        )
    return ""


def form_size_problem(expanded: Any) -> str:
    """Why a form for the expanded schema is not built ("" when it can be)."""
    fields = 0
    for node in _schemas(expanded):
        properties = node.get("properties")
        if isinstance(properties, dict):
            fields += len(properties)
    if fields <= MAX_FORM_FIELDS:
        return ""
    return (
        f"the form would have {counted(fields, 'field')} once its references "
        f"are expanded; at most {MAX_FORM_FIELDS:,} are shown"
    )


LookUp = Callable[[str], Any]


def loop_problem(schema: JsonObject, look_up: LookUp) -> tuple[SchemaPath, str] | None:
    """Where schema's references loop without going into a field, or None.

    look_up gives what a `$ref` in schema names (a referencing Resolved, as
    validation finds it), or None: a reference that leads nowhere is
    another check's problem.
    """
    # TODO(manifest): references are looked up from the schema's root only,
    # not from a subschema with its own `$id`, so a loop through such a
    # bundle is not found here; app.validation then stops the check that
    # recurses, and says so, but only once a value is checked.
    paths = {id(node): path for node, path in _schemas_with_paths(schema)}
    done: set[int] = set()
    for start, start_path in _schemas_with_paths(schema):
        if id(start) in done:
            continue
        # Depth first, with its own stack: on_path holds the nodes being
        # followed, and a step back into one of them closes a loop.
        on_path: dict[int, SchemaPath] = {id(start): start_path}
        stack = [(start, _in_place(start, look_up))]
        while stack:
            node, steps = stack[-1]
            step = next(steps, None)
            if step is None:
                stack.pop()
                on_path.pop(id(node), None)
                done.add(id(node))
                continue
            target, via = step
            where = (*paths.get(id(node), start_path), *via)
            if id(target) in on_path:
                return where, _loop_message(node, via)
            if id(target) not in done:
                on_path[id(target)] = paths.get(id(target), where)
                stack.append((target, _in_place(target, look_up)))
    return None


def _loop_message(node: JsonObject, via: SchemaPath) -> str:
    step = f"the reference {node['$ref']}" if via == ("$ref",) else str(via[0])
    return (
        f"{step} leads back to a schema it is part of without going into a "
        "field, so checking a value would never end"
    )


def _in_place(
    node: JsonObject, look_up: LookUp
) -> Iterator[tuple[JsonObject, SchemaPath]]:
    """The schemas that apply to the same value as node, and how node names
    each (("allOf", 0), ("$ref",), ...)."""
    ref = node.get("$ref")
    if isinstance(ref, str):
        # Draft 7 ignores whatever is written beside a $ref.
        found = look_up(ref)
        if found is not None and isinstance(found.contents, dict):
            yield found.contents, ("$ref",)
        return
    for keyword in _IN_PLACE_ONE:
        if isinstance(node.get(keyword), dict):
            yield node[keyword], (keyword,)
    for keyword in _IN_PLACE_LIST:
        members = node.get(keyword)
        if isinstance(members, list):
            for index, member in enumerate(members):
                if isinstance(member, dict):
                    yield member, (keyword, index)
    dependencies = node.get("dependencies")
    if isinstance(dependencies, dict):
        for name, member in dependencies.items():
            if isinstance(member, dict):
                yield member, ("dependencies", name)


def nonfinite_problems(schema: Any) -> Iterator[tuple[SchemaPath, str]]:
    """Where schema holds NaN or an infinity (1e400 is read as one), which
    JSON has no words for: no gateway or engine could be sent such a value."""
    stack: list[tuple[Any, SchemaPath]] = [(schema, ())]
    while stack:
        node, path = stack.pop()
        if isinstance(node, float) and not math.isfinite(node):
            shown = "NaN" if math.isnan(node) else f"{'-' if node < 0 else ''}Infinity"
            yield (
                path,
                (
                    f"the number {shown} is not one JSON allows (a number too "
                    "large, or not a number); give a finite number"
                ),
            )
        elif isinstance(node, dict):
            stack.extend((child, (*path, key)) for key, child in node.items())
        elif isinstance(node, list):
            stack.extend((child, (*path, i)) for i, child in enumerate(node))


def _schemas(root: Any) -> Iterator[JsonObject]:
    for node, _ in _schemas_with_paths(root):
        yield node


def _schemas_with_paths(root: Any) -> Iterator[tuple[JsonObject, SchemaPath]]:
    """Every object inside root that may be a schema, with its path; data
    (enum, const, default, examples) is not looked into."""
    stack: list[tuple[Any, SchemaPath]] = [(root, ())]
    while stack:
        node, path = stack.pop()
        if isinstance(node, dict):
            yield node, path
            stack.extend(
                (child, (*path, key))
                for key, child in node.items()
                if key not in _DATA_KEYWORDS
            )
        elif isinstance(node, list):
            stack.extend((child, (*path, i)) for i, child in enumerate(node))
