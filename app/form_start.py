"""The values a new report form starts with, and the quick periods.

Kept apart from app/forms.py (which says which field each property
becomes) and re-exported by it: the starting values of a form (schema
defaults, the user's zone and preferences for `$tz` and `$prefs`), and the
quick periods (Today, Last 7 days, ...) for `$from`/`$to`, computed as wall
times in the report's time zone.
"""

import datetime as dt
import logging
import zoneinfo
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from app.form_arrays import item_at, min_items, starting_items
from app.form_conditions import shown_schema
from app.user_prefs import pref_choice

if TYPE_CHECKING:
    from app.forms import FieldSpec

log = logging.getLogger(__name__)

JsonObject = dict[str, Any]
# Rounds of defaults that bring conditions that bring more defaults.
START_ROUNDS = 4
# Editors that the rows of all the lists of a new form hold together (a row
# of a group of three fields holds four). Each takes a millisecond or more
# to build: a minItems of a billion, or lists of lists each asking for
# hundreds, would otherwise build millions. A list left shorter says at its
# field that it needs more items.
MAX_START_EDITORS = 200
# TODO(forms): a required list that asks for more rows than this starts
# short, and the user adds the rest one click at a time.
# In `$prefs`, the speed unit that goes with each distance unit, as the
# command line chooses it when only the distance is known.
SPEED_FOR_DISTANCE = {"km": "kph", "mile": "mph"}


@dataclass
class FormContext:
    """What a form needs to know about the user: zone, preferences, today."""

    tz: str = "UTC"
    prefs: JsonObject = field(default_factory=dict)
    # A fixed "today" in tz, for tests; None means the real date.
    today: dt.date | None = None
    # A fixed moment (with an offset) whose date in the report's zone is
    # today, for tests of zones; None means now.
    now: dt.datetime | None = None


@dataclass(frozen=True)
class FormState:
    """What a filled-in form holds, to show it again later.

    values: the payload as the form gave it; period: the quick choice of
    the period (a key of PERIODS), or None when the form has none.
    """

    values: JsonObject
    period: str | None = None


@dataclass
class _Start:
    """What building one form's starting values shares: the user's context
    and how many more editors list rows may hold (MAX_START_EDITORS)."""

    context: FormContext | None
    editors_left: int = MAX_START_EDITORS


def initial_values(
    specs: list["FieldSpec"], context: FormContext | None = None
) -> JsonObject:
    """The values a new form starts with.

    Schema defaults first; the user's zone for `$tz` and the user's
    preferences for the fields of `$prefs` win over them when a context is
    given. `$from`/`$to` are left out: the form's period choice fills them.
    """
    return _values(specs, _Start(context))


def _values(specs: list["FieldSpec"], start: _Start) -> JsonObject:
    values: JsonObject = {}
    for spec in specs:
        value = _initial_value(spec, start)
        if value is not None or (
            spec.kind in (forms.NULL, forms.NULLABLE) and spec.has_default
        ):
            values[spec.name] = value
    return values


def _initial_value(spec: "FieldSpec", start: _Start) -> Any:
    context = start.context
    if spec.kind == forms.OBJECT and not (
        spec.required or spec.peg_type == forms.PREFS_PEG_TYPE
    ):
        # An optional group shows its defaults but is left out until used.
        return spec.default if isinstance(spec.default, dict) else None
    if spec.kind == forms.OBJECT:
        children = _starting_children(spec, start)
        if spec.peg_type == forms.PREFS_PEG_TYPE and context is not None:
            children.update(_prefs_from(spec, context.prefs))
        return children or None
    if spec.kind == forms.ARRAY and not spec.has_default:
        return _starting_rows(spec, start)
    if spec.kind == forms.ARRAY:
        return _filled_in(spec, spec.default, start)

    if spec.peg_type in forms.PERIOD_PEG_TYPES and not spec.has_default:
        return None
    if spec.peg_type == forms.TZ_PEG_TYPE and context is not None:
        # A list, not a set: a broken schema may offer unhashable choices.
        allowed = [value for value, _ in spec.choices]
        if context.tz in allowed:
            return context.tz
        log.info("the user's zone %r is not offered by %s", context.tz, spec.path)
    return spec.default if spec.has_default else None


def _starting_rows(spec: "FieldSpec", start: _Start) -> list[Any] | None:
    """A list's starting rows, within what is left of the form's editors."""
    if not spec.required or spec.item is None:
        # An optional list starts left out (starting_items): no rows to count.
        return starting_items(spec, lambda item: _initial_value(item, start))
    size = _editors_in(spec.item)
    most = max(start.editors_left, 0) // size
    wanted = min_items(spec.schema)
    if wanted > most:
        log.info(
            "%s starts with %d of its %d rows: a new form's lists hold at most "
            "%d editors",
            spec.path,
            most,
            wanted,
            MAX_START_EDITORS,
        )
    start.editors_left -= min(wanted, most) * size
    return starting_items(spec, lambda item: _initial_value(item, start), most)


def _editors_in(spec: "FieldSpec") -> int:
    """The editors a row for spec holds, its lists' own rows left out."""
    return 1 + sum(_editors_in(child) for child in spec.children)


def _starting_children(spec: "FieldSpec", start: _Start) -> JsonObject:
    """The starting values of a group's fields. With variants or conditions,
    those of the fields shown once these values are in: the first variant's
    defaults are the group's, not "Not set"."""
    # Each round starts over, so each may use what the first one had.
    editors_left = start.editors_left
    values = _values(spec.children, start)
    for _ in range(START_ROUNDS):
        shown = shown_schema(spec.schema, values)
        if shown is None:
            break
        start.editors_left = editors_left
        more = _values(forms.form_fields(shown, prefix=f"{spec.path}/"), start)
        if more == values:
            break
        values = more
    return values


def _filled_in(spec: "FieldSpec", value: Any, start: _Start) -> Any:
    """value with the starting values of the group fields it leaves out.

    For a list's default: its items get their fields' defaults, as an item
    added by the user does. Only a new form's values are filled in, never
    values given to the form, which come back exactly as given.
    """
    if spec.kind == forms.ARRAY and spec.item is not None and isinstance(value, list):
        return [_filled_in(item_at(spec, i), v, start) for i, v in enumerate(value)]
    if spec.kind != forms.OBJECT or not isinstance(value, dict):
        return value
    shown = shown_schema(spec.schema, value)
    prefix = f"{spec.path}/"
    fields = spec.children if shown is None else forms.form_fields(shown, prefix=prefix)
    missing = [child for child in fields if child.name not in value]
    filled = {
        child.name: _filled_in(child, value[child.name], start)
        for child in fields
        if child.name in value
    }
    return {**_values(missing, start), **value, **filled}


def _prefs_from(spec: "FieldSpec", prefs: JsonObject) -> JsonObject:
    """The user's preferences that the `$prefs` fields accept."""
    chosen: JsonObject = {}
    for child in spec.children:
        allowed = [value for value, _ in child.choices]
        value = pref_choice(child.name, prefs.get(child.name), allowed)
        if value is not None:
            chosen[child.name] = value
    return chosen


def speed_for_distance(distance: Any) -> str | None:
    """The speed unit that matches a distance unit ("mile" -> "mph"), if any."""
    return SPEED_FOR_DISTANCE.get(distance) if isinstance(distance, str) else None


# --- Periods for $from/$to ---------------------------------------------------

CUSTOM_PERIOD = "custom"
PERIODS: tuple[tuple[str, str], ...] = (
    ("today", "Today"),
    ("yesterday", "Yesterday"),
    ("last_7_days", "Last 7 days"),
    ("this_month", "This month"),
    ("last_month", "Last month"),
    (CUSTOM_PERIOD, "Custom"),
)
# A week is what most fleet reports are read over: every weekday appears
# once, and it is short enough to run quickly on a large fleet. It ends
# today so the newest trips are in it.
DEFAULT_PERIOD = "last_7_days"


def today_in(tz: str, context: FormContext | None = None) -> dt.date:
    """The date now in zone tz (or the context's fixed date, in tests)."""
    if context is not None and context.today is not None:
        return context.today
    try:
        zone = zoneinfo.ZoneInfo(tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        log.warning("unknown time zone %r; periods are computed in UTC", tz)
        zone = zoneinfo.ZoneInfo("UTC")
    if context is not None and context.now is not None:
        return context.now.astimezone(zone).date()
    return dt.datetime.now(zone).date()


def period_range(period: str, today: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The start and the end of a named period, as naive wall times.

    The end is exclusive, as engines read `to`: midnight after the period's
    last day, so the last second of that day is counted and nothing after.
    """
    if period == "today":
        first, last = today, today
    elif period == "yesterday":
        first = last = today - dt.timedelta(days=1)
    elif period == "last_7_days":
        first, last = today - dt.timedelta(days=6), today
    elif period == "this_month":
        first, last = today.replace(day=1), today
    elif period == "last_month":
        last = today.replace(day=1) - dt.timedelta(days=1)
        first = last.replace(day=1)
    else:
        raise ValueError(f"unknown period {period!r}")
    end = last + dt.timedelta(days=1)
    return dt.datetime.combine(first, dt.time()), dt.datetime.combine(end, dt.time())


def wall_time_text(moment: dt.datetime) -> str:
    """A date-time as the engine expects it: no offset, never converted."""
    # isoformat, not strftime: its %Y does not write the year 999 as 0999.
    return moment.replace(tzinfo=None).isoformat(timespec="seconds")


def date_text(day: dt.date) -> str:
    return day.isoformat()


# Last, as app.forms imports this module's names first: the kinds and the
# field specs of a form are its, and are only used once a form is built.
from app import forms  # noqa: E402
