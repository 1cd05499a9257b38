"""GET /api/rawdata: reading the query, picking events, shaping the answer.

Supported: `from`/`to` (naive, in `tz`), `duration` (ISO 8601, back from
`to` or now), `vehicles`, `groups`, `fields` (names, `$basic`, `$all`),
`types`, `labels`, `tz` (or the X-Time-Zone header), `distance` (meter,
km, mile, user) for dev_dist, `speed` (kph, mph, user) for `speed`, and
`head`/`tail`. Field names these devices do not report are left out of
the events, as a gateway leaves out keys an event does not carry. Nothing
is answered past the present moment. The gateway's other parameters are
refused with a 400 naming them, rather than silently ignored.
"""

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from app.sandbox.fleet import USER_PREFS, VEHICLES, Vehicle, group_vehicle_ids
from app.sandbox.tracks import CODES, GPS_EVENT, Event, FleetTracks
from app.sandbox.web import ApiError, json_parameter

MAX_VEHICLES = 25
MAX_RANGE_DAYS = 32
# Times a gateway can answer for, in epoch seconds: a day inside the range
# datetime can show in any time zone.
EARLIEST = 86_400.0
LATEST = datetime(9999, 12, 30, tzinfo=UTC).timestamp()
KM_PER_MILE = 1.609344

BASIC_FIELDS = (
    "event_time", "system_time", "id", "vid", "device_id", "type", "code",
    "label", "lat", "lon", "head", "speed", "mph", "sv", "hdop",
    "valid_position",
)  # fmt: skip
ALL_FIELDS = (
    *BASIC_FIELDS, "kph", "io_ign", "io_pwr", "moving", "dev_dist",
)  # fmt: skip
DEFAULT_FIELDS = (*BASIC_FIELDS, "kph", "io_ign", "moving", "dev_dist")
ALWAYS_FIELDS = ("event_time", "system_time", "id", "vid")
FIELD_SETS = {"$basic": BASIC_FIELDS, "$all": ALL_FIELDS}

DISTANCE_DIVISORS = {"meter": 1.0, "km": 1000.0, "mile": 1000.0 * KM_PER_MILE}
SPEED_UNITS = ("kph", "mph")
VOLUME_UNITS = ("liter", "gallon")
TIME_UNITS = ("second", "minute", "hour")

# TODO(sandbox): field expressions (alias:@field, casts), exclude, filter,
# resample, order, export other than json and async are refused with a 400;
# an engine that relies on them cannot be tried against the sandbox.
UNSUPPORTED = (
    "resample", "freq", "how", "fill", "group_by", "order", "filter",
    "exclude", "excludes", "codes", "raw", "async", "entities", "assets",
)  # fmt: skip

_DURATION_RE = re.compile(
    r"P(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?"
    r"(?:(?P<days>\d+)D)?(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?"
    r"(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?"
)


@dataclass(frozen=True)
class RawdataQuery:
    """A checked /api/rawdata request."""

    start: float  # epoch seconds, inclusive
    end: float  # epoch seconds, inclusive
    vehicle_ids: list[int]
    fields: list[str]
    tz: ZoneInfo
    distance: str
    speed: str
    head: int | None
    tail: int | None
    types: frozenset[int] | None = None
    labels: frozenset[str] | None = None
    volume: str = "liter"
    time: str = "second"


def parse_query(
    params: Mapping[str, str],
    headers: Mapping[str, str],
    now: float,
    *,
    prefs: Mapping[str, Any] | None = None,
) -> RawdataQuery:
    """Check the parameters of a rawdata request; ApiError 400 names the bad one.

    prefs: the user's saved preferences, which `distance=user` (and speed,
    volume) follow; the demo user's when None.
    """
    saved = USER_PREFS if prefs is None else prefs
    for name in UNSUPPORTED:
        if params.get(name):
            raise ApiError(400, f"{name}: not supported by the sandbox gateway")
    if params.get("export", "json") != "json":
        raise ApiError(400, "export: the sandbox gateway answers json only")
    tz = _time_zone(params.get("tz") or headers.get("x-time-zone") or "UTC")
    start, end = _time_range(params, tz, now)

    requested = _id_list(params, "vehicles")
    for group_id in _id_list(params, "groups"):
        requested.extend(group_vehicle_ids(group_id))
    if "vehicles" not in params and "groups" not in params:
        requested = list(VEHICLES)
    vehicle_ids = sorted(set(requested))
    if len(vehicle_ids) > MAX_VEHICLES:
        raise ApiError(
            400,
            f"vehicles: this request covers {len(vehicle_ids)} vehicles; at most "
            f"{MAX_VEHICLES} are allowed per rawdata request, so split it",
        )

    return RawdataQuery(
        start=start,
        end=end,
        vehicle_ids=vehicle_ids,
        fields=_fields(params.get("fields")),
        tz=tz,
        distance=_unit(params, "distance", tuple(DISTANCE_DIVISORS), saved),
        speed=_unit(params, "speed", SPEED_UNITS, saved),
        head=_count(params, "head"),
        tail=_count(params, "tail"),
        types=frozenset(_id_list(params, "types")) if params.get("types") else None,
        labels=_labels(params.get("labels")),
        volume=_unit(params, "volume", VOLUME_UNITS, saved),
        time=_unit(params, "time", TIME_UNITS, saved),
    )


def answer(query: RawdataQuery, tracks: FleetTracks) -> bytes:
    """The JSON body for a query: units and events sorted by vehicle and time."""
    picked: list[tuple[Vehicle, Event]] = []
    first_day = tracks.local_day(query.start)
    last_day = tracks.local_day(query.end)
    for vid in query.vehicle_ids:
        vehicle = VEHICLES.get(vid)
        if vehicle is None:
            continue  # unknown vehicles are simply absent, as on a gateway
        day = first_day
        while day <= last_day:
            for event in tracks.day(vehicle, day):
                if query.start <= event.epoch <= query.end and _wanted(query, event):
                    picked.append((vehicle, event))
            day += timedelta(days=1)

    picked = _head_tail(picked, query.head, query.tail)
    divisor = DISTANCE_DIVISORS[query.distance]
    events = [_render(v, e, query, divisor) for v, e in picked]
    units = {
        "distance": query.distance,
        "speed": query.speed,
        "time": query.time,
        "volume": query.volume,
    }
    body = {"units": units, "events": events}
    return json.dumps(body, separators=(",", ":")).encode()


def _wanted(query: RawdataQuery, event: Event) -> bool:
    if query.types is not None and event.type not in query.types:
        return False
    return query.labels is None or event.label in query.labels


def _render(
    vehicle: Vehicle, event: Event, query: RawdataQuery, divisor: float
) -> dict[str, Any]:
    tz = query.tz
    event_time = datetime.fromtimestamp(event.epoch, tz).replace(tzinfo=None)
    system_time = datetime.fromtimestamp(event.system_epoch, tz).replace(tzinfo=None)
    mph = round(event.kph / KM_PER_MILE, 2)
    full: dict[str, Any] = {
        "event_time": event_time.isoformat(timespec="seconds"),
        "system_time": system_time.isoformat(timespec="microseconds"),
        "id": vehicle.id * 10_000_000_000 + event.epoch,
        "vid": vehicle.id,
        "device_id": vehicle.imei,
        "type": event.type,
        "code": CODES[event.label],
        "label": event.label,
        "lat": event.lat,
        "lon": event.lon,
        "head": event.head,
        "kph": event.kph,
        "mph": mph,
        "speed": mph if query.speed == "mph" else event.kph,
        "io_ign": event.ign,
        "io_pwr": True,
        "moving": event.type == GPS_EVENT and event.kph > 3,
        "valid_position": event.valid,
        "sv": event.sv,
        "hdop": event.hdop,
        "dev_dist": (
            round(event.odometer)
            if divisor == 1.0
            else round(event.odometer / divisor, 3)
        ),
    }
    return {name: full[name] for name in query.fields if name in full}


def _head_tail(
    rows: list[tuple[Vehicle, Event]], head: int | None, tail: int | None
) -> list[tuple[Vehicle, Event]]:
    """First or last N rows; a negative N drops that many from the other end."""
    if head is not None:
        rows = rows[:head]
    if tail is not None:
        rows = [] if tail == 0 else rows[-tail:]
    return rows


def _time_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        # OSError: a name too long to be a file name is no zone either.
        raise ApiError(
            400,
            f"tz: {name[:100]!r} is not a known IANA time zone (e.g. America/New_York)",
        ) from exc


def _time_range(
    params: Mapping[str, str], tz: ZoneInfo, now: float
) -> tuple[float, float]:
    end = _instant(params, "to", tz) if params.get("to") else now
    if params.get("from") and params.get("duration"):
        raise ApiError(400, "from: give either from or duration, not both")
    if params.get("from"):
        start = _instant(params, "from", tz)
    elif params.get("duration"):
        start = end - _duration_seconds(params["duration"])
    else:
        raise ApiError(
            400, "from: a start is required (from=YYYY-MM-DD, or duration=P1D)"
        )

    if start > end:
        raise ApiError(400, "from: the start is after the end (to)")
    days = (end - start) / 86_400
    if days > MAX_RANGE_DAYS:
        raise ApiError(
            400,
            f"from: the range spans {days:.1f} days; ask for at most "
            f"{MAX_RANGE_DAYS} days per rawdata request",
        )
    # Devices have not sent the future yet, nor anything before 1970.
    return max(start, 0.0), min(end, now)


def _instant(params: Mapping[str, str], name: str, tz: ZoneInfo) -> float:
    text = params[name].strip()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ApiError(
            400,
            f"{name}: {text[:100]!r} is not a date; use YYYY-MM-DD or "
            "YYYY-MM-DDThh:mm:ss",
        ) from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)

    try:
        seconds = moment.timestamp()
    except (ValueError, OverflowError, OSError) as exc:
        # Year 1 in Tokyo is before year 1 in UTC: no such moment.
        raise ApiError(400, f"{name}: {text!r} is out of range in {tz.key}") from exc
    if not EARLIEST <= seconds <= LATEST:
        raise ApiError(
            400,
            f"{name}: {text!r} is out of range; give a time from "
            "1970-01-02 to 9999-12-30",
        )
    return seconds


def _duration_seconds(text: str) -> float:
    match = _DURATION_RE.fullmatch(text.strip())
    if match is None or not any(match.groupdict().values()):
        raise ApiError(
            400, f"duration: {text!r} is not an ISO 8601 duration such as P1D or PT4H"
        )
    parts = {key: float(value) for key, value in match.groupdict().items() if value}
    days = (
        parts.get("years", 0) * 365
        + parts.get("months", 0) * 30
        + parts.get("weeks", 0) * 7
        + parts.get("days", 0)
    )
    return (
        days * 86_400
        + parts.get("hours", 0) * 3_600
        + parts.get("minutes", 0) * 60
        + parts.get("seconds", 0)
    )


def _id_list(params: Mapping[str, str], name: str) -> list[int]:
    text = params.get(name, "").strip().strip("[]")
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError as exc:
        raise ApiError(
            400, f"{name}: {params[name]!r} is not a comma-separated list of ids"
        ) from exc


def _fields(text: str | None) -> list[str]:
    if not text:
        return list(DEFAULT_FIELDS)
    if text.lstrip().startswith("["):
        listed = json_parameter("fields", text)
        if not isinstance(listed, list) or not all(
            isinstance(name, str) for name in listed
        ):
            raise ApiError(400, f"fields: {text[:100]!r} is not a JSON list of names")
        names = listed
    else:
        names = [name.strip() for name in text.split(",") if name.strip()]

    wanted = list(ALWAYS_FIELDS)
    for name in names:
        for field in FIELD_SETS.get(name, (name,)):
            if field not in wanted:
                wanted.append(field)
    return wanted


def _labels(text: str | None) -> frozenset[str] | None:
    if not text:
        return None
    return frozenset(label.strip() for label in text.split(",") if label.strip())


def _unit(
    params: Mapping[str, str],
    name: str,
    allowed: tuple[str, ...],
    saved: Mapping[str, Any],
) -> str:
    value = params.get(name) or allowed[0]
    # `user` means the user's saved preferences; speed follows distance.
    distance = saved.get("distanceunits", USER_PREFS["distanceunits"])
    preferred = {
        "distance": distance,
        "speed": "mph" if distance == "mile" else "kph",
        "volume": saved.get("fuelunits", USER_PREFS["fuelunits"]),
    }.get(name)
    if value == "user" and preferred:
        value = preferred
    if value not in allowed:
        choices = ", ".join(allowed) + (" or user" if preferred else "")
        raise ApiError(400, f"{name}: {value!r} is not one of {choices}")
    return value


def _count(params: Mapping[str, str], name: str) -> int | None:
    text = params.get(name)
    if text is None or text == "":
        return None
    try:
        return int(text)
    except ValueError as exc:
        raise ApiError(400, f"{name}: {text!r} is not a whole number") from exc
