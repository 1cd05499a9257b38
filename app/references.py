"""Expanding the `$ref`s of a manifest's scripts, within bounds.

A script's parameters schema refers to the manifest's definitions; the
form and the checks want it expanded. An engine we do not control writes
the manifest, so the expansion is bounded: in depth, in nodes per script
(MAX_SCHEMA_NODES) and in nodes for all the scripts of a manifest together
(MAX_MANIFEST_NODES, shared through one Budget), so that a few definitions
that each use the previous one twice, or many scripts each just under the
limit, cannot keep the app busy for more than about a second. A problem is
a RefError naming where it is; app.manifest makes it the script's problem.

A reference is looked up where it is written: inside a schema with its own
`$id` (a bundle, whose `$defs` hold schemas each with an `$id`), it is
relative to that `$id`, as JSON Schema says; one that leads nowhere there
is looked up in the manifest, where the gateway's references point.
"""

import copy
import functools
import urllib.parse
from dataclasses import dataclass
from typing import Any

from referencing import Registry
from referencing.exceptions import CannotDetermineSpecification
from referencing.jsonschema import DRAFT7, DRAFT202012, specification_with

from app.jsonlimits import MAX_DEPTH
from app.schema_bounds import CheckBudget
from app.validation import follow_reference

JsonObject = dict[str, Any]

# How many schema nodes one script, and all the scripts of a manifest
# together, may expand to once their references are inlined; real schemas
# have a few hundred. The manifest's bound keeps loading to about a second.
MAX_SCHEMA_NODES = 50_000
MAX_MANIFEST_NODES = 150_000
# What checking one script costs, in nodes: a manifest of many tiny scripts
# is bounded too.
SCRIPT_COST = 50


class RefError(Exception):
    """A reference that cannot be expanded, and where it is."""

    def __init__(self, message: str, pointer: str) -> None:
        super().__init__(message)
        self.message = message
        self.pointer = pointer


@dataclass(frozen=True)
class Scope:
    """Where the references of a part of a schema are looked up: the
    resolver of the resource around it, and that resource's URI."""

    resolver: Any
    base: str

    def key(self, ref: str) -> str:
        """The reference as one absolute URI, the same wherever written."""
        return _joined(self.base, ref)


# A reference fanned out a thousand times is joined to its base once: urljoin
# was most of the time of expanding a manifest's references.
@functools.lru_cache(maxsize=4096)
def _joined(base: str, ref: str) -> str:
    try:
        return urllib.parse.urljoin(base, ref)
    except ValueError:
        # Not a URI at all ("http://[::1"): looking it up finds nothing.
        return f"{base} {ref}"


@functools.lru_cache(maxsize=4096)
def _defragged(uri: str) -> str:
    return urllib.parse.urldefrag(uri).url


def with_embedded(
    registry: Registry[Any], uri: str, schema: dict[str, Any]
) -> Registry[Any]:
    """The registry with a script's schema and every schema in it that has
    an `$id` (in `$defs` or `definitions`), so references by `$id` resolve.

    Raises RefError when an `$id` or `$schema` there cannot be read.
    """
    try:
        resource = specification_of(schema).create_resource(schema)
        own = Registry().with_resource(resource.id() or uri, resource).crawl()
    except (AttributeError, TypeError, ValueError, CannotDetermineSpecification) as exc:
        # An `$id` or `$schema` that is not text breaks the crawl (those the
        # Draft 7 meta-schema sees are refused before, by app.manifest).
        raise RefError(
            "an $id or $schema in the schema (in $defs, or in a schema there) "
            "cannot be read: each must be text, like "
            '"$id": "https://example.org/part"',
            "",
        ) from exc
    # Only the script's own schema is crawled: the manifest's is looked up
    # as needed, not walked again for every script.
    return registry.combine(own)


def specification_of(schema: dict[str, Any]) -> Any:
    """The JSON Schema version a schema says it is, else Draft 7 (or 2020-12
    for one that keeps its definitions in `$defs`)."""
    default = DRAFT202012 if "$defs" in schema else DRAFT7
    dialect = schema.get("$schema")
    if not isinstance(dialect, str):
        return default
    return specification_with(dialect, default=default)


class Budget:
    """What the scripts of one manifest share while their references expand:
    how many more nodes they may expand to, and the targets of references
    already looked up (a lookup costs as much as dozens of nodes)."""

    def __init__(self, nodes: int) -> None:
        self.nodes = nodes
        self.left = nodes
        self.targets: dict[str, Any] = {}
        # What is left of the manifest's bound on checking schemas.
        self.checks = CheckBudget()


class Dereferencer:
    """Inlines `$ref`s, keeping the keywords written beside each one.

    A schema that really recurses (a tree whose node contains itself) keeps
    its inner `$ref` where the recursion closes, so the form can expand it on
    demand. A cycle made only of references never reaches a schema and is an
    error naming the pointers in it. The expansion is bounded in depth, in
    size (MAX_SCHEMA_NODES) and by what is left of the manifest's budget;
    `used` collects the manifest definitions it went through.
    """

    def __init__(
        self,
        resolver: Any,
        root_pointer: str,
        manifest: Budget,
        base: str = "",
    ) -> None:
        self._root = Scope(resolver, base)
        self._root_pointer = root_pointer
        self._left = MAX_SCHEMA_NODES
        self._manifest = manifest
        self.used: set[str] = set()
        # Whether a reference was found by an `$id` inside the schema.
        self.by_id = False

    def resolve(
        self,
        node: Any,
        pointer: str,
        active: tuple[str, ...] = (),
        depth: int = 0,
        scope: Scope | None = None,
    ) -> Any:
        self.spend()
        scope = scope or self._root
        if isinstance(node, list | dict) and depth >= MAX_DEPTH:
            raise RefError(
                f"the schema nests more than {MAX_DEPTH} levels deep once its "
                "references are expanded",
                pointer,
            )
        if isinstance(node, list):
            return [
                self.resolve(item, f"{pointer}/{i}", active, depth + 1, scope)
                for i, item in enumerate(node)
            ]
        if not isinstance(node, dict):
            return node
        scope = self._entered(node, scope)
        if isinstance(node.get("$ref"), str):
            return self._inline(node, pointer, active, depth, scope)
        return {
            key: self.resolve(
                value, f"{pointer}/{escape(key)}", active, depth + 1, scope
            )
            for key, value in node.items()
        }

    def _inline(
        self,
        node: JsonObject,
        pointer: str,
        active: tuple[str, ...],
        depth: int,
        scope: Scope,
    ) -> Any:
        target, chain, key, found = self._follow(node["$ref"], pointer, scope)
        if key in active:
            # The schema recurses through real content: stop here, leave the ref.
            return copy.deepcopy(node)

        resolved = self.resolve(target, chain[-1], (*active, key), depth, found)
        if not isinstance(resolved, dict):
            raise RefError(f"{node['$ref']} does not point to a schema", pointer)

        siblings = {k: v for k, v in node.items() if k != "$ref"}
        return {**resolved, **self.resolve(siblings, pointer, active, depth, scope)}

    def _follow(
        self, ref: str, pointer: str, scope: Scope
    ) -> tuple[Any, list[str], str, Scope]:
        """The first non-reference schema a chain of `$ref`s leads to, the
        chain as written, the last reference as an absolute URI (the same
        wherever it is written), and the scope of the target's references."""
        chain: list[str] = []
        seen: set[str] = set()
        current = ref
        while True:
            self.spend()
            key = scope.key(current)
            if key in seen:
                loop = " -> ".join([*chain, current])
                raise RefError(f"the references form a cycle: {loop}", pointer)
            chain.append(current)
            seen.add(key)
            found, scope, in_manifest = self._look_up(current, scope)
            if found is None:
                raise RefError(
                    f"the reference {current} points to nothing: "
                    "there is no such definition",
                    pointer,
                )
            if in_manifest:
                self._note_definition(current)
            else:
                self.by_id = True
            target = found.contents
            if (
                isinstance(target, dict)
                and set(target) == {"$ref"}
                and isinstance(target["$ref"], str)
            ):
                current = target["$ref"]
                continue
            return target, chain, key, scope

    def _look_up(self, ref: str, scope: Scope) -> tuple[Any, Scope, bool]:
        """What ref names seen from scope, the scope of what it names, and
        whether it was found in the manifest (not by an `$id` in the schema).

        Looked up in the manifest when scope (a schema with an `$id`) has
        nothing there: gateways write their references for the manifest.
        """
        key = scope.key(ref)
        if key not in self._manifest.targets:
            self._manifest.targets[key] = follow_reference(scope.resolver, ref)
        found = self._manifest.targets[key]
        if found is None and scope.base != self._root.base:
            return self._look_up(ref, self._root)
        if found is None:
            return None, scope, False

        # urljoin leaves a "urn:" base out: such a key is a bare fragment.
        target_base = _defragged(key) or scope.base
        target = found.contents
        if isinstance(target, dict) and isinstance(target.get("$id"), str):
            target_base = _joined(target_base, target["$id"])
        in_manifest = scope.base == self._root.base
        return found, Scope(found.resolver, target_base), in_manifest

    def _entered(self, node: JsonObject, scope: Scope) -> Scope:
        """The scope inside node: its own when it has an `$id`."""
        ident = node.get("$id")
        if not isinstance(ident, str) or ident.startswith("#"):
            return scope
        base = scope.key(ident)
        if base == scope.base:
            return scope
        resource = specification_of(node).create_resource(node)
        return Scope(scope.resolver.in_subresource(resource), base)

    def spend(self, nodes: int = 1) -> None:
        """Count nodes against the script's and the manifest's budgets."""
        self._left -= nodes
        self._manifest.left -= nodes
        if self._left < 0:
            raise RefError(
                "the schema is too large once its references are expanded "
                f"(more than {MAX_SCHEMA_NODES:,} parts)",
                self._root_pointer,
            )
        if self._manifest.left < 0:
            raise RefError(
                "left out: the scripts of this manifest are too large once their "
                "references are expanded (at most "
                f"{self._manifest.nodes:,} parts in all, and this one goes past "
                "that)",
                self._root_pointer,
            )

    def _note_definition(self, ref: str) -> None:
        """Remember the definition a reference like #/definitions/x uses."""
        fragment = urllib.parse.unquote(ref.partition("#")[2])
        parts = fragment.split("/")
        if len(parts) > 2 and parts[0] == "" and parts[1] == "definitions":
            self.used.add(parts[2].replace("~1", "/").replace("~0", "~"))


def escape(key: str) -> str:
    """A key as it is written in a JSON pointer."""
    return key.replace("~", "~0").replace("/", "~1")
