"""Raw events of one vehicle read as a timeline of states.

Every report reads events the same way: an event's state (ignition, speed,
odometer, position) holds from its event_time until the next event, and the
last event's state holds until the end of the period, or until the moment
the job started when that is earlier (the rest has not happened yet).
Events after that moment are left out, as are events with no readable
event_time. Event times are read as UTC, the zone the engine asks in.
"""

import datetime as dt
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from app.engine.timeframe import Period, event_instant
from app.jsonvalues import number

log = logging.getLogger(__name__)

Event = Mapping[str, Any]
Row = dict[str, Any]


@dataclass(frozen=True)
class Vehicle:
    """A vehicle of the report: its gateway id and display name."""

    id: int
    name: str


@dataclass(frozen=True)
class Sample:
    """One event, with the fields the reports use, read and typed."""

    time: dt.datetime
    ign: bool
    kph: float | None
    dist: float | None
    lat: float | None
    lon: float | None

    @property
    def idle(self) -> bool:
        """Ignition on and standing still (an unknown speed is not idle)."""
        return self.ign and self.kph == 0

    @property
    def moving(self) -> bool:
        return self.kph is not None and self.kph > 0


def read_sample(event: Event) -> Sample | None:
    """The event as a Sample, or None when its time cannot be read."""
    try:
        time = event_instant(event.get("event_time"))
    except (ValueError, TypeError, OverflowError, OSError):
        return None
    return Sample(
        time=time,
        ign=_flag(event.get("io_ign")),
        kph=number(event.get("kph")),
        dist=number(event.get("dev_dist")),
        lat=number(event.get("lat")),
        lon=number(event.get("lon")),
    )


def timeline(events: Iterable[Event], period: Period) -> list[Sample]:
    """The events inside [from, known_until), ordered by event_time."""
    samples: list[Sample] = []
    unreadable = 0
    until = period.known_until
    for event in events:
        sample = read_sample(event)
        if sample is None:
            unreadable += 1
        elif period.start <= sample.time < until:
            samples.append(sample)

    if unreadable:
        log.debug("left out %d events with no readable event_time", unreadable)
    # sorted() is stable: events sharing a time keep the gateway's order.
    return sorted(samples, key=lambda s: s.time)


def spans(samples: list[Sample], end: dt.datetime) -> list[float]:
    """How long each sample's state holds, in seconds (the last until end)."""
    if not samples:
        return []
    ends = [s.time for s in samples[1:]] + [end]
    pairs = zip(samples, ends, strict=True)
    return [(until - s.time).total_seconds() for s, until in pairs]


def half_up(value: float, digits: int = 0) -> float:
    """Round halves away from zero (round() would send 2.5 to 2)."""
    scale = 10**digits
    shifted = abs(value) * scale + 0.5
    return (1 if value >= 0 else -1) * int(shifted) / scale


def _flag(value: Any) -> bool:
    return value is True or (isinstance(value, int | float) and value == 1)
