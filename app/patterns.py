"""The `pattern` rules of manifests, matched in bounded time.

A manifest we do not control may give a pattern that backtracks without
end, like "^(a+)+$": Python's re would then hang the form, `preview` or
the engine on a long enough value. Patterns are matched here with the
`regex` package, which understands the same syntax as re and stops a
match after PATTERN_TIMEOUT; a match stopped so is PatternTooSlowError, which
validation shows at the field instead of an answer. PATTERN_KEYWORDS are
the JSON Schema keywords that match patterns, for app.validation's validator.
"""

import functools
import logging
from collections.abc import Iterator
from typing import Any

import regex
from jsonschema.exceptions import ValidationError

from app.errors import PegasusError

log = logging.getLogger(__name__)

# Seconds one match may take: a fair pattern needs microseconds.
PATTERN_TIMEOUT = 0.25
TOO_SLOW = (
    "this pattern took too long to check; the manifest's author should simplify it"
)
_COMPILED_KEPT = 512


class PatternTooSlowError(PegasusError):
    """Matching a schema pattern did not end within PATTERN_TIMEOUT."""

    def __init__(self, pattern: str) -> None:
        super().__init__(TOO_SLOW)
        self.pattern = pattern


def pattern_problem(pattern: str) -> str:
    """Why pattern cannot be used ("" if it compiles)."""
    try:
        _compiled(pattern)
    except regex.error as exc:
        return str(exc)
    return ""


def search(pattern: str, text: str) -> bool:
    """Whether pattern matches somewhere in text, as JSON Schema's `pattern`.

    Raises PatternTooSlowError after PATTERN_TIMEOUT, and regex.error for a
    pattern that does not compile (validation refuses those beforehand).
    """
    try:
        return _compiled(pattern).search(text, timeout=PATTERN_TIMEOUT) is not None
    except TimeoutError as exc:
        log.warning(
            "the pattern %.80r took too long on %d characters", pattern, len(text)
        )
        raise PatternTooSlowError(pattern) from exc


@functools.lru_cache(maxsize=_COMPILED_KEPT)
def _compiled(pattern: str) -> Any:
    return regex.compile(pattern)


# --- The keywords of a jsonschema validator that match patterns ----------

JsonObject = dict[str, Any]


def _pattern(
    validator: Any, pattern: Any, instance: Any, schema: JsonObject
) -> Iterator[ValidationError]:
    # Matched in bounded time, unlike jsonschema's own (re, no limit).
    if not validator.is_type(instance, "string"):
        return
    try:
        if not search(pattern, instance):
            yield ValidationError(f"{instance!r} does not match {pattern!r}")
    except PatternTooSlowError:
        yield ValidationError(TOO_SLOW)


def _pattern_properties(
    validator: Any, patterns: Any, instance: Any, schema: JsonObject
) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in patterns.items():
        for key, value in instance.items():
            try:
                found = search(pattern, key)
            except PatternTooSlowError:
                yield ValidationError(TOO_SLOW, path=[key])
                continue
            if found:
                yield from validator.descend(
                    value, subschema, path=key, schema_path=pattern
                )


def _additional_properties(
    validator: Any, allowed: Any, instance: Any, schema: JsonObject
) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "object"):
        return
    named = schema.get("properties", {})
    patterns = schema.get("patternProperties", {})
    extras = []
    for key in instance:
        if key in named:
            continue
        try:
            if not any(search(pattern, key) for pattern in patterns):
                extras.append(key)
        except PatternTooSlowError:
            yield ValidationError(TOO_SLOW, path=[key])

    if validator.is_type(allowed, "object"):
        for extra in extras:
            yield from validator.descend(instance[extra], allowed, path=extra)
    elif allowed is False and extras:
        names = ", ".join(repr(extra) for extra in sorted(extras, key=str))
        verb = "was" if len(extras) == 1 else "were"
        yield ValidationError(
            f"Additional properties are not allowed ({names} {verb} unexpected)"
        )


PATTERN_KEYWORDS = {
    "pattern": _pattern,
    "patternProperties": _pattern_properties,
    "additionalProperties": _additional_properties,
}
