"""Wall times in a report's time zone, and the report period.

Gateways send and expect times as ISO strings with no offset. A job's
`from` and `to` are wall times in the report's time zone; raw data is asked
for and read in UTC, where no wall time is ambiguous (at the autumn change
01:30 happens twice in New York, once in UTC). Inside the engine every
moment is an aware UTC datetime, so that durations stay right across
daylight-saving changes; wall times in the report's zone are made again
only when a row is written.
"""

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

UTC = dt.UTC
# Epoch numbers above this are milliseconds (some resampled rawdata answers).
_EPOCH_MS_ABOVE = 100_000_000_000
_DURATION = re.compile(
    r"^P(?:(?P<days>\d+)D)?(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?"
    r"(?:(?P<seconds>\d+)S)?)?$"
)


class ReportClock:
    """Reads and writes wall times in one time zone."""

    def __init__(self, tz_name: str) -> None:
        try:
            self.zone = ZoneInfo(tz_name)
        except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
            # OSError: a name too long to be a file name is no zone either.
            raise ValueError(f"{tz_name[:100]!r} is not a known time zone") from exc
        self.name = tz_name

    def parse(self, value: object) -> dt.datetime:
        """A wall-time string (or an epoch number) as an aware UTC datetime.

        A wall time the zone skips (02:30 on a spring-forward day) or passes
        twice (01:30 on a fall-back day) is read with the offset in force
        before the change. Raises ValueError for text that is not an ISO
        time, OverflowError for one out of range, TypeError for anything
        else.
        """
        return _instant(value, self.zone)

    def wall(self, moment: dt.datetime) -> str:
        """The moment as a naive ISO wall time in this zone, to the second."""
        local = moment.astimezone(self.zone).replace(tzinfo=None)
        return local.isoformat(timespec="seconds")

    def period(
        self, start: object, end: object, now: dt.datetime | None = None
    ) -> "Period":
        """The period [start, end) from two wall times, as known at `now`."""
        return Period(self.parse(start), self.parse(end), self, now)


@dataclass(frozen=True)
class Period:
    """A half-open span of time [start, end), with the clock that shows it.

    `now` is the moment the job started: what comes after it has not
    happened yet, so no state is carried past it (see known_until).
    """

    start: dt.datetime
    end: dt.datetime
    clock: ReportClock
    now: dt.datetime | None = None

    def __contains__(self, moment: dt.datetime) -> bool:
        return self.start <= moment < self.end

    @property
    def is_empty(self) -> bool:
        return self.start >= self.end

    @property
    def known_until(self) -> dt.datetime:
        """Where the last event's state stops: `to`, or `now` if earlier."""
        if self.now is None or self.end <= self.now:
            return self.end
        return self.now


def event_instant(value: object) -> dt.datetime:
    """An event_time from raw data asked for in UTC, as an aware datetime.

    A time with no offset is UTC (the engine asks with tz=UTC); one with an
    offset is the moment it names; a number is epoch seconds (or
    milliseconds). Raises as ReportClock.parse does.
    """
    return _instant(value, UTC)


def utc_wall(moment: dt.datetime) -> str:
    """The moment as a naive ISO wall time in UTC, to the second."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds")


def parse_duration(text: str) -> dt.timedelta:
    """An ISO-8601 duration of days, hours, minutes and seconds (PT6H, P1D)."""
    match = _DURATION.match(text)
    if not match or text in ("P", "PT"):
        raise ValueError(f"{text!r} is not a duration such as PT6H or P1D")
    parts = {name: int(value or 0) for name, value in match.groupdict().items()}
    return dt.timedelta(**parts)


def seconds_between(start: dt.datetime, end: dt.datetime) -> float:
    return (end - start).total_seconds()


def _instant(value: object, zone: dt.tzinfo) -> dt.datetime:
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = value / 1000 if value > _EPOCH_MS_ABOVE else value
        return dt.datetime.fromtimestamp(seconds, UTC)
    if not isinstance(value, str):
        raise TypeError(f"not a time: {value!r}")

    moment = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC)
