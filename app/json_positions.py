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
from dataclasses import dataclass

# One token of valid JSON: a string, a punctuation mark, or a bare literal
# (number, true, false, null).
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\]:,]|[^\s{}\[\]:,"]+', re.DOTALL)


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
    """The position of every value in a JSON text, found by JSON pointer."""

    def __init__(self, text: str) -> None:
        self._line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self._offsets = _value_offsets(text)

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


def _value_offsets(text: str) -> dict[str, int]:
    """The offset at which each value starts, by its JSON pointer."""
    offsets: dict[str, int] = {}
    stack: list[_Container] = []

    for match in _TOKEN.finditer(text):
        token = match.group()
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
        if token in ("{", "["):
            stack.append(_Container(pointer, is_object=token == "{"))
    return offsets
