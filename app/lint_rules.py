"""The manifest rules the linter checks beyond what loading a manifest checks.

app.manifest already finds what keeps a script from being used (JSON,
shape, names, titles, schedule, schemas, references). The rules here are
the rest of what the protocol asks of a manifest author (DESIGN.md,
"Manifest scripts"): lengths of titles and descriptions, https addresses,
`required` names that a schema's properties hold, and `peg_type`s the app
knows. Each rule reads the parsed document and gives Problems with the
JSON pointer of the value concerned.
"""

import urllib.parse
from collections.abc import Iterator
from typing import Any

from app.addresses import has_user_info, is_loopback_host, url_problem
from app.display_text import quoted
from app.forms import PERIOD_PEG_TYPES, PREFS_PEG_TYPE, RESOURCE_PEG_TYPES, TZ_PEG_TYPE
from app.manifest import Problem
from app.references import escape

MAX_TITLE = 50
MAX_DESC = 150
KNOWN_PEG_TYPES = frozenset(
    [*PERIOD_PEG_TYPES, TZ_PEG_TYPE, PREFS_PEG_TYPE, *RESOURCE_PEG_TYPES]
)
# Keywords through which a schema may get properties its own `properties`
# does not list: its `required` names are then not checked here.
_MORE_PROPERTIES = ("allOf", "anyOf", "oneOf", "$ref", "if", "dependencies")


def document_problems(document: Any) -> list[Problem]:
    """The problems these rules find outside the scripts of a parsed manifest."""
    if not isinstance(document, dict):
        return []
    problems: list[Problem] = []
    if "definitions" not in document:
        problems.append(
            Problem(
                "warning",
                "the manifest has no definitions; the protocol writes them "
                'even when empty ("definitions": {})',
                "",
            )
        )

    # Each script's own problems (script_problems) come from app.manifest,
    # which applies these rules as it loads a script.
    definitions = document.get("definitions")
    if isinstance(definitions, dict):
        problems += schema_rule_problems(definitions, "/definitions")
    return problems


def script_problems(entry: dict[str, Any], pointer: str) -> list[Problem]:
    """The problems of one script entry's fields and parameters schema."""
    problems = list(_text_problems(entry, pointer))
    for name in ("icon", "app_url"):
        value = entry.get(name)
        if value is not None and value != "":
            problems += _address_problems(name, value, f"{pointer}/{name}")

    schema = entry.get("parameters_schema")
    if isinstance(schema, dict):
        problems += schema_rule_problems(schema, f"{pointer}/parameters_schema")
    return problems


def _text_problems(entry: dict[str, Any], pointer: str) -> Iterator[Problem]:
    title = entry.get("title")
    if isinstance(title, str) and len(title.strip()) > MAX_TITLE:
        yield Problem(
            "error",
            f"the title has {len(title.strip())} characters; at most {MAX_TITLE} "
            "are allowed",
            f"{pointer}/title",
        )

    desc = entry.get("desc")
    if desc is not None and not isinstance(desc, str):
        yield Problem("error", "desc must be text", f"{pointer}/desc")
    elif isinstance(desc, str) and len(desc.strip()) > MAX_DESC:
        yield Problem(
            "error",
            f"desc has {len(desc.strip())} characters; at most {MAX_DESC} are allowed",
            f"{pointer}/desc",
        )


def _address_problems(name: str, value: Any, pointer: str) -> list[Problem]:
    """An icon's or app_url's address must be https; plain http only to this
    machine (a local engine while it is written), and then with a warning."""
    if not isinstance(value, str):
        return [Problem("error", f"{name} must be an https address", pointer)]
    text = value.strip()
    if has_user_info(text):
        return [
            Problem(
                "error",
                f"{name} holds a user name or password, which is not allowed",
                pointer,
            )
        ]
    problem = url_problem(text)
    if problem is not None:
        return [Problem("error", f"{name} is not a valid address: {problem}", pointer)]

    parsed = urllib.parse.urlsplit(text)
    scheme = parsed.scheme.lower()
    host = parsed.hostname or ""
    if scheme == "https" and host:
        return []
    if scheme == "http" and is_loopback_host(host):
        return [
            Problem(
                "warning",
                f"{name} uses plain http to this computer; it must be https "
                "before the engine is used elsewhere",
                pointer,
            )
        ]
    return [
        Problem(
            "error", f"{name} must be an https address, not {quoted(text)}", pointer
        )
    ]


def schema_rule_problems(schema: Any, pointer: str) -> list[Problem]:
    """The `required` and `peg_type` problems anywhere inside a schema."""
    problems: list[Problem] = []
    for node, where in _objects(schema, pointer):
        problems += _required_problems(node, where)
        # A dict is the schema of a property named peg_type, not a peg_type.
        if "peg_type" in node and not isinstance(node["peg_type"], dict):
            problems += _peg_type_problems(node["peg_type"], f"{where}/peg_type")
    return problems


def _required_problems(node: dict[str, Any], pointer: str) -> list[Problem]:
    required = node.get("required")
    properties = node.get("properties")
    if not isinstance(required, list) or not isinstance(properties, dict):
        return []
    if any(keyword in node for keyword in _MORE_PROPERTIES):
        return []
    return [
        Problem(
            "error",
            f"{quoted(name)} is required but is not among the properties",
            f"{pointer}/required/{index}",
        )
        for index, name in enumerate(required)
        if isinstance(name, str) and name not in properties
    ]


def _peg_type_problems(peg_type: Any, pointer: str) -> list[Problem]:
    if isinstance(peg_type, str) and peg_type in KNOWN_PEG_TYPES:
        return []
    known = ", ".join(sorted(KNOWN_PEG_TYPES))
    shown = quoted(peg_type) if isinstance(peg_type, str) else "a value not text"
    return [
        Problem(
            "warning",
            f"unknown peg_type {shown}; the field is shown from its JSON Schema "
            f"type alone (known: {known})",
            pointer,
        )
    ]


def _objects(root: Any, pointer: str) -> Iterator[tuple[dict[str, Any], str]]:
    """Every object inside root, with its pointer (an explicit stack: a
    schema's depth is bounded when read, but recursion is not needed)."""
    stack = [(root, pointer)]
    while stack:
        node, where = stack.pop()
        if isinstance(node, dict):
            yield node, where
            stack.extend(
                (value, f"{where}/{escape(str(key))}") for key, value in node.items()
            )
        elif isinstance(node, list):
            stack.extend((value, f"{where}/{i}") for i, value in enumerate(node))
