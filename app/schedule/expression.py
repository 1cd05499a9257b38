"""Reading and checking a cron expression before anything else is made of it.

An expression is accepted when croniter reads it and it fires at least
once: `0 0 31 2 *` reads well but never runs, so it is refused here, when
it is typed, not when a scheduler first meets it. Only the five standard
fields are taken (minute, hour, day of month, month, day of week): a sixth
field means seconds, first in some libraries and last in others, so what it
would do is not certain. The macros @hourly, @daily, @weekly, @monthly,
@yearly and @annually (and @midnight, the same as @daily) stand for their
five fields; @reboot has no times and is refused.

A bad field is named in the message (`day of month: 'banana' is not ...`),
found by reading each field on its own. Hashed (`H`) and random (`R`)
values are refused too: the times listed for them would not be the times
a gateway runs. So is a step larger than its field's range (`*/90` in the
minutes): it fires once per hour, day or year, not at the interval its
description names. An expression is at most MOST_LENGTH characters, which
also bounds its lists and ranges, and a task holds at most MOST_SCHEDULES.
"""

import datetime as dt
import logging
import re
from dataclasses import dataclass

from croniter import CroniterBadDateError, CroniterError, croniter

from app.errors import UsageError

log = logging.getLogger(__name__)

MACROS = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
}
DOCUMENTED_MACROS = "@hourly, @daily, @weekly, @monthly, @yearly or @annually"
FIELD_NAMES = ("minute", "hour", "day of month", "month", "day of week")
FIELD_HINTS = (
    "0-59",
    "0-23",
    "1-31",
    "1-12 or jan-dec",
    "0-7 (0 and 7 are Sunday) or sun-sat",
)
# The values each field can take, for the size of a step.
FIELD_RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 6))
# What a field repeats within: a step past its range fires once per this.
FIELD_PERIODS = ("hour", "day", "month", "year", "week")
FIVE_FIELDS = "minute hour day-of-month month day-of-week"
MOST_LENGTH = 200  # characters of one expression
MOST_SCHEDULES = 20  # expressions in one task
# A fixed start for the "does it ever run" search: with five fields the
# runs repeat within decades, so any start gives the same answer.
NEVER_RUNS_PROBE = dt.datetime(2001, 1, 1)
# croniter's hashed and random values: `H`, `R`, `H(0-29)`, `R/5`.
_HASHED_OR_RANDOM = re.compile(r"[hr](\(\d+-\d+\))?(/\d+)?", re.ASCII)
# The step of a list item: `*/5`, `1-30/5`, `5/15`.
_STEP = re.compile(r"/(\d+)$", re.ASCII)
# Fields are split as croniter splits them: on ASCII white space only.
_FIELD = re.compile(r"\S+", re.ASCII)


class CronError(UsageError):
    """A cron expression that cannot be used; the text says why and where."""


@dataclass(frozen=True)
class CronExpression:
    """An accepted expression: as typed, and as its five fields."""

    text: str  # as given, stripped (`@daily`)
    fields: str  # the five fields it stands for (`0 0 * * *`)

    @property
    def every_hour(self) -> bool:
        """Whether it runs in every hour of the day (hour field `*`).

        Such a schedule follows real time across daylight saving changes;
        one at set hours runs once per wall-clock time (see runs.py).
        """
        hours = croniter.expand(self.fields)[0][1]
        return hours == ["*"] or len(set(hours)) == 24


def parse_cron(text: str) -> CronExpression:
    """The expression text stands for; CronError says what is wrong."""
    stripped = text.strip()
    if not stripped:
        raise CronError(f"the schedule is empty: give five fields ({FIVE_FIELDS})")
    if len(stripped) > MOST_LENGTH:
        raise CronError(
            f"the schedule {stripped[:20]!r}... is {len(stripped)} characters "
            f"long; give at most {MOST_LENGTH}"
        )

    fields = _macro_fields(stripped) if stripped.startswith("@") else stripped
    parts = _FIELD.findall(fields)
    _check_field_count(stripped, len(parts))
    for index, part in enumerate(parts):
        _check_field(index, part)

    # Each field reads on its own; together they still may not.
    try:
        croniter.expand(fields)
    except CroniterError as exc:
        raise CronError(f"{stripped!r} is not a cron expression: {exc}") from exc
    _check_it_runs(stripped, fields)
    return CronExpression(text=stripped, fields=" ".join(parts))


def _macro_fields(text: str) -> str:
    word = text.lower()
    if word == "@reboot":
        raise CronError(
            "@reboot runs when a server starts, not at set times; "
            f"a scheduled report needs times (use {DOCUMENTED_MACROS}, "
            "or five fields)"
        )
    if word not in MACROS:
        raise CronError(
            f"{text!r} is not a known shortcut; use {DOCUMENTED_MACROS}, "
            f"or five fields ({FIVE_FIELDS})"
        )
    return MACROS[word]


def _check_field_count(text: str, count: int) -> None:
    if count == 5:
        return
    if count == 6:
        raise CronError(
            f"{text!r} has six fields; only the five standard ones are taken "
            f"({FIVE_FIELDS}). A sixth field means seconds, which some cron "
            "libraries put first and others last, so what it would do is not "
            "certain: remove it"
        )
    if count > 6:
        raise CronError(
            f"{text!r} has {count} fields; only the five standard ones are "
            f"taken ({FIVE_FIELDS}), without seconds or years"
        )
    raise CronError(
        f"{text!r} has {count} field{'s' if count != 1 else ''}; "
        f"a schedule needs five ({FIVE_FIELDS})"
    )


def _check_field(index: int, part: str) -> None:
    """CronError naming the field when part cannot be read in place index."""
    name = FIELD_NAMES[index]
    for item in part.lower().split(","):
        if _HASHED_OR_RANDOM.fullmatch(item):
            raise CronError(
                f"{name}: {part!r} asks for a hashed or random value, which is "
                "not supported: the times listed could not be the times a "
                f"gateway runs; give {FIELD_HINTS[index]}"
            )
        _check_step(index, item)

    probe = ["*"] * 5
    probe[index] = part
    try:
        croniter.expand(" ".join(probe))
    except CroniterError as exc:
        log.debug("%s %r refused by croniter: %s", name, part, exc)
        raise CronError(
            f"{name}: {part!r} is not a valid {name}; give {FIELD_HINTS[index]}, "
            "a range (1-5), a list (1,3), a step (*/2) or *"
        ) from exc


def _check_step(index: int, item: str) -> None:
    """CronError for a step that fires once per period, whatever it says."""
    found = _STEP.search(item)
    if found is None:
        return
    step = int(found.group(1))
    low, high = FIELD_RANGES[index]
    if step <= high - low + 1:
        return
    digits = found.group(1)
    shown = digits if len(digits) <= 12 else digits[:12] + "..."
    raise CronError(
        f"{FIELD_NAMES[index]}: a step of {shown} fires only once per "
        f"{FIELD_PERIODS[index]}, as the field has {high - low + 1} values "
        f"({low}-{high}); write the one {FIELD_NAMES[index]} it starts at instead"
    )


def _check_it_runs(text: str, fields: str) -> None:
    try:
        croniter(fields, NEVER_RUNS_PROBE).get_next(dt.datetime)
    except CroniterBadDateError as exc:
        raise CronError(
            f"{text!r} never runs: no date has its day of the month, month "
            "and day of the week (like 30 February)"
        ) from exc
