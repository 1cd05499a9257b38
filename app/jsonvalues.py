"""Reading numbers out of JSON written by other programs.

Gateways and engines disagree on types (DESIGN.md, quirk 5: a number may
arrive as text), and JSON's true/false must never count as 1/0.
"""

from typing import Any


def number(value: Any) -> float | None:
    """A JSON number as a float; None for anything else, booleans included."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def lenient_number(value: Any) -> float | None:
    """Like number(), but also accepts a number written as text."""
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return number(value)
