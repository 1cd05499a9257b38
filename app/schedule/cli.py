"""`python -m app cron EXPR --tz ZONE`: check a cron expression, list its runs.

Prints one JSON object, `{valid, error, description, next}`, made by the
same code as the cron editor (preview.py). Exit status 0 for a valid
expression, 2 for a refused one; an unknown time zone, an unreadable
--from (or one outside the calendar, years 1 to 9999 in UTC) or a bad
--count is a one-line error on stderr, also status 2. Runs end with the
calendar: near 9999-12-31 fewer than --count are listed, with a note on
stderr saying so.
"""

import argparse
import datetime as dt
import json
import logging
import sys
import zoneinfo

from app.errors import UsageError
from app.plurals import agreeing
from app.schedule.description import LANGUAGES
from app.schedule.preview import DEFAULT_COUNT, preview
from app.schedule.runs import zone_named

log = logging.getLogger(__name__)

MOST_RUNS = 1000
INVALID = 2


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "expression",
        metavar="EXPR",
        help='five cron fields in one argument ("30 2 * * *") or a macro (@daily)',
    )
    parser.add_argument(
        "--tz", required=True, metavar="ZONE", help="the IANA time zone of the runs"
    )
    parser.add_argument(
        "--from",
        dest="start",
        metavar="ISO",
        help="list runs after this time (ISO 8601; without an offset it is "
        "read in --tz); default: now",
    )
    parser.add_argument(
        "--count",
        type=int,
        default=DEFAULT_COUNT,
        metavar="N",
        help=f"how many runs to list (default {DEFAULT_COUNT}, at most {MOST_RUNS})",
    )
    parser.add_argument(
        "--lang",
        choices=sorted(LANGUAGES),
        default="en",
        help="the language of the description",
    )


def main(args: argparse.Namespace) -> int:
    zone = zone_named(args.tz)
    start = _start(args.start, zone)
    if not 1 <= args.count <= MOST_RUNS:
        raise UsageError(f"--count must be from 1 to {MOST_RUNS}, not {args.count}")

    shown = preview(args.expression, zone, start, args.count, args.lang)
    # ASCII escapes: a console that cannot show "sólo" still gets the JSON.
    json.dump(shown.as_json(), sys.stdout, indent=2)
    print()
    if shown.valid and len(shown.runs) < args.count:
        print(
            f"note: only {len(shown.runs)} of {args.count} runs "
            f"{agreeing(len(shown.runs), 'is', 'are')} listed: the calendar ends "
            "on 9999-12-31",
            file=sys.stderr,
        )
    return 0 if shown.valid else INVALID


def _start(text: str | None, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    """--from as an aware moment; now when not given."""
    if text is None:
        return dt.datetime.now(zone)
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise UsageError(
            f"--from {text!r} is not a date and time; give ISO 8601 like "
            "2024-10-26T12:00+02:00"
        ) from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    try:
        moment.astimezone(dt.UTC).astimezone(zone)
    except OverflowError as exc:
        raise UsageError(
            f"--from {text!r} lies outside the calendar in {zone.key} (years 1 "
            "to 9999 in UTC); give a later or earlier time"
        ) from exc
    return moment
