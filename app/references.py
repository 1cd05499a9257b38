"""Expanding the `$ref`s of a manifest's scripts, within bounds.

A script's parameters schema refers to the manifest's definitions; the
form and the checks want it expanded. An engine we do not control writes
the manifest, so the expansion is bounded: in depth, in nodes per script
(MAX_SCHEMA_NODES) and in nodes for all the scripts of a manifest together
(MAX_MANIFEST_NODES, shared through one Budget), so that a few definitions
that each use the previous one twice, or many scripts each just under the
limit, cannot keep the app busy for more than about a second. A problem is
a RefError naming where it is; app.manifest makes it the script's problem.
"""

import copy
import urllib.parse
from typing import Any

from app.jsonlimits import MAX_DEPTH
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


class Budget:
    """What the scripts of one manifest share while their references expand:
    how many more nodes they may expand to, and the targets of references
    already looked up (a lookup costs as much as dozens of nodes)."""

    def __init__(self, nodes: int) -> None:
        self.nodes = nodes
        self.left = nodes
        self.targets: dict[str, Any] = {}


class Dereferencer:
    """Inlines `$ref`s, keeping the keywords written beside each one.

    A schema that really recurses (a tree whose node contains itself) keeps
    its inner `$ref` where the recursion closes, so the form can expand it on
    demand. A cycle made only of references never reaches a schema and is an
    error naming the pointers in it. The expansion is bounded in depth, in
    size (MAX_SCHEMA_NODES) and by what is left of the manifest's budget;
    `used` collects the manifest definitions it went through.
    """

    def __init__(self, resolver: Any, root_pointer: str, manifest: Budget) -> None:
        self._resolver = resolver
        self._root_pointer = root_pointer
        self._left = MAX_SCHEMA_NODES
        self._manifest = manifest
        self.used: set[str] = set()

    def resolve(
        self,
        node: Any,
        pointer: str,
        active: tuple[str, ...] = (),
        depth: int = 0,
    ) -> Any:
        self.spend()
        if isinstance(node, list | dict) and depth >= MAX_DEPTH:
            raise RefError(
                f"the schema nests more than {MAX_DEPTH} levels deep once its "
                "references are expanded",
                pointer,
            )
        if isinstance(node, list):
            return [
                self.resolve(item, f"{pointer}/{i}", active, depth + 1)
                for i, item in enumerate(node)
            ]
        if not isinstance(node, dict):
            return node
        if isinstance(node.get("$ref"), str):
            return self._inline(node, pointer, active, depth)
        return {
            key: self.resolve(value, f"{pointer}/{escape(key)}", active, depth + 1)
            for key, value in node.items()
        }

    def _inline(
        self, node: JsonObject, pointer: str, active: tuple[str, ...], depth: int
    ) -> Any:
        target, chain = self._follow(node["$ref"], pointer)
        if chain[-1] in active:
            # The schema recurses through real content: stop here, leave the ref.
            return copy.deepcopy(node)

        resolved = self.resolve(target, chain[-1], (*active, chain[-1]), depth)
        if not isinstance(resolved, dict):
            raise RefError(f"{node['$ref']} does not point to a schema", pointer)

        siblings = {k: v for k, v in node.items() if k != "$ref"}
        return {**resolved, **self.resolve(siblings, pointer, active, depth)}

    def _follow(self, ref: str, pointer: str) -> tuple[Any, list[str]]:
        """The first non-reference schema a chain of `$ref`s leads to."""
        chain: list[str] = []
        seen: set[str] = set()
        current = ref
        while True:
            self.spend()
            if current in seen:
                loop = " -> ".join([*chain, current])
                raise RefError(f"the references form a cycle: {loop}", pointer)
            chain.append(current)
            seen.add(current)
            if current not in self._manifest.targets:
                self._manifest.targets[current] = follow_reference(
                    self._resolver, current
                )
            found = self._manifest.targets[current]
            if found is None:
                raise RefError(
                    f"the reference {current} points to nothing: "
                    "there is no such definition",
                    pointer,
                )
            self._note_definition(current)
            target = found.contents
            if (
                isinstance(target, dict)
                and set(target) == {"$ref"}
                and isinstance(target["$ref"], str)
            ):
                current = target["$ref"]
                continue
            return target, chain

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
