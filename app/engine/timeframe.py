"""Wall times in a report's time zone, and the report period.

Gateways send and expect times as ISO strings with no offset, read in the
report's time zone. Inside the engine every moment is an aware UTC datetime,
so that durations stay right across daylight-saving changes; wall times are
made again only when a row is written.
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
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"{tz_name!r} is not a known time zone") from exc
        self.name = tz_name

    def parse(self, value: object) -> dt.datetime:
        """A wall-time string (or an epoch number) as an aware UTC datetime.

        Raises ValueError for text that is not an ISO time, TypeError for
        anything else.
        """
        if isinstance(value, int | float) and not isinstance(value, bool):
            seconds = value / 1000 if value > _EPOCH_MS_ABOVE else value
            return dt.datetime.fromtimestamp(seconds, UTC)
        if not isinstance(value, str):
            raise TypeError(f"not a time: {value!r}")

        moment = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=self.zone)
        return moment.astimezone(UTC)

    def wall(self, moment: dt.datetime) -> str:
        """The moment as a naive ISO wall time in this zone, to the second."""
        local = moment.astimezone(self.zone).replace(tzinfo=None)
        return local.isoformat(timespec="seconds")

    def period(self, start: object, end: object) -> "Period":
        """The period [start, end) from two wall times."""
        return Period(self.parse(start), self.parse(end), self)


@dataclass(frozen=True)
class Period:
    """A half-open span of time [start, end), with the clock that shows it."""

    start: dt.datetime
    end: dt.datetime
    clock: ReportClock

    def __contains__(self, moment: dt.datetime) -> bool:
        return self.start <= moment < self.end


def parse_duration(text: str) -> dt.timedelta:
    """An ISO-8601 duration of days, hours, minutes and seconds (PT6H, P1D)."""
    match = _DURATION.match(text)
    if not match or text in ("P", "PT"):
        raise ValueError(f"{text!r} is not a duration such as PT6H or P1D")
    parts = {name: int(value or 0) for name, value in match.groupdict().items()}
    return dt.timedelta(**parts)


def seconds_between(start: dt.datetime, end: dt.datetime) -> float:
    return (end - start).total_seconds()
