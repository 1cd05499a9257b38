"""Reading JSON written by others within bounds: depth, size, numbers, text.

Manifests, `run --args` and gateway answers come from outside. Python's json
module reads them, but deep nesting there (or later, in code that walks the
value recursively) ends in RecursionError, an integer of thousands of digits
in ValueError, NaN or Infinity slip through as floats no server accepts, and
`"\\ud800"` becomes a lone surrogate: half of a character, which no UTF-8
text can hold, so every later attempt to send or store it fails. read_json
turns each of these into a JsonLimitError whose text says what is wrong, for
the caller to place in its own message.

For values already stored by an older version, clean_value makes a copy
any JSON encoder takes instead of refusing.
"""

import json
import math
import re
from collections.abc import Iterator
from typing import Any

MAX_DEPTH = 64
MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
MAX_INT_DIGITS = 100
LONE_SURROGATE_PROBLEM = (
    "the text holds a lone surrogate (a \\ud800-\\udfff escape without its "
    "pair), half of a character, which is not valid Unicode"
)
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class JsonLimitError(Exception):
    """A JSON text that parses, or would, but is beyond what we accept."""


def read_json(
    text: str | bytes, *, max_depth: int = MAX_DEPTH, strict: bool = False
) -> Any:
    """The value of a JSON text, nested at most max_depth levels.

    Raises json.JSONDecodeError (with its line and column) for text that is
    not JSON, UnicodeDecodeError for bytes that are not UTF-8, and
    JsonLimitError for nesting or integers beyond the limits and (when
    strict) for NaN, Infinity, overflowing numbers and lone surrogates.
    """
    try:
        value = json.loads(
            text,
            parse_int=_bounded_int,
            parse_float=_finite_float if strict else float,
            parse_constant=_refused_constant if strict else _constant,
        )
    except RecursionError as exc:
        raise JsonLimitError(_too_deep(max_depth)) from exc

    if depth_exceeds(value, max_depth):
        raise JsonLimitError(_too_deep(max_depth))
    place = next(lone_surrogate_paths(value), None) if strict else None
    if place is not None:
        raise JsonLimitError(f"{place or 'the value'}: {LONE_SURROGATE_PROBLEM}")
    return value


def lone_surrogate_paths(value: Any) -> Iterator[str]:
    """The path ("a/0/b") of every text in value, keys included, that holds
    a lone surrogate; the paths themselves are safe to print."""
    stack: list[tuple[Any, str]] = [(value, "")]
    while stack:
        node, path = stack.pop()
        if isinstance(node, str):
            if _LONE_SURROGATE.search(node):
                yield path
        elif isinstance(node, dict):
            for key, child in node.items():
                place = _join(path, _printable(str(key)))
                if _LONE_SURROGATE.search(str(key)):
                    yield place
                stack.append((child, place))
        elif isinstance(node, list):
            stack.extend((v, _join(path, str(i))) for i, v in enumerate(node))


def nontext_key_paths(value: Any) -> Iterator[str]:
    """The path ("a/0/7") of every key in value that is not text: a value
    parsed from JSON has none, one built in Python may."""
    stack: list[tuple[Any, str]] = [(value, "")]
    while stack:
        node, path = stack.pop()
        if isinstance(node, dict):
            for key, child in node.items():
                place = _join(path, _printable(str(key)))
                if not isinstance(key, str):
                    yield place
                stack.append((child, place))
        elif isinstance(node, list):
            stack.extend((v, _join(path, str(i))) for i, v in enumerate(node))


def replace_lone_surrogates(text: str) -> str:
    """text with U+FFFD in place of each lone surrogate."""
    return _LONE_SURROGATE.sub("\ufffd", text)


def clean_value(value: Any) -> Any:
    """A copy of value that every JSON encoder takes: NaN and infinities
    become None, and lone surrogates (in keys too) U+FFFD."""
    if isinstance(value, str):
        return replace_lone_surrogates(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {
            replace_lone_surrogates(str(key)): clean_value(child)
            for key, child in value.items()
        }
    if isinstance(value, list):
        return [clean_value(child) for child in value]
    return value


def depth_exceeds(value: Any, max_depth: int = MAX_DEPTH) -> bool:
    """Whether objects and lists in value nest more than max_depth levels.

    Walks one level at a time, without recursion, so any depth can be
    measured, and a document of a million nodes in a fraction of a second.
    """
    level = [value] if isinstance(value, dict | list) else []
    depth = 0
    while level:
        depth += 1
        if depth > max_depth:
            return True
        below: list[Any] = []
        for node in level:
            children = node.values() if isinstance(node, dict) else node
            below += [child for child in children if isinstance(child, dict | list)]
        level = below
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


def _printable(text: str) -> str:
    """text with a lone surrogate written as its escape, so it can be shown."""
    return _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _join(path: str, name: str) -> str:
    return f"{path}/{name}" if path else name
