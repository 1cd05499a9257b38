"""One expression as the cron editor shows it: valid or why not, words, runs.

The editor and `python -m app cron` both show this, so they cannot
disagree. The expression is checked first: a refused one gets its reason
and neither a description nor runs.
"""

import datetime as dt
import logging
import zoneinfo
from dataclasses import dataclass, field
from typing import Any

from app.schedule.description import describe
from app.schedule.expression import CronError, parse_cron
from app.schedule.runs import next_runs

log = logging.getLogger(__name__)

DEFAULT_COUNT = 10


@dataclass(frozen=True)
class CronPreview:
    """What the editor shows for one expression."""

    valid: bool
    error: str | None = None
    description: str | None = None
    runs: list[dt.datetime] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """`{valid, error, description, next: [ISO 8601 with offsets]}`."""
        return {
            "valid": self.valid,
            "error": self.error,
            "description": self.description,
            "next": [moment.isoformat() for moment in self.runs],
        }


def preview(
    text: str,
    zone: zoneinfo.ZoneInfo,
    after: dt.datetime,
    count: int = DEFAULT_COUNT,
    language: str = "en",
) -> CronPreview:
    """The preview of text in zone, listing count runs after `after` (aware)."""
    try:
        expression = parse_cron(text)
    except CronError as exc:
        return CronPreview(valid=False, error=str(exc))

    return CronPreview(
        valid=True,
        description=describe(expression, language),
        runs=next_runs(expression, zone, after, count),
    )
