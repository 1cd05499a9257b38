"""Where each value of a JSON text is written: JSON pointer to line and column.

The linter names a problem by the JSON pointer of the value concerned; a
person editing the file wants the line too. Python's json module keeps no
positions, so the text is scanned once more, token by token, with a regular
expression (fast enough for the largest manifest read). The text must
already be known to be valid JSON: the scan does not check the grammar.
"""

import bisect
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass

# One token of valid JSON: a string, a punctuation mark, or a bare literal
# (number, true, false, null).
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\]:,]|[^\s{}\[\]:,"]+', re.DOTALL)
# Skips over a whole object or list at C speed; its numbers are kept as
# text, as the values themselves are not wanted.
_SKIPPER = json.JSONDecoder(parse_int=str, parse_float=str, parse_constant=str)


@dataclass(frozen=True)
class Position:
    """A place in a text: line and column, both counted from 1."""

    line: int
    column: int


@dataclass
class _Container:
    pointer: str
    is_object: bool
    index: int = 0
    key: str = ""
    expects_key: bool = True

    def child(self) -> str:
        name = self.key if self.is_object else str(self.index)
        return f"{self.pointer}/{name.replace('~', '~0').replace('/', '~1')}"


class PositionMap:
    """The position of every value in a JSON text, found by JSON pointer.

    Given wanted pointers, only the values on the way to them are found:
    the objects and lists around nothing wanted are skipped by the json
    module's own scanner, so a manifest of megabytes with a few problems
    is placed in a few milliseconds rather than a few seconds.
    """

    def __init__(self, text: str, wanted: Iterable[str] | None = None) -> None:
        self._line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self._offsets = _value_offsets(text, _ancestors(wanted))

    def position(self, pointer: str) -> Position | None:
        """Where the value at pointer starts; for a pointer into something
        the text does not hold (a place made when references are read), the
        nearest value around it that the text holds."""
        while True:
            offset = self._offsets.get(pointer)
            if offset is not None:
                return self._place(offset)
            if not pointer:
                return None
            pointer = pointer.rpartition("/")[0]

    def _place(self, offset: int) -> Position:
        line = bisect.bisect_right(self._line_starts, offset)
        return Position(line, offset - self._line_starts[line - 1] + 1)


def _ancestors(wanted: Iterable[str] | None) -> set[str] | None:
    """Each wanted pointer and every pointer above it ("/a/b": "", "/a")."""
    if wanted is None:
        return None
    found = {""}
    for pointer in wanted:
        parts = pointer.split("/")
        found.update("/".join(parts[:end]) for end in range(2, len(parts) + 1))
    return found


def _value_offsets(text: str, wanted: set[str] | None) -> dict[str, int]:
    """The offset at which each value starts, by its JSON pointer; only
    those in wanted and inside them, when wanted is given."""
    offsets: dict[str, int] = {}
    stack: list[_Container] = []

    position = 0
    while (match := _TOKEN.search(text, position)) is not None:
        token = match.group()
        position = match.end()
        top = stack[-1] if stack else None
        if token in ("}", "]"):
            stack.pop()
            continue
        if token == ",":
            if top is not None and top.is_object:
                top.expects_key = True
            elif top is not None:
                top.index += 1
            continue
        if token == ":":
            if top is not None:
                top.expects_key = False
            continue
        if top is not None and top.is_object and top.expects_key:
            top.key = json.loads(token)
            continue

        # A value: a scalar, or the start of an object or an array.
        pointer = top.child() if top is not None else ""
        offsets[pointer] = match.start()
        if token in ("{", "[") and wanted is not None and pointer not in wanted:
            position = _SKIPPER.raw_decode(text, match.start())[1]
        elif token in ("{", "["):
            stack.append(_Container(pointer, is_object=token == "{"))
    return offsets
