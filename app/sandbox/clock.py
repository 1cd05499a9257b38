"""The clock the sandbox runs scheduled tasks by: the real one, or a test's.

`--clock-start ISO` starts it at a chosen moment and `--clock-rate N` makes
it run N times as fast as real time (0 stops it), so a test can go through
a week of schedule in seconds. Either option turns on the test clock, and
only then can it be moved forward (`POST /api/sandbox/clock`, see
scheduler.py). It drives the task runner only: sessions, job expiry and
rawdata's "now" keep the real time.

The test clock lives inside the calendar: a --clock-start before
0001-01-02 or after 9999-12-30 (UTC) is refused, and a clock that reaches
9999-12-31T00:00Z stops there, with a warning, rather than leave the
years a date can have.
"""

import argparse
import datetime as dt
import logging
import math
import time
from dataclasses import dataclass

from app.errors import UsageError

log = logging.getLogger(__name__)

MOST_RATE = 1_000_000.0  # about eleven days a second
# The clock's first and last moments: a day inside the calendar at either
# end, so that every zone's wall time of them is a date too.
FIRST_MOMENT = dt.datetime(1, 1, 2, tzinfo=dt.UTC).timestamp()
LAST_MOMENT = dt.datetime(9999, 12, 31, tzinfo=dt.UTC).timestamp()

# TODO(sandbox): the test clock moves the task runner only; jobs' created_at,
# expiry, sessions and rawdata's "now" keep the real time, so a test clock
# set ahead of today makes runs whose period the engine says has not begun.


@dataclass(frozen=True)
class ClockSettings:
    """How the clock was asked to run; None/1.0 for the real clock."""

    start: float | None = None  # epoch seconds
    rate: float = 1.0

    @property
    def is_test(self) -> bool:
        return self.start is not None or self.rate != 1.0


class SandboxClock:
    """Epoch seconds now, by the real clock or by a test's."""

    def __init__(self, settings: ClockSettings) -> None:
        self.is_test = settings.is_test
        self.rate = settings.rate
        self._base = settings.start if settings.start is not None else time.time()
        self._base_real = time.monotonic()
        self._ended = False
        if self.is_test:
            log.info(
                "test clock from %s at %g times real time",
                dt.datetime.fromtimestamp(self._base, dt.UTC).isoformat(),
                self.rate,
            )

    def now(self) -> float:
        if not self.is_test:
            return time.time()
        now = self._base + (time.monotonic() - self._base_real) * self.rate
        if now < LAST_MOMENT:
            return now
        if not self._ended:
            self._ended = True
            log.warning(
                "the test clock reached %s, the end of the calendar: it stops there",
                dt.datetime.fromtimestamp(LAST_MOMENT, dt.UTC).isoformat(),
            )
        return LAST_MOMENT

    def move_to(self, moment: float) -> None:
        """Set a test clock to moment, never back; it runs on from there."""
        if not self.is_test:
            raise UsageError("only a test clock can be moved (--clock-start)")
        if moment < self.now():
            raise UsageError("the clock can only be moved forward")
        if moment > LAST_MOMENT:
            raise UsageError("the test clock ends at 9999-12-31T00:00Z")
        self._base = moment
        self._base_real = time.monotonic()

    def real_seconds(self, clock_seconds: float) -> float | None:
        """How long clock_seconds of this clock take; None if it is stopped."""
        if self.rate == 0:
            return None
        return max(0.0, clock_seconds / self.rate)


def add_clock_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--clock-start",
        metavar="ISO",
        help="for tests: run scheduled tasks by a clock starting at this "
        "moment (ISO 8601; UTC without an offset), which can be moved forward "
        "with POST /api/sandbox/clock",
    )
    parser.add_argument(
        "--clock-rate",
        type=float,
        metavar="N",
        help="for tests: that clock runs N times as fast as real time "
        "(0 stops it; default 1)",
    )


def clock_settings(args: argparse.Namespace) -> ClockSettings:
    """--clock-start and --clock-rate, checked; UsageError says what is wrong."""
    start = None
    if args.clock_start is not None:
        try:
            moment = dt.datetime.fromisoformat(args.clock_start)
        except ValueError as exc:
            raise UsageError(
                f"--clock-start {args.clock_start!r} is not a date and time; give "
                "ISO 8601 like 2024-10-26T12:00+02:00"
            ) from exc
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.UTC)
        start = moment.timestamp()
        if not FIRST_MOMENT <= start < LAST_MOMENT:
            raise UsageError(
                f"--clock-start {args.clock_start!r} is too near the end of the "
                "calendar; give a moment from 0001-01-02 to 9999-12-30 (UTC)"
            )

    rate = 1.0 if args.clock_rate is None else args.clock_rate
    if not (math.isfinite(rate) and 0 <= rate <= MOST_RATE):
        raise UsageError(f"--clock-rate must be a number from 0 to {MOST_RATE:.0f}")
    rate = abs(rate)  # -0.0 is 0, and would be logged as "-0 times"
    if args.clock_rate is not None and start is None:
        start = time.time()
    return ClockSettings(start=start, rate=rate)
