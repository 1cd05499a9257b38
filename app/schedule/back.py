"""A task's `back` and the report period it gives each run.

A scheduled task says how far back each run reports, as `{"days": n,
"hours": n}`. A run fired at 07:00 on a Monday with `back` of 7 days
reports from 07:00 the Monday before to 07:00 that Monday: the period
ends at the fire time and is counted on the wall clock of the task's time
zone, so a week that crosses a change of daylight saving time still runs
from 07:00 to 07:00. `from` and `to` are written as the job arguments
take them: local times without an offset (the job's `tz` says which).
"""

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from app.errors import UsageError

MOST_DAYS = 366  # the longest period an engine takes (app/engine/params.py)
MOST_OF = {"days": MOST_DAYS, "hours": MOST_DAYS * 24}


@dataclass(frozen=True)
class Back:
    """How far back from its fire time a run reports."""

    days: float = 0
    hours: float = 0

    @property
    def span(self) -> dt.timedelta:
        return dt.timedelta(days=self.days, hours=self.hours)


def parse_back(value: Any) -> Back:
    """A `back` object read and checked; UsageError says what is wrong."""
    if not isinstance(value, dict):
        raise UsageError('back: give {"days": N, "hours": N}')
    unknown = sorted(set(value) - {"days", "hours"})
    if unknown:
        raise UsageError(f"back: only days and hours are taken, not {unknown[0]!r}")

    amounts = {}
    for key in ("days", "hours"):
        amount = value.get(key, 0)
        if amount is None:
            amount = 0
        if (
            isinstance(amount, bool)
            or not isinstance(amount, int | float)
            or (isinstance(amount, float) and not math.isfinite(amount))
            or amount < 0
        ):
            raise UsageError(f"back/{key}: give a number of {key}, 0 or more")
        # Checked before any timedelta is made: 1e10 days is past its range.
        if amount > MOST_OF[key]:
            raise UsageError(
                f"back/{key}: the period is longer than {MOST_DAYS} days; give "
                f"at most {MOST_OF[key]} {key}"
            )
        amounts[key] = amount

    back = Back(**amounts)
    if back.span <= dt.timedelta(0):
        raise UsageError("back: the period is empty; give some days or hours")
    if back.span > dt.timedelta(days=MOST_DAYS):
        raise UsageError(f"back: the period is longer than {MOST_DAYS} days")
    return back


def period_before(fire_time: dt.datetime, back: Back) -> tuple[str, str]:
    """`from` and `to` of a run fired at fire_time (aware, in the task's zone).

    UsageError when the period would begin before year 1.
    """
    end = fire_time.replace(tzinfo=None, fold=0)
    try:
        start = end - back.span
    except OverflowError as exc:
        raise UsageError(
            f"back: the period before {_local_text(end)} would begin before year 1"
        ) from exc
    return _local_text(start), _local_text(end)


def _local_text(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="seconds")
