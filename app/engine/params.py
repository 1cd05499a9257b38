"""A job's parameters, checked against its script's schema and read.

Checking comes first, before any other work: a job with a bad parameter
ends in error naming the field. Then the values the reports need are read
once, with the manifest's defaults, into a ReportSettings.
"""

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from app.engine.timeframe import Period, ReportClock, parse_duration
from app.engine.units import Units
from app.errors import UsageError
from app.manifest import Script
from app.validation import field_errors, summary

log = logging.getLogger(__name__)

DEFAULT_TZ = "UTC"
LARGEST_ID = 2**63 - 1  # what a gateway's database can hold
DEFAULT_FORMATS = ("json", "csv")
MAX_PERIOD = dt.timedelta(days=366)


@dataclass(frozen=True)
class ReportSettings:
    """What a report needs to know from its job, read and typed."""

    clock: ReportClock
    period: Period | None = None
    units: Units = field(default_factory=Units)
    vehicle_ids: tuple[int, ...] = ()
    group_ids: tuple[int, ...] = ()
    formats: tuple[str, ...] = DEFAULT_FORMATS
    min_idle: int = 5
    min_distance: float = 0.0
    stale_after: dt.timedelta = dt.timedelta(days=1)
    now: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))


def read_settings(
    script: Script,
    parameters: dict[str, Any],
    config_tz: Any = None,
    now: dt.datetime | None = None,
) -> ReportSettings:
    """The settings of a job; UsageError naming the field when one is bad."""
    errors = field_errors(script.schema, parameters)
    if errors:
        raise UsageError(summary(errors))

    values = {**_defaults(script.schema), **parameters}
    clock = _clock(parameters.get("tz"), config_tz)
    now = now or dt.datetime.now(dt.UTC)
    period = None
    if "from" in values and "to" in values:
        period = _period(clock, values["from"], values["to"], now)

    return ReportSettings(
        clock=clock,
        period=period,
        # TODO(engine): files are always in English (the manifest offers no
        # language and a gateway's prefs.language is ignored), so a
        # Spanish-speaking user gets English column names and statuses.
        units=Units.from_prefs(values.get("prefs")),
        vehicle_ids=read_ids("vehicles", values.get("vehicles")),
        group_ids=read_ids("groups", values.get("groups")),
        formats=tuple(values.get("formats") or DEFAULT_FORMATS),
        min_idle=int(values.get("min_idle", 5)),
        min_distance=float(values.get("min_distance", 0.0)),
        stale_after=_stale_after(values.get("stale_after", "P1D")),
        now=now,
    )


def read_ids(name: str, value: Any) -> tuple[int, ...]:
    """The ids of a list parameter; UsageError naming it for a bad one.

    JSON Schema counts 2.0 as an integer, so a whole float is an id too.
    """
    if value is None:
        return ()
    if not isinstance(value, list):
        raise UsageError(f"parameter '{name}' must be a list of ids")

    ids = []
    for index, item in enumerate(value):
        whole = int(item) if isinstance(item, float) and item.is_integer() else item
        if (
            isinstance(whole, bool)
            or not isinstance(whole, int)
            or not -LARGEST_ID <= whole <= LARGEST_ID
        ):
            raise UsageError(
                f"parameter '{name}/{index}' must be a whole number "
                f"(an id), not {item!r}"
            )
        ids.append(whole)
    return tuple(ids)


def _stale_after(value: Any) -> dt.timedelta:
    try:
        return parse_duration(str(value))
    except (ValueError, OverflowError) as exc:
        raise UsageError(
            f"parameter 'stale_after' must be a duration such as PT6H or P1D, "
            f"not {str(value)[:50]!r}"
        ) from exc


def _period(clock: ReportClock, start: Any, end: Any, now: dt.datetime) -> Period:
    """The report period; UsageError when it cannot be read or holds no time."""
    try:
        period = clock.period(start, end, now)
    except (ValueError, TypeError, OverflowError) as exc:
        raise UsageError(
            f"the period from {start} to {end} cannot be read in {clock.name}: {exc}"
        ) from exc

    # Wall times in order can still be out of order as moments: 02:30 on a
    # spring-forward day does not exist, and offsets may differ.
    if period.is_empty:
        raise UsageError(
            f"the period is empty: from {start} is not before to {end} ({clock.name})"
        )
    # A period that has not begun has no events yet: its rows would be all
    # zeros, which reads as an idle fleet rather than as a wrong period.
    if period.start >= now:
        raise UsageError(
            f"the period starts at {start} ({clock.name}), after the report was "
            "started: nothing has happened in it yet"
        )
    # Each vehicle costs one raw-data request per month of the period.
    if period.end - period.start > MAX_PERIOD:
        raise UsageError(
            f"the period from {start} to {end} is longer than "
            f"{MAX_PERIOD.days} days; run the report on shorter periods"
        )
    return period


def _defaults(schema: dict[str, Any]) -> dict[str, Any]:
    """The `default` of each top-level property that has one."""
    properties = schema.get("properties", {})
    return {
        name: prop["default"]
        for name, prop in properties.items()
        if isinstance(prop, dict) and "default" in prop
    }


def _clock(parameter_tz: Any, config_tz: Any) -> ReportClock:
    """The report's clock: the parameters' tz, else the job's, else UTC."""
    if parameter_tz:
        source, name = "parameter 'tz'", parameter_tz
    elif config_tz:
        source, name = "the job's configuration tz", config_tz
    else:
        source, name = "", DEFAULT_TZ

    try:
        return ReportClock(str(name))
    except ValueError as exc:
        shown = str(name)[:100]
        raise UsageError(f"{source} must be a known time zone, not {shown!r}") from exc
