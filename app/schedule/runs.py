"""When a schedule runs: its fire times in a time zone, across daylight saving.

croniter is asked for wall-clock times only (naive datetimes); turning a
wall-clock time into a moment is done here, by these rules:

- A schedule at set hours runs once per wall-clock time. On the autumn
  night when an hour happens twice it runs at the first of the two; a time
  in the spring gap (02:30 when clocks go from 02:00 to 03:00) runs at the
  first minute after the gap, and once, however many of its times fall in
  the gap.
- A schedule that runs in every hour (hour field `*`) follows real time:
  it runs in both copies of the repeated hour, and its times in the
  skipped hour are skipped, as the hours around them have runs anyway.

croniter's own handling of aware datetimes gives neither: `30 2 * * *` in
Europe/Amsterdam lists 2024-10-27 02:30 twice. Moments are compared in
UTC: Python compares two datetimes of one zone by their wall-clock time,
so the two 02:30s of that night would be equal.

The runs end with the calendar: no moment after 9999-12-31 is listed
(nor one before year 1 that a zone's offset would need), so a list
asked for near the end is shorter rather than an error.
"""

import datetime as dt
import functools
import heapq
import logging
import zoneinfo
from collections.abc import Iterator

from croniter import croniter

from app.errors import UsageError
from app.schedule.expression import CronExpression

log = logging.getLogger(__name__)

UTC = dt.UTC
ONE_MINUTE = dt.timedelta(minutes=1)
# The search for the latest run before a moment starts this far back and
# widens by WIDER each time nothing is found.
FIRST_LOOK_BACK = dt.timedelta(hours=1)
WIDER = 16
# Names zoneinfo finds that are no place's zone: the computer's own
# setting (which differs between computers) and placeholders.
NOT_ZONES = frozenset({"localtime", "posixrules", "Factory"})


def zone_named(name: str) -> zoneinfo.ZoneInfo:
    """The IANA time zone of that name; UsageError if there is none."""
    problem = f"{name!r} is not a time zone; give an IANA name like Europe/Amsterdam"
    if name in NOT_ZONES or name not in _known_zones():
        raise UsageError(problem)
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise UsageError(problem) from exc


@functools.cache
def _known_zones() -> frozenset[str]:
    # Read once: listing them walks the zone files.
    return frozenset(zoneinfo.available_timezones())


def fire_times(
    expression: CronExpression, zone: zoneinfo.ZoneInfo, after: dt.datetime
) -> Iterator[dt.datetime]:
    """The moments the schedule fires strictly after `after`, in order.

    Ends at the end of the calendar (9999-12-31); each moment is aware, in
    zone. `after` must be aware; UsageError when it or its time in zone
    lies outside the calendar (0001-01-01T00:00+14:00 is in year 0 in UTC).
    """
    if after.tzinfo is None:
        raise ValueError("after must be an aware datetime")
    try:
        after_utc = after.astimezone(UTC)
        local = after_utc.astimezone(zone)
        wall = local.replace(tzinfo=None, fold=0)
        early, late = _both_copies(wall, zone)
    except OverflowError as exc:
        raise UsageError(
            f"{after.isoformat()} in {zone.key} lies outside the calendar "
            "(years 1 to 9999); give a later or earlier time"
        ) from exc
    every_hour = expression.every_hour

    # In the first copy of a repeated hour, wall times a little before
    # `after` still have a second copy to come.
    if early < late and local.fold == 0:
        wall -= late - early

    walls = croniter(
        expression.fields, wall - ONE_MINUTE if wall > dt.datetime.min else wall
    )
    pending: list[dt.datetime] = []
    last: dt.datetime | None = None
    while True:
        try:
            first, second = _moments(walls.get_next(dt.datetime), zone, every_hour)
        except (OverflowError, ValueError):
            # croniter and the offsets reach past 9999-12-31: no more runs.
            # (A wall time before year 1 in UTC cannot come after `after`.)
            break
        for moment in (first, second):
            if moment is not None and moment > after_utc:
                heapq.heappush(pending, moment)
        if first is None:
            continue

        # Later wall times give moments from `first` on: what came before
        # it is final.
        while pending and pending[0] <= first:
            moment = heapq.heappop(pending)
            if moment != last:
                last = moment
                yield moment.astimezone(zone)

    for moment in sorted(set(pending)):
        if moment != last:
            yield moment.astimezone(zone)
    log.debug("the runs of %r end with the calendar", expression.text)


def next_runs(
    expression: CronExpression,
    zone: zoneinfo.ZoneInfo,
    after: dt.datetime,
    count: int,
) -> list[dt.datetime]:
    """The first count moments the schedule fires after `after`."""
    runs: list[dt.datetime] = []
    for moment in fire_times(expression, zone, after):
        if len(runs) == count:
            break
        runs.append(moment)
    return runs


def last_run(
    expression: CronExpression,
    zone: zoneinfo.ZoneInfo,
    after: dt.datetime,
    until: dt.datetime,
) -> dt.datetime | None:
    """The latest moment the schedule fires in (after, until], if any."""
    window = FIRST_LOOK_BACK
    while True:
        start = after if until - after <= window else until - window
        latest = None
        for moment in fire_times(expression, zone, start):
            if moment > until:
                break
            latest = moment
        if latest is not None or start == after:
            return latest
        window *= WIDER


def _both_copies(
    wall: dt.datetime, zone: zoneinfo.ZoneInfo
) -> tuple[dt.datetime, dt.datetime]:
    """The wall time read with the offset before and after a change, in UTC.

    Equal when no change is near; early < late when the time happens twice
    (autumn); early > late when it never happens (spring gap).
    """
    early = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    late = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    return early, late


def _moments(
    wall: dt.datetime, zone: zoneinfo.ZoneInfo, every_hour: bool
) -> tuple[dt.datetime | None, dt.datetime | None]:
    """The moments (UTC) a matching wall time fires: the first, and a second.

    The first is None when the time is skipped; the second is the other
    copy of a repeated time, for schedules that follow real time.
    """
    early, late = _both_copies(wall, zone)
    if early == late:
        return early, None
    if early < late:
        return early, (late if every_hour else None)
    if every_hour:
        return None, None
    return _end_of_gap(late, early, zone), None


def _end_of_gap(
    before: dt.datetime, after: dt.datetime, zone: zoneinfo.ZoneInfo
) -> dt.datetime:
    """The first whole minute on the clock after a spring gap, in UTC.

    before and after are moments on either side of the change of offset.
    """
    # Offsets change on a whole second: search the seconds in between.
    low, high = int(before.timestamp()), int(after.timestamp())
    offset_after = after.astimezone(zone).utcoffset()
    while high - low > 1:
        middle = (low + high) // 2
        moment = dt.datetime.fromtimestamp(middle, zone)
        if moment.utcoffset() == offset_after:
            high = middle
        else:
            low = middle

    # Offsets of whole minutes put the change on a whole minute already;
    # old local mean times (+00:19:32) do not.
    local = dt.datetime.fromtimestamp(high, zone)
    if local.second:
        local = local.replace(second=0) + ONE_MINUTE
    return local.astimezone(UTC)
