"""Checks of a report's parameters that can be made before its job exists.

The schema says what shape each value has; some mistakes only the engine
would find, after the job is created: a time zone that does not exist, a
period its script does not take, a vehicle the gateway does not have.
What can be known here is checked here, so the job is never made:

- every time zone field (`tz`, and any field whose peg_type is `$tz`) must
  name an IANA zone this computer knows;
- a script may say the rules of its period in its parameters schema, as
  `"peg_period": {"max_days": 366, "starts_in_past": true}` (the embedded
  engine's manifest does): the period may be at most that long, and must
  start before now. Nothing is assumed of a script that says nothing;
- the ids of the `$vehicles` and `$groups` fields must be in the gateway's
  lists, read as the window's pickers read them (app.resource_lists).
"""

import datetime as dt
import logging
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from app.errors import AuthError, GatewayError, UsageError
from app.manifest import Script
from app.plurals import counted
from app.resource_lists import Lister, load_choices
from app.validation import parse_wall_time

log = logging.getLogger(__name__)

TZ_PEG_TYPE = "$tz"
PERIOD_RULES = "peg_period"
# The resource lists whose ids are checked, by the peg_type of their field.
# Geofences are left out: their list comes with every shape (megabytes).
CHECKED_RESOURCES = {"$vehicles": "vehicles", "$groups": "groups"}
SHOWN_IDS = 5


def check_known_values(
    script: Script, args: dict[str, Any], now: dt.datetime | None = None
) -> None:
    """Raise UsageError naming the field, for a zone or a period refused."""
    problems = _known_value_problems(script, args, now)
    if problems:
        raise UsageError(problems[0].message)


def known_value_errors(
    script: Script, args: dict[str, Any], now: dt.datetime | None = None
) -> dict[str, str]:
    """{field path: what is wrong}, for the same checks, as a form shows them
    at its fields while the user types."""
    if not isinstance(args, dict):
        return {}
    return {p.path: p.at_field for p in _known_value_problems(script, args, now)}


@dataclass(frozen=True)
class _Problem:
    path: str
    # Said at the field, which is named beside it.
    at_field: str
    # Said on its own, naming the field (the command line, a banner).
    message: str


def _known_value_problems(
    script: Script, args: dict[str, Any], now: dt.datetime | None
) -> list[_Problem]:
    problems = []
    # The expanded schema: peg_types are read through the references.
    for path, value in _zone_values(script.schema, args, ""):
        if not isinstance(value, str) or not _is_zone(value):
            shown = str(value)[:60]
            problems.append(
                _Problem(
                    path,
                    "must be a known time zone, such as America/New_York or UTC",
                    f"parameter '{path}' must be a known time zone such as "
                    f"America/New_York or UTC, not {shown!r}",
                )
            )

    rules = script.schema.get(PERIOD_RULES)
    if isinstance(rules, dict):
        moment = now or dt.datetime.now(dt.UTC)
        problems += _period_problems(script.schema, args, rules, moment)
    return problems


async def check_resource_ids(
    gateway: Lister, script: Script, args: dict[str, Any]
) -> None:
    """Raise UsageError naming the field for an id the gateway does not list.

    A list this user may not read is not checked (the engine may still be
    allowed to); a session that has ended is raised as it is.
    """
    properties = script.schema.get("properties")
    if not isinstance(properties, dict):
        return
    for name, prop in properties.items():
        kind = CHECKED_RESOURCES.get(_peg(prop)) if isinstance(prop, dict) else None
        ids = _ids(args.get(name))
        if kind is None or not ids:
            continue

        try:
            listed = {rid for rid, _ in await load_choices(gateway, kind)}
        except AuthError:
            raise
        except GatewayError as exc:
            log.warning("the %s ids were not checked: %s", kind, exc)
            continue
        missing = [rid for rid in ids if rid not in listed]
        if missing:
            raise UsageError(_missing_message(name, kind, missing))


def _missing_message(name: str, kind: str, missing: list[int]) -> str:
    """ "parameter 'vehicles': 999 is not among the gateway's vehicles" """
    shown = ", ".join(str(rid) for rid in missing[:SHOWN_IDS])
    if len(missing) > SHOWN_IDS:
        shown += f" and {len(missing) - SHOWN_IDS} more"
    verb = "is" if len(missing) == 1 else "are"
    return f"parameter '{name}': {shown} {verb} not among the gateway's {kind}"


def _zone_values(schema: Any, value: Any, path: str) -> Iterator[tuple[str, Any]]:
    """(path, value) of each time zone field in value, as the schema says."""
    if not isinstance(schema, dict):
        return
    if isinstance(value, dict):
        properties = schema.get("properties")
        if not isinstance(properties, dict):
            return
        for name, prop in properties.items():
            if name not in value or not isinstance(prop, dict):
                continue
            where = f"{path}/{name}" if path else name
            if (name == "tz" and not path) or _peg(prop) == TZ_PEG_TYPE:
                yield where, value[name]
            else:
                yield from _zone_values(prop, value[name], where)
    elif isinstance(value, list):
        items = schema.get("items")
        for index, item in enumerate(value):
            yield from _zone_values(items, item, f"{path}/{index}")


def _period_problems(
    schema: dict[str, Any],
    args: dict[str, Any],
    rules: dict[str, Any],
    now: dt.datetime,
) -> list[_Problem]:
    """The script's own period rules; a period that cannot be read is left
    to the schema's checks."""
    start_name = _field_named(schema, "$from", "from")
    end_name = _field_named(schema, "$to", "to")
    zone = _zone_of(schema, args)
    start = _moment(args.get(start_name), zone)
    end = _moment(args.get(end_name), zone)
    problems = []

    if start is not None and rules.get("starts_in_past") is True and start >= now:
        problems.append(
            _Problem(
                start_name,
                "must be in the past: this report takes only a period that has begun",
                f"parameter '{start_name}' is {args[start_name]}, after now: this "
                "report takes only a period that has begun",
            )
        )

    max_days = rules.get("max_days")
    if (
        start is not None
        and end is not None
        and isinstance(max_days, int)
        and not isinstance(max_days, bool)
        and end - start > dt.timedelta(days=max_days)
    ):
        problems.append(
            _Problem(
                end_name,
                f"makes the period longer than {counted(max_days, 'day')}, the "
                "most this report takes",
                f"parameters '{start_name}' and '{end_name}': the period is longer "
                f"than {counted(max_days, 'day')}, the most this report takes; run "
                "it on shorter periods",
            )
        )
    return problems


def _field_named(schema: dict[str, Any], peg_type: str, default: str) -> str:
    properties = schema.get("properties")
    if isinstance(properties, dict):
        for name, prop in properties.items():
            if isinstance(prop, dict) and _peg(prop) == peg_type:
                return str(name)
    return default


def _zone_of(schema: dict[str, Any], args: dict[str, Any]) -> zoneinfo.ZoneInfo | None:
    """The zone the period's wall times are in, when the args say it."""
    name = args.get(_field_named(schema, TZ_PEG_TYPE, "tz"))
    if isinstance(name, str) and _is_zone(name):
        return zoneinfo.ZoneInfo(name)
    return None


def _moment(value: Any, zone: zoneinfo.ZoneInfo | None) -> dt.datetime | None:
    """A wall time as a UTC moment; None if it cannot be one here.

    A wall time without an offset needs the report's zone: with none in
    the args it is the gateway's choice, unknown here.
    """
    if not isinstance(value, str):
        return None
    moment = parse_wall_time(value)
    if moment is None or (moment.tzinfo is None and zone is None):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(dt.UTC)


def _ids(value: Any) -> list[int]:
    items = value if isinstance(value, list) else [value]
    return [i for i in items if isinstance(i, int) and not isinstance(i, bool)]


def _peg(prop: dict[str, Any]) -> str:
    peg_type = prop.get("peg_type")
    return peg_type if isinstance(peg_type, str) else ""


def _is_zone(name: str) -> bool:
    # Same rule as app.runs.is_time_zone; not imported, runs imports us.
    if not name or name.startswith("/") or ".." in name:
        return False
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True
