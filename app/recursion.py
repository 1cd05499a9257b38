"""Recursive schemas in forms: the references left open, expanded on demand.

A schema that contains itself (a tree whose node has child nodes) cannot be
expanded in full; app.references leaves the inner `{"$ref": ...}` where the
recursion closes. The form shows such a field as a button that builds one
more level when asked (widgets/fields/recursion.py), so a tree form is built
in bounded time whatever its depth.

To follow those references later, the script's schema keeps the
definitions they point to (with_definitions, used by app.manifest), and
ReferenceTargets expands one of them, bounded like the manifest's own
expansion. No Qt here.
"""

import logging
from typing import Any

from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from app.references import MAX_SCHEMA_NODES, Budget, Dereferencer, RefError

log = logging.getLogger(__name__)

JsonObject = dict[str, Any]

ROOT_URI = "urn:pegasus-reports:form-schema"


def is_open_ref(schema: JsonObject) -> bool:
    """Whether a field's schema is a reference left open (kind "reference")."""
    return isinstance(schema.get("$ref"), str)


def has_open_refs(node: Any) -> bool:
    """Whether a resolved schema still holds a `$ref` (it recurses)."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, dict):
            if isinstance(current.get("$ref"), str):
                return True
            stack.extend(current.values())
        elif isinstance(current, list):
            stack.extend(current)
    return False


def with_definitions(expanded: JsonObject, definitions: JsonObject) -> JsonObject:
    """expanded, carrying the definitions its open references need.

    A schema with no open reference comes back as it is.
    """
    if not definitions or not has_open_refs(expanded):
        return expanded
    own = expanded.get("definitions")
    kept = {**(own if isinstance(own, dict) else {}), **definitions}
    return {**expanded, "definitions": kept}


class ReferenceTargets:
    """Follows the open references of a form's schema, one level at a time.

    root is the schema given to the form; its pointers ("#/definitions/x")
    are what the references name.
    """

    def __init__(self, root: JsonObject) -> None:
        self._resolver = (
            Registry()
            .with_resource(
                ROOT_URI, Resource.from_contents(root, default_specification=DRAFT7)
            )
            .resolver(base_uri=ROOT_URI)
        )

    def expand(self, node: JsonObject) -> JsonObject:
        """node (`{"$ref": ..., "title": ...}`) with its target put in.

        The words beside the reference win over the target's, and the
        target itself is left as it is. References inside that recurse stay
        open. Raises RefError when the target cannot be had.
        """
        dereferencer = Dereferencer(self._resolver, "#", Budget(MAX_SCHEMA_NODES))
        expanded = dereferencer.resolve(node, "#")
        if not isinstance(expanded, dict):
            raise RefError("the reference does not lead to a schema", "#")
        return expanded


__all__ = [
    "RefError",
    "ReferenceTargets",
    "has_open_refs",
    "is_open_ref",
    "with_definitions",
]
