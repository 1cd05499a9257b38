"""Fleet Status: where each vehicle is now and whether it is in touch.

Per vehicle, the last event (greatest event_time) among the events of the
7 days before now (events after now are ignored):

- last_seen is that event's event_time as a wall time in the report tz;
- lat, lon as reported; ignition is io_ign (true or false);
- speed is kph in kph or mph (prefs.speed), rounded half up to 1 decimal;
- odometer is dev_dist (meters) in km or mile (prefs.distance), rounded
  half up to 1 decimal;
- status, the first that applies: "silent" when there is no event at all,
  "stale" when last_seen is older than now - stale_after, "moving" when
  kph > 0, "idle" when the ignition is on (kph 0 or unknown), else "parked".

A silent vehicle has empty (null) values in every other column.
"""

import datetime as dt
from collections.abc import Callable, Iterable

from app.engine.reports.timeline import (
    Event,
    Row,
    Sample,
    Vehicle,
    half_up,
    read_sample,
)
from app.engine.timeframe import ReportClock
from app.engine.units import Units

COLUMNS = (
    "vid",
    "name",
    "last_seen",
    "lat",
    "lon",
    "ignition",
    "speed",
    "odometer",
    "status",
)
FIELDS = ("event_time", "vid", "io_ign", "kph", "dev_dist", "lat", "lon")
LOOK_BACK = dt.timedelta(days=7)
LOOK_BACK_ISO = "P7D"
STATUSES = ("moving", "idle", "parked", "stale", "silent")


def status_row(
    vehicle: Vehicle,
    events: Iterable[Event],
    clock: ReportClock,
    units: Units,
    now: dt.datetime,
    stale_after: dt.timedelta,
) -> Row:
    """The status row of one vehicle at the moment `now` (aware)."""
    last = _last_sample(events, now)
    row: Row = {"vid": vehicle.id, "name": vehicle.name}
    if last is None:
        empty = dict.fromkeys(COLUMNS[2:-1])
        return {**row, **empty, "status": "silent"}

    return {
        **row,
        "last_seen": clock.wall(last.time),
        "lat": last.lat,
        "lon": last.lon,
        "ignition": last.ign,
        "speed": _maybe(last.kph, lambda kph: half_up(units.speed_from_kph(kph), 1)),
        "odometer": _maybe(
            last.dist, lambda m: half_up(units.distance_from_meters(m), 1)
        ),
        "status": _status(last, now, stale_after),
    }


def summarize(rows: list[Row]) -> dict[str, int]:
    counts = {status: 0 for status in STATUSES}
    for row in rows:
        counts[row["status"]] += 1
    return {"vehicles": len(rows), "rows": len(rows), **counts}


def _last_sample(events: Iterable[Event], now: dt.datetime) -> Sample | None:
    latest: Sample | None = None
    for event in events:
        sample = read_sample(event)
        if sample is None or not now - LOOK_BACK <= sample.time <= now:
            continue
        # Among events sharing the latest time, the last one given wins.
        if latest is None or sample.time >= latest.time:
            latest = sample
    return latest


def _status(last: Sample, now: dt.datetime, stale_after: dt.timedelta) -> str:
    if now - last.time > stale_after:
        return "stale"
    if last.moving:
        return "moving"
    return "idle" if last.ign else "parked"


def _maybe(value: float | None, convert: Callable[[float], float]) -> float | None:
    return None if value is None else convert(value)
