"""Lists in report forms, without Qt: their items, limits and starting rows.

A schema `{"type": "array", "items": {...}}` becomes one FieldSpec of kind
"array" whose `item` is a template: the spec of one item, with the item's
index written as ITEM_INDEX in its path ("bands/#/label"). The list editor
makes a real item from it with item_at(), which puts the index in every path
below it, so errors ("bands/1/label") find their field. Lists written as a
tuple (`items` as a list, `prefixItems`) have no template: they stay JSON.
"""

import dataclasses
import json
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.forms import FieldSpec

log = logging.getLogger(__name__)

JsonObject = dict[str, Any]

# The name of an item's template, and what stands for its index in paths.
ITEM_NAME = "item"
ITEM_INDEX = "#"
# A list longer than this is not grown row by row by the form: a schema's
# minItems of a million would make a million editors.
MAX_ROWS = 500


def is_list(schema: JsonObject) -> bool:
    """A list whose items all have one schema (an object, or none at all)."""
    items = schema.get("items", {})
    return (
        schema.get("type") == "array"
        and isinstance(items, dict)
        and "prefixItems" not in schema
    )


def is_tuple(schema: JsonObject) -> bool:
    """A list with a schema per position, which the form edits as JSON."""
    return isinstance(schema.get("items"), list) or "prefixItems" in schema


def min_items(schema: JsonObject) -> int:
    """The fewest items the list may have, within what the form can show."""
    value = schema.get("minItems")
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return min(value, MAX_ROWS)
    return 0


def max_items(schema: JsonObject) -> int | None:
    """The most items the list may have; None when the schema sets no limit."""
    value = schema.get("maxItems")
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return None


def can_add(schema: JsonObject, count: int) -> bool:
    """Whether one more item may be added to a list of count items."""
    most = max_items(schema)
    return count < MAX_ROWS and (most is None or count < most)


def can_remove(schema: JsonObject, count: int, required: bool) -> bool:
    """Whether an item may be removed from a list of count items.

    A required list keeps its minItems. An optional one may go below, down
    to no items at all, which leaves it out: the schema's minimum applies
    only to a list that is sent, and validation says so meanwhile.
    """
    if count <= 0:
        return False
    return not required or count > min_items(schema)


def item_at(spec: "FieldSpec", index: int) -> "FieldSpec":
    """The spec of item index of a list: its template with the index in paths.

    Its title is numbered from 1 ("Item 1", or "Band 1" when the items have
    a title); a read-only list has read-only items.
    """
    template = spec.item
    if template is None:
        raise ValueError(f"{spec.path} is not a list with one kind of item")
    item = _repath(template, template.path, f"{spec.path}/{index}")
    return dataclasses.replace(
        item,
        name=str(index),
        title=f"{template.title} {index + 1}",
        read_only=template.read_only or spec.read_only,
    )


def _repath(spec: "FieldSpec", old: str, new: str) -> "FieldSpec":
    """spec and everything in it with the path prefix old made new."""
    path = new + spec.path[len(old) :] if spec.path.startswith(old) else spec.path
    children = [_repath(child, old, new) for child in spec.children]
    item = _repath(spec.item, old, new) if spec.item is not None else None
    return dataclasses.replace(spec, path=path, children=children, item=item)


def starting_items(
    spec: "FieldSpec", item_start: Callable[["FieldSpec"], Any], most: int = MAX_ROWS
) -> list[Any] | None:
    """The items a new list starts with, when its schema gives no default.

    A required list starts with minItems items (at most `most`), each at its
    own starting value (None for an item with none: an empty row). An
    optional list starts left out, so a form the user has not touched stays
    valid.
    """
    if not spec.required or spec.item is None:
        return None
    count = min(min_items(spec.schema), most)
    return [item_start(item_at(spec, i)) for i in range(count)]


def resources_in(spec: "FieldSpec") -> set[str]:
    """The gateway lists (vehicles, ...) that any field inside spec picks from."""
    found = {spec.resource} if spec.resource else set()
    for child in spec.children:
        found |= resources_in(child)
    if spec.item is not None:
        found |= resources_in(spec.item)
    return found


def same_json(first: Any, second: Any) -> bool:
    """Whether two values are the same JSON: 1 is not true, 1 is 1.0."""
    return _canonical(first) == _canonical(second)


def unique_message(items: Any) -> str:
    """What uniqueItems says of a list: which item repeats which one."""
    seen: dict[str, int] = {}
    for index, item in enumerate(items if isinstance(items, list) else []):
        key = _canonical(item)
        if key in seen:
            return (
                f"must not list the same item twice: item {index + 1} "
                f"is the same as item {seen[key] + 1}"
            )
        seen[key] = index
    return "must not list the same item twice"


def _canonical(value: Any) -> str:
    """value as JSON text that equal JSON values share.

    Whole floats are written as ints (1.0 is 1 in JSON), while true stays
    true and never becomes 1.
    """
    return json.dumps(_whole(value), sort_keys=True, ensure_ascii=False)


def _whole(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [_whole(item) for item in value]
    if isinstance(value, dict):
        return {key: _whole(item) for key, item in value.items()}
    return value
