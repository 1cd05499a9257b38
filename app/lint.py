"""Linting a manifest: every problem in it, with its severity and its place.

The checks that decide whether a script can be used are app.manifest's own,
so the linter and the app never disagree on them; app.lint_rules adds the
rest of what the protocol asks. Each problem is given the line and column
of the value its JSON pointer names (JSON syntax errors carry their own),
and the problems are listed in the order they appear in the text.
"""

import json
import logging
from dataclasses import dataclass, replace
from typing import Any

from app.json_positions import PositionMap
from app.jsonlimits import MAX_DOCUMENT_BYTES, JsonLimitError, read_json
from app.lint_rules import document_problems
from app.manifest import Problem, load_manifest

log = logging.getLogger(__name__)

# Exit statuses of `python -m app lint`, made for an engine's CI.
CLEAN = 0
WARNINGS_ONLY = 1
ERRORS = 2


@dataclass(frozen=True)
class LintReport:
    """What linting one manifest found."""

    source: str
    problems: list[Problem]

    @property
    def errors(self) -> int:
        return sum(p.severity == "error" for p in self.problems)

    @property
    def warnings(self) -> int:
        return sum(p.severity == "warning" for p in self.problems)

    @property
    def exit_status(self) -> int:
        if self.errors:
            return ERRORS
        return WARNINGS_ONLY if self.warnings else CLEAN


def lint_manifest(data: str | bytes, *, source: str) -> LintReport:
    """Every problem of the manifest in data, placed and in text order."""
    manifest = load_manifest(data, source=source)
    problems = list(manifest.all_problems)

    # Past the size limit the loader has refused the text: nothing to place.
    text = _text_of(data) if len(data) <= MAX_DOCUMENT_BYTES else None
    document = _document(text) if text is not None else None
    if text is not None and document is not None:
        problems += document_problems(document)
        positions = PositionMap(text, (_in_text(p.pointer) for p in problems))
        problems = [_placed(problem, positions) for problem in problems]

    problems.sort(key=lambda p: (p.line or 0, p.column or 0))
    log.debug(
        "linted %s: %d errors, %d warnings",
        source,
        sum(p.severity == "error" for p in problems),
        sum(p.severity == "warning" for p in problems),
    )
    return LintReport(source, problems)


def as_text(report: LintReport) -> str:
    """One problem a line, `file:line:col: severity: message (pointer)`."""
    lines = []
    for problem in report.problems:
        place = f" ({problem.pointer})" if problem.pointer else ""
        lines.append(
            f"{report.source}:{problem.line or 1}:{problem.column or 1}: "
            f"{problem.severity}: {_printable(problem.message + place)}"
        )
    return "".join(f"{line}\n" for line in lines)


def _printable(text: str) -> str:
    """text with control characters and lone surrogates escaped.

    Names in a manifest are the author's: a newline in one must not start
    a line that a CI parser reads as another problem, an escape sequence
    must not reach the terminal, and a lone surrogate cannot be printed.
    """
    shown = "".join(
        ch if ch.isprintable() or ch == " " else ch.encode("unicode_escape").decode()
        for ch in text
    )
    return shown.encode("utf-8", "backslashreplace").decode("utf-8")


def as_json(report: LintReport) -> str:
    """The report as a JSON document, for tools."""
    document = {
        "source": report.source,
        "errors": report.errors,
        "warnings": report.warnings,
        "problems": [
            {
                "severity": p.severity,
                "message": p.message,
                "pointer": p.pointer,
                "line": p.line,
                "column": p.column,
            }
            for p in report.problems
        ],
    }
    # ASCII: a lone surrogate in a name cannot be written as UTF-8.
    return json.dumps(document, indent=2, ensure_ascii=True) + "\n"


def _text_of(data: str | bytes) -> str | None:
    """data as text, or None when it is no UTF-8 (a problem the manifest
    loader has already reported)."""
    if isinstance(data, str):
        return data
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


# TODO(lint): only the first JSON syntax error is reported (Python's parser
# stops there), so an author fixing a trailing comma then meets the missing
# bracket on the next run instead of seeing both at once.
def _document(text: str) -> Any:
    """The parsed document, or None when it cannot be read (a problem the
    manifest loader has already reported, with its place)."""
    try:
        return read_json(text)
    except (json.JSONDecodeError, JsonLimitError):
        return None


def _placed(problem: Problem, positions: PositionMap) -> Problem:
    """The problem with the line and column of the value it names."""
    if problem.line is not None:
        return problem
    position = positions.position(_in_text(problem.pointer))
    if position is None:
        return problem
    return replace(problem, line=position.line, column=position.column)


def _in_text(pointer: str) -> str:
    """Where a pointer is in the manifest's text: a problem found inside a
    definition, through a reference, is named by the reference
    ("#/definitions/x"), which points into the manifest itself."""
    return pointer[1:] if pointer.startswith("#/") else pointer
