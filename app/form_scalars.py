"""Single values in report forms, without Qt: text rules, formats and null.

What the text fields and their error messages need from a schema: a
pattern said in words a user can follow, a placeholder for each format,
the check of a web address, the reading of a time typed loosely; and the
fields that can be null (`"type": "null"`, or a type list with "null").
"""

import datetime as dt
import json
import logging
import re
import urllib.parse
from typing import Any

from app.display_text import TITLE_LIMIT, one_line
from app.patterns import PatternTooSlowError, pattern_problem, search

log = logging.getLogger(__name__)

JsonObject = dict[str, Any]

NULL_TYPE = "null"
# The types a nullable field's editor can be, beside null.
SIMPLE_TYPES = ("string", "number", "integer", "boolean", "object", "array")
FORMAT_PLACEHOLDERS = {
    "email": "name@example.org",
    "uri": "https://example.org/page",
    "time": "08:30:00",
}
TIME_EXAMPLE = "08:30:00"

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*$")
_LOOSE_TIME = re.compile(
    r"^(?P<hour>\d{1,2}):(?P<minute>\d{1,2})(?::(?P<second>\d{1,2}))?$"
)


def pattern_message(pattern: Any, schema: Any) -> str:
    """A pattern's error in words: an example of a right value, if any.

    An example the schema gives (and that matches) says it best; else the
    field's description; else the pattern itself, which authors read.
    """
    schema = schema if isinstance(schema, dict) else {}
    example = _matching_example(pattern, schema.get("examples"))
    if example is not None:
        return f"must look like: {example}"
    description = schema.get("description")
    if isinstance(description, str) and description.strip():
        return f"must look like: {one_line(description.strip(), TITLE_LIMIT)}"
    return f"must look like: {one_line(str(pattern), TITLE_LIMIT)}"


def _matching_example(pattern: Any, examples: Any) -> str | None:
    if not isinstance(examples, list) or not isinstance(pattern, str):
        return None
    if pattern_problem(pattern):
        return None
    for example in examples:
        try:
            if isinstance(example, str) and search(pattern, example):
                return one_line(example, TITLE_LIMIT)
        except PatternTooSlowError:
            return None
    return None


def placeholder(schema: JsonObject) -> str:
    """The grey text of an empty field: its first example, else its format's."""
    examples = schema.get("examples")
    if isinstance(examples, list) and examples:
        first = examples[0]
        text = first if isinstance(first, str) else json.dumps(first, default=str)
        return "e.g. " + one_line(text, TITLE_LIMIT)
    fmt = schema.get("format")
    return FORMAT_PLACEHOLDERS.get(fmt, "") if isinstance(fmt, str) else ""


def author_hint(schema: JsonObject) -> str:
    """What a manifest author wants to see of a text field's rules (a tooltip)."""
    lines = []
    pattern = schema.get("pattern")
    if isinstance(pattern, str):
        lines.append(f"Pattern: {one_line(pattern, TITLE_LIMIT)}")
    fmt = schema.get("format")
    if isinstance(fmt, str):
        lines.append(f"Format: {one_line(fmt, TITLE_LIMIT)}")
    return "\n".join(lines)


def is_uri(text: str) -> bool:
    """Whether text is an absolute address: a scheme, then something, no spaces."""
    if not text or any(c.isspace() for c in text):
        return False
    parts = urllib.parse.urlsplit(text)
    if not _SCHEME.match(parts.scheme):
        return False
    # "https:" alone, or "https://" with no host, names nothing.
    if text.startswith(f"{parts.scheme}://"):
        return bool(parts.netloc)
    return len(text) > len(parts.scheme) + 1


def read_time(text: str) -> dt.time | None:
    """A time of day a person typed, or None if the text is not one.

    Takes ISO times as JSON Schema writes them ("08:30:00", "08:30:00Z",
    "08:30:00.5+02:00") and looser ones ("8:30", "8:30:5").
    """
    text = text.strip()
    match = _LOOSE_TIME.match(text)
    if match is not None:
        try:
            return dt.time(
                int(match["hour"]), int(match["minute"]), int(match["second"] or 0)
            )
        except ValueError:
            return None
    if not re.match(r"^\d{2}:\d{2}", text):
        return None
    try:
        return dt.time.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        return None


def time_value(text: str) -> str | None:
    """The value a time field sends for text; None if it is not a time.

    ISO text is sent as typed (it keeps its offset and fractions); a looser
    one as hh:mm:ss.
    """
    moment = read_time(text)
    if moment is None:
        return None
    text = text.strip()
    try:
        dt.time.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        return moment.isoformat(timespec="seconds")
    # fromisoformat also takes "0830" and "08"; JSON Schema wants colons.
    return text if re.match(r"^\d{2}:\d{2}", text) else None


def is_null(schema: JsonObject) -> bool:
    """A field that can only be null."""
    kind = schema.get("type")
    return kind == NULL_TYPE or kind == [NULL_TYPE]


def is_nullable(schema: JsonObject) -> bool:
    """A field of one type that may also be null: `["string", "null"]`."""
    return non_null_type(schema) is not None


def non_null_type(schema: JsonObject) -> str | None:
    """The one type beside null in a nullable field's type list, else None."""
    kind = schema.get("type")
    if not isinstance(kind, list) or NULL_TYPE not in kind:
        return None
    others = [k for k in kind if k != NULL_TYPE]
    if len(others) == 1 and others[0] in SIMPLE_TYPES:
        return str(others[0])
    return None


def non_null_schema(schema: JsonObject) -> JsonObject:
    """A nullable field's schema as its editor sees it: the other type only.

    A default of null is the nullable field's own, not its editor's.
    """
    inner = {**schema, "type": non_null_type(schema)}
    if inner.get("default", 0) is None:
        del inner["default"]
    return inner
