"""Cron expressions at their limits: length, steps, zones, the calendar's ends.

Through the library the editor, the sandbox and the window share
(app.schedule), and through `python -m app cron`, which must never answer
with a traceback.
"""

import argparse
import datetime as dt
import json
import math
import subprocess
from typing import Any

import pytest

from app.children import app_command
from app.errors import UsageError
from app.sandbox.clock import clock_settings
from app.schedule.back import Back, parse_back, period_before
from app.schedule.expression import MOST_LENGTH, CronError, parse_cron
from app.schedule.runs import next_runs, zone_named
from app.task_shapes import Process, read_task


def cron_command(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        app_command("cron", *args),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_an_expression_longer_than_the_limit_is_refused_saying_so() -> None:
    many_minutes = ",".join(str(minute % 60) for minute in range(40_000))

    with pytest.raises(CronError) as caught:
        parse_cron(f"{many_minutes} * * * *")

    assert f"give at most {MOST_LENGTH}" in str(caught.value)
    # The longest allowed still reads.
    longest = ",".join(["1"] * 95) + " * * * *"
    assert len(longest) <= MOST_LENGTH
    assert parse_cron(longest).fields.startswith("1,1,")


@pytest.mark.parametrize(
    ("expression", "words"),
    [
        (
            "*/99999999999999999999 * * * *",
            "minute: a step of 999999999999... fires only once per hour",
        ),
        ("0 0 1-31/32 * *", "day of month: a step of 32 fires only once per month"),
        ("0 */25 * * *", "hour: a step of 25 fires only once per day"),
        ("0 0 1 */13 *", "month: a step of 13 fires only once per year"),
        ("0 0 * * 1/8", "day of week: a step of 8 fires only once per week"),
    ],
)
def test_a_step_larger_than_its_field_is_refused(expression: str, words: str) -> None:
    with pytest.raises(CronError) as caught:
        parse_cron(expression)

    assert str(caught.value).startswith(words)


@pytest.mark.parametrize(
    "expression", ["*/60 * * * *", "0 */24 * * *", "0 0 */31 * *", "0 0 * * */7"]
)
def test_a_step_as_large_as_its_field_still_reads(expression: str) -> None:
    assert parse_cron(expression).text == expression


@pytest.mark.parametrize("name", ["localtime", "posixrules", "Factory", "../UTC"])
def test_names_that_are_no_place_are_not_zones(name: str) -> None:
    with pytest.raises(UsageError, match="is not a time zone"):
        zone_named(name)

    done = cron_command("@daily", "--tz", name)
    assert done.returncode == 2
    assert f"{name!r} is not a time zone" in done.stderr


@pytest.mark.parametrize(
    ("expression", "start", "listed"),
    [
        ("* * * * *", "9999-12-31T23:50", 9),
        ("0 0 1 1 *", "9999-06-01T00:00", 0),
        ("0 0 29 2 *", "9990-01-01T00:00", 2),
    ],
)
def test_runs_end_with_the_calendar(expression: str, start: str, listed: int) -> None:
    done = cron_command(expression, "--tz", "UTC", "--from", start)

    shown = json.loads(done.stdout)
    assert done.returncode == 0
    assert shown["valid"] is True
    assert len(shown["next"]) == listed
    assert all(run.startswith("99") for run in shown["next"])
    assert f"note: only {listed} of 10 runs are listed" in done.stderr
    assert "Traceback" not in done.stderr


def test_runs_near_the_calendar_start_are_listed_in_a_zone_behind_utc() -> None:
    done = cron_command(
        "* * * * *", "--tz", "Etc/GMT+12", "--from", "0001-01-01T00:00", "--count", "2"
    )

    assert done.returncode == 0
    assert json.loads(done.stdout)["next"] == [
        "0001-01-01T00:01:00-12:00",
        "0001-01-01T00:02:00-12:00",
    ]


@pytest.mark.parametrize(
    ("zone", "start"),
    [
        ("UTC", "0001-01-01T00:00+14:00"),
        ("Etc/GMT-14", "0001-01-01T00:00"),
        ("Etc/GMT+12", "9999-12-31T23:50"),
    ],
)
def test_a_from_outside_the_calendar_is_one_line_and_exit_2(
    zone: str, start: str
) -> None:
    done = cron_command("* * * * *", "--tz", zone, "--from", start)

    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.strip().splitlines() == [
        f"error: --from {start!r} lies outside the calendar in {zone} (years 1 to "
        "9999 in UTC); give a later or earlier time"
    ]


def test_the_library_ends_the_runs_in_a_zone_ahead_of_utc() -> None:
    kiritimati = zone_named("Pacific/Kiritimati")
    after = dt.datetime(9999, 12, 31, 23, 57, tzinfo=kiritimati)

    runs = next_runs(parse_cron("* * * * *"), kiritimati, after, 10)

    assert [run.isoformat() for run in runs] == [
        "9999-12-31T23:58:00+14:00",
        "9999-12-31T23:59:00+14:00",
    ]


@pytest.mark.parametrize(
    "back",
    [
        {"days": 1e10},
        {"days": 10**30},
        {"days": 10**400},
        {"hours": 1e300},
        {"days": 366, "hours": 1},
    ],
)
def test_a_huge_back_is_refused_by_name(back: dict[str, Any]) -> None:
    with pytest.raises(UsageError, match="longer than 366 days"):
        parse_back(back)

    # The window reads such a task as one without a usable period.
    assert Process(parameters={"back": back}).back is None


@pytest.mark.parametrize("amount", [math.nan, math.inf, -math.inf])
def test_a_back_that_is_not_a_number_is_refused(amount: float) -> None:
    with pytest.raises(UsageError, match="give a number of days"):
        parse_back({"days": amount})


def test_a_period_that_would_begin_before_year_one_is_refused() -> None:
    fire = dt.datetime(1, 1, 2, 7, tzinfo=dt.UTC)

    with pytest.raises(UsageError, match="would begin before year 1"):
        period_before(fire, Back(days=366))


def test_a_last_run_outside_the_calendar_is_not_shown() -> None:
    body = {
        "id": 3,
        "name": "Far",
        "processes": [[{"script": "idling"}, {}]],
        "schedule": "@daily",
        "last_run": {"fired_at": 1e300, "job_id": 4},
    }

    assert read_task(body).last_run is None


def test_a_clock_rate_of_minus_zero_is_zero() -> None:
    args = argparse.Namespace(clock_start="2024-11-04T06:00Z", clock_rate=-0.0)

    settings = clock_settings(args)

    assert settings.rate == 0
    assert math.copysign(1, settings.rate) == 1


@pytest.mark.parametrize(
    "start", ["9999-12-31T22:00", "0001-01-01T00:00", "9999-12-31T23:00-12:00"]
)
def test_a_clock_start_at_the_calendar_ends_is_refused(start: str) -> None:
    args = argparse.Namespace(clock_start=start, clock_rate=1000.0)

    with pytest.raises(UsageError, match="--clock-start .* too near the end"):
        clock_settings(args)
