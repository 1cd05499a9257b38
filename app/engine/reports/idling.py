"""Idling Usage: how long each vehicle stood still with the ignition on.

Per vehicle, over the events in [from, to) ordered by event_time, each
event's state holding until the next event and the last one's until `to`,
or until the job started when that is earlier (events after it left out):

- ignition-on time is the total time whose state has io_ign true;
- an idle period is a maximal run of consecutive events with io_ign true
  and kph == 0; it lasts from the run's first event until the first event
  after the run, or that end; it is kept when it lasts at least min_idle
  minutes;
- idleTime is the sum of the kept periods in seconds, rounded half up to a
  whole second; idle_count is how many periods were kept;
- percent_idle is 100 * (kept idle time) / (ignition-on time), rounded
  half up to a whole percent, and 0 when the ignition was never on.

One row per vehicle, vehicles with no events included (all zeros).
"""

import math
from collections.abc import Iterable
from fractions import Fraction

from app.engine.reports.timeline import (
    Event,
    Row,
    Sample,
    Vehicle,
    spans,
    timeline,
)
from app.engine.timeframe import Period

COLUMNS = ("vid", "name", "from", "to", "idleTime", "idle_count", "percent_idle")
FIELDS = ("event_time", "vid", "io_ign", "kph")


def idling_row(
    vehicle: Vehicle, events: Iterable[Event], period: Period, min_idle: int
) -> Row:
    """The idling row of one vehicle over the period."""
    samples = timeline(events, period)
    held = spans(samples, period.known_until)
    threshold = min_idle * 60

    pairs = list(zip(samples, held, strict=True))
    ignition_on = sum(span for sample, span in pairs if sample.ign)

    kept = [run for run in _idle_runs(samples, held) if run >= threshold]
    idle_total = sum(kept)

    return {
        "vid": vehicle.id,
        "name": vehicle.name,
        "from": period.clock.wall(period.start),
        "to": period.clock.wall(period.end),
        "idleTime": _whole(Fraction(idle_total)),
        "idle_count": len(kept),
        "percent_idle": _percent(idle_total, ignition_on),
    }


def summarize(rows: list[Row]) -> dict[str, int | float]:
    idle_seconds = sum(row["idleTime"] for row in rows)
    return {
        "vehicles": len(rows),
        "rows": len(rows),
        "idle_periods": sum(row["idle_count"] for row in rows),
        "idle_hours": round(idle_seconds / 3600, 2),
    }


def _idle_runs(samples: list[Sample], held: list[float]) -> list[float]:
    """The length in seconds of each maximal run of idle events."""
    runs: list[float] = []
    current: float | None = None
    for sample, span in zip(samples, held, strict=True):
        if sample.idle:
            current = (current or 0.0) + span
        elif current is not None:
            runs.append(current)
            current = None

    if current is not None:
        runs.append(current)
    return runs


def _percent(idle: float, ignition_on: float) -> int:
    if ignition_on <= 0:
        return 0
    return _whole(Fraction(idle) * 100 / Fraction(ignition_on))


def _whole(value: Fraction) -> int:
    return math.floor(value + Fraction(1, 2))
