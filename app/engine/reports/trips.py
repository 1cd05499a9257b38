"""Trips: each journey of each vehicle, from ignition on to ignition off.

Per vehicle, over the events in [from, to) ordered by event_time, each
event's state holding until the next event and the last one's until `to`,
or until the job started when that is earlier (events after it left out):

- a trip is a maximal run of consecutive events with io_ign true in which
  at least one event has kph > 0;
- it starts at the run's first event and ends at the first event after the
  run (the ignition-off event), or at that end (`to`, or the job's start)
  when the run reaches it;
- duration is end - start in whole seconds (half up);
- distance is the dev_dist (odometer, meters) of the end event (the
  ignition-off event, or the run's last event when the trip runs to the
  end)
  minus the dev_dist of the run's first event, using the nearest event
  inside the trip that has one when an end lacks it; it is given in km or
  mile (prefs.distance) rounded half up to 3 decimals;
- max_speed is the highest kph of the run's events, in kph or mph
  (prefs.speed), rounded half up to 1 decimal;
- start_lat/start_lon are the first event's position, end_lat/end_lon the
  end event's;
- idle_time is the time inside the trip whose state has kph == 0, in whole
  seconds (half up);
- a trip is dropped when its rounded distance is not above zero, when its
  distance in km is below min_distance (always km, whatever the prefs), or
  when it lasts no time at all.

So kept trips have distance > 0, end after start, and never overlap.
"""

import datetime as dt
from collections.abc import Iterable

from app.engine.reports.timeline import (
    Event,
    Row,
    Sample,
    Vehicle,
    half_up,
    spans,
    timeline,
)
from app.engine.timeframe import Period
from app.engine.units import METERS_PER_KM, Units

COLUMNS = (
    "vid",
    "name",
    "start",
    "end",
    "duration",
    "distance",
    "max_speed",
    "start_lat",
    "start_lon",
    "end_lat",
    "end_lon",
    "idle_time",
)
FIELDS = ("event_time", "vid", "io_ign", "kph", "dev_dist", "lat", "lon")


def trip_rows(
    vehicle: Vehicle,
    events: Iterable[Event],
    period: Period,
    units: Units,
    min_distance: float = 0.0,
) -> list[Row]:
    """The trips of one vehicle over the period, in time order."""
    samples = timeline(events, period)
    held = spans(samples, period.known_until)

    rows: list[Row] = []
    index = 0
    while index < len(samples):
        if not samples[index].ign:
            index += 1
            continue
        stop = index
        while stop < len(samples) and samples[stop].ign:
            stop += 1

        run = samples[index:stop]
        after = samples[stop] if stop < len(samples) else None
        if any(sample.moving for sample in run):
            trip = _Trip(run, held[index:stop], after, period.known_until)
            row = trip.row(vehicle, period, units, min_distance)
            if row is not None:
                rows.append(row)
        index = stop
    return rows


def summarize(rows: list[Row], vehicles: int, units: Units) -> dict[str, object]:
    return {
        "vehicles": vehicles,
        "rows": len(rows),
        "trips": len(rows),
        "distance": half_up(sum(row["distance"] for row in rows), 3),
        "distance_unit": units.distance,
        "driving_hours": round(sum(row["duration"] for row in rows) / 3600, 2),
    }


class _Trip:
    """One ignition-on run with movement, and the event that ends it."""

    def __init__(
        self,
        run: list[Sample],
        held: list[float],
        after: Sample | None,
        period_end: dt.datetime,
    ) -> None:
        self.run = run
        self.held = held
        self.first = run[0]
        self.last = after or run[-1]
        self.end_time = after.time if after else period_end
        # The odometer readings from the first event to the ending one.
        stops = [*run, after] if after else run
        self.readings = [s.dist for s in stops if s.dist is not None]

    @property
    def meters(self) -> float:
        if len(self.readings) < 2:
            return 0.0
        return self.readings[-1] - self.readings[0]

    def row(
        self, vehicle: Vehicle, period: Period, units: Units, min_distance: float
    ) -> Row | None:
        """The trip's row, or None when it is dropped."""
        duration = half_up((self.end_time - self.first.time).total_seconds())
        distance = half_up(units.distance_from_meters(self.meters), 3)
        km = self.meters / METERS_PER_KM
        if duration <= 0 or distance <= 0 or km < min_distance:
            return None

        top_kph = max(s.kph for s in self.run if s.kph is not None)
        pairs = zip(self.run, self.held, strict=True)
        idle = sum(span for s, span in pairs if s.kph == 0)
        return {
            "vid": vehicle.id,
            "name": vehicle.name,
            "start": period.clock.wall(self.first.time),
            "end": period.clock.wall(self.end_time),
            "duration": int(duration),
            "distance": distance,
            "max_speed": half_up(units.speed_from_kph(top_kph), 1),
            "start_lat": self.first.lat,
            "start_lon": self.first.lon,
            "end_lat": self.last.lat,
            "end_lon": self.last.lon,
            "idle_time": int(half_up(idle)),
        }
