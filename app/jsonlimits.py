"""Reading JSON written by others within bounds: depth, size and numbers.

Manifests, `run --args` and gateway answers come from outside. Python's json
module reads them, but deep nesting there (or later, in code that walks the
value recursively) ends in RecursionError, an integer of thousands of digits
in ValueError, and NaN or Infinity slip through as floats no server accepts.
read_json turns each of these into a JsonLimitError whose text says what is
wrong, for the caller to place in its own message.
"""

import json
import math
from collections.abc import Iterator
from typing import Any

MAX_DEPTH = 64
MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
MAX_INT_DIGITS = 100


class JsonLimitError(Exception):
    """A JSON text that parses, or would, but is beyond what we accept."""


def read_json(
    text: str | bytes, *, max_depth: int = MAX_DEPTH, finite_only: bool = False
) -> Any:
    """The value of a JSON text, nested at most max_depth levels.

    Raises json.JSONDecodeError (with its line and column) for text that is
    not JSON, UnicodeDecodeError for bytes that are not UTF-8, and
    JsonLimitError for nesting, integers or (with finite_only) NaN,
    Infinity and overflowing numbers beyond the limits.
    """
    try:
        value = json.loads(
            text,
            parse_int=_bounded_int,
            parse_float=_finite_float if finite_only else float,
            parse_constant=_refused_constant if finite_only else _constant,
        )
    except RecursionError as exc:
        raise JsonLimitError(_too_deep(max_depth)) from exc

    if depth_exceeds(value, max_depth):
        raise JsonLimitError(_too_deep(max_depth))
    return value


def depth_exceeds(value: Any, max_depth: int = MAX_DEPTH) -> bool:
    """Whether objects and lists in value nest more than max_depth levels.

    Walks with its own stack, so any depth can be measured.
    """
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > max_depth:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def nonfinite_paths(value: Any) -> Iterator[str]:
    """The path ("a/0/b") of every NaN or infinite number in value."""
    stack: list[tuple[Any, str]] = [(value, "")]
    while stack:
        node, path = stack.pop()
        if isinstance(node, float) and not math.isfinite(node):
            yield path
        elif isinstance(node, dict):
            stack.extend((v, _join(path, str(k))) for k, v in node.items())
        elif isinstance(node, list):
            stack.extend((v, _join(path, str(i))) for i, v in enumerate(node))


def _bounded_int(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > MAX_INT_DIGITS:
        raise JsonLimitError(
            f"it has a whole number of {digits} digits; at most "
            f"{MAX_INT_DIGITS} are accepted"
        )
    return int(text)


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise JsonLimitError(f"the number {text} is too large to be used")
    return number


def _refused_constant(name: str) -> float:
    raise JsonLimitError(f"{name} is not a number JSON allows; give a real number")


def _constant(name: str) -> float:
    return float(name)


def _too_deep(max_depth: int) -> str:
    return f"it nests objects and lists more than {max_depth} levels deep"


def _join(path: str, name: str) -> str:
    return f"{path}/{name}" if path else name
