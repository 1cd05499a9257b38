"""The engine's reports, each bound to its script name.

A Report says which rawdata fields it reads, how to ask for them for one
vehicle, how to turn one vehicle's events into rows, and what headline
numbers to give. The computations themselves are pure functions in the
modules beside this one, each defined exactly in its docstring.
"""

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from app.engine.params import ReportSettings
from app.engine.reports import fleet_status, idling, trips
from app.engine.reports.timeline import Event, Row, Vehicle
from app.engine.timeframe import utc_wall

RowsOf = Callable[[Vehicle, Sequence[Event], ReportSettings], list[Row]]
RAWDATA_WINDOW = dt.timedelta(days=31)
SummaryOf = Callable[[list[Row], int, ReportSettings], dict[str, Any]]


@dataclass(frozen=True)
class Report:
    """One report: its columns, its rawdata fields and its computation."""

    script: str
    columns: tuple[str, ...]
    fields: tuple[str, ...]
    rows: RowsOf
    summary: SummaryOf
    time_columns: tuple[str, ...] = ()  # wall times, as date-times in xlsx

    def rawdata_queries(
        self, vehicle: Vehicle, settings: ReportSettings
    ) -> list[dict[str, str]]:
        """The /api/rawdata queries for one vehicle (distances in meters).

        Times are asked for in UTC, where none is ambiguous, and only up to
        the moment the job started. A long period is asked for in windows
        of at most RAWDATA_WINDOW, since gateways refuse a range much over
        a month in one request.
        """
        query = {
            "vehicles": str(vehicle.id),
            "fields": ",".join(self.fields),
            "tz": "UTC",
            "distance": "meter",
        }
        period = settings.period
        if period is None:
            return [{**query, "duration": fleet_status.LOOK_BACK_ISO, "tail": "1"}]

        queries = []
        start, last = period.start, period.known_until
        while start < last:
            end = min(start + RAWDATA_WINDOW, last)
            queries.append({**query, "from": utc_wall(start), "to": utc_wall(end)})
            start = end
        return queries


def _idling_rows(
    vehicle: Vehicle, events: Sequence[Event], s: ReportSettings
) -> list[Row]:
    assert s.period is not None, "idling always has a period"
    return [idling.idling_row(vehicle, events, s.period, s.min_idle)]


def _trip_rows(
    vehicle: Vehicle, events: Sequence[Event], s: ReportSettings
) -> list[Row]:
    assert s.period is not None, "trips always have a period"
    return trips.trip_rows(vehicle, events, s.period, s.units, s.min_distance)


def _status_rows(
    vehicle: Vehicle, events: Sequence[Event], s: ReportSettings
) -> list[Row]:
    return [
        fleet_status.status_row(vehicle, events, s.clock, s.units, s.now, s.stale_after)
    ]


REPORTS: dict[str, Report] = {
    "idling": Report(
        script="idling",
        columns=idling.COLUMNS,
        fields=idling.FIELDS,
        rows=_idling_rows,
        summary=lambda rows, count, s: idling.summarize(rows),
        time_columns=("from", "to"),
    ),
    "trips": Report(
        script="trips",
        columns=trips.COLUMNS,
        fields=trips.FIELDS,
        rows=_trip_rows,
        summary=lambda rows, count, s: trips.summarize(rows, count, s.units),
        time_columns=("start", "end"),
    ),
    "fleet_status": Report(
        script="fleet_status",
        columns=fleet_status.COLUMNS,
        fields=fleet_status.FIELDS,
        rows=_status_rows,
        summary=lambda rows, count, s: fleet_status.summarize(rows),
        time_columns=("last_seen",),
    ),
}
