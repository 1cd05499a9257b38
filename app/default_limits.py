"""Defaults of a manifest that no gateway or engine would take back.

A whole-number field whose default is written as a float, like 1e308, is
shown and sent as the whole number it stands for: 309 digits, which the
app's own JSON reader (app.jsonlimits, at most MAX_INT_DIGITS) and the
engine refuse. Such a default is a problem of the manifest, found when it
is loaded, rather than a job that fails later.
"""

import logging
from collections.abc import Iterator
from typing import Any

from app.jsonlimits import MAX_INT_DIGITS

log = logging.getLogger(__name__)

SchemaPath = tuple[str | int, ...]
# The largest whole number the app reads back has MAX_INT_DIGITS digits.
_LARGEST = 10**MAX_INT_DIGITS


def default_problems(schema: Any) -> Iterator[tuple[SchemaPath, str]]:
    """Where a whole-number field's default is too large to be sent."""
    stack: list[tuple[Any, SchemaPath]] = [(schema, ())]
    while stack:
        node, path = stack.pop()
        if isinstance(node, list):
            stack.extend((child, (*path, i)) for i, child in enumerate(node))
            continue
        if not isinstance(node, dict):
            continue
        default = node.get("default")
        if _whole_number_field(node) and _too_large(default):
            yield (
                (*path, "default"),
                (
                    f"the default {default!r} of a whole-number field is too large: "
                    f"it would be sent with more than {MAX_INT_DIGITS} digits, "
                    "which is refused; give a smaller number"
                ),
            )
        # Defaults hold data, not schemas: their insides are not looked at.
        stack.extend(
            (child, (*path, key))
            for key, child in node.items()
            if key not in ("default", "const", "enum", "examples")
        )


def _whole_number_field(node: dict[str, Any]) -> bool:
    kind = node.get("type")
    return kind == "integer" or (isinstance(kind, list) and "integer" in kind)


def _too_large(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        return abs(value) >= _LARGEST
    except OverflowError:
        return True
