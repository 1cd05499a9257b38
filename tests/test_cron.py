"""Cron expressions: what is accepted, how it reads, when it runs.

Each case of issue 4's "Accepted when" is here with its right answer, once
through the library the cron editor uses (app.schedule.preview) and once
through `python -m app cron`, which must print the same.
"""

import datetime as dt
import json
import subprocess
from typing import Any

import pytest

from app.children import app_command
from app.errors import UsageError
from app.schedule.back import Back, parse_back, period_before
from app.schedule.preview import preview
from app.schedule.runs import zone_named

AMSTERDAM = "Europe/Amsterdam"


def runs_of(
    expression: str, zone: str, start: str, count: int = 10, language: str = "en"
) -> dict[str, Any]:
    """The preview of an expression as JSON, as the editor would show it."""
    shown = preview(
        expression,
        zone_named(zone),
        dt.datetime.fromisoformat(start),
        count,
        language,
    )
    return shown.as_json()


def cron_command(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        app_command("cron", *args),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_fixed_time_runs_once_on_the_night_clocks_go_back() -> None:
    shown = runs_of("30 2 * * *", AMSTERDAM, "2024-10-26T12:00+02:00", count=3)

    assert shown["valid"] is True
    assert shown["next"] == [
        "2024-10-27T02:30:00+02:00",
        "2024-10-28T02:30:00+01:00",
        "2024-10-29T02:30:00+01:00",
    ]


def test_a_time_in_the_spring_gap_runs_once_at_the_end_of_the_gap() -> None:
    one = runs_of("30 2 * * *", AMSTERDAM, "2025-03-29T12:00+01:00", count=2)
    two = runs_of("0,30 2 * * *", AMSTERDAM, "2025-03-29T12:00+01:00", count=3)

    assert one["next"] == ["2025-03-30T03:00:00+02:00", "2025-03-31T02:30:00+02:00"]
    # 02:00 and 02:30 both fall in the gap: one run, at 03:00.
    assert two["next"] == [
        "2025-03-30T03:00:00+02:00",
        "2025-03-31T02:00:00+02:00",
        "2025-03-31T02:30:00+02:00",
    ]


def test_an_hourly_schedule_follows_real_time_across_the_change() -> None:
    back = runs_of("0 * * * *", AMSTERDAM, "2024-10-27T01:30+02:00", count=3)
    forward = runs_of("30 * * * *", AMSTERDAM, "2025-03-30T01:00+01:00", count=2)

    assert back["next"] == [
        "2024-10-27T02:00:00+02:00",
        "2024-10-27T02:00:00+01:00",
        "2024-10-27T03:00:00+01:00",
    ]
    assert forward["next"] == ["2025-03-30T01:30:00+01:00", "2025-03-30T03:30:00+02:00"]


def test_runs_listed_from_inside_the_repeated_hour_are_the_ones_to_come() -> None:
    first_copy = runs_of("*/30 * * * *", AMSTERDAM, "2024-10-27T02:40+02:00", count=3)
    second_copy = runs_of("30 2 * * *", AMSTERDAM, "2024-10-27T02:10+01:00", count=1)

    assert first_copy["next"] == [
        "2024-10-27T02:00:00+01:00",
        "2024-10-27T02:30:00+01:00",
        "2024-10-27T03:00:00+01:00",
    ]
    # 02:30 has already run in the first copy of the hour.
    assert second_copy["next"] == ["2024-10-28T02:30:00+01:00"]


@pytest.mark.parametrize("expression", ["0 0 31 2 *", "0 0 30 2 *"])
def test_a_day_that_never_comes_is_refused(expression: str) -> None:
    shown = runs_of(expression, "UTC", "2024-01-01T00:00+00:00")

    assert shown == {
        "valid": False,
        "error": f"{expression!r} never runs: no date has its day of the month, "
        "month and day of the week (like 30 February)",
        "description": None,
        "next": [],
    }


def test_the_29th_of_february_next_runs_in_2028() -> None:
    shown = runs_of("0 9 29 2 *", "UTC", "2024-03-01T00:00+00:00", count=2)

    assert shown["valid"] is True
    assert shown["description"] == "At 09:00, on day 29 of the month, only in February"
    assert shown["next"] == ["2028-02-29T09:00:00+00:00", "2032-02-29T09:00:00+00:00"]


def test_a_sixth_field_is_refused_saying_why() -> None:
    shown = runs_of("0 */5 * * * *", "UTC", "2024-01-01T00:00+00:00")

    assert shown["valid"] is False
    assert "six fields" in shown["error"]
    assert "seconds" in shown["error"]
    assert (shown["description"], shown["next"]) == (None, [])


def test_a_bad_field_is_named_and_nothing_is_described() -> None:
    shown = runs_of("* * banana * *", "UTC", "2024-01-01T00:00+00:00")

    assert shown["valid"] is False
    assert shown["error"].startswith("day of month: 'banana' is not a valid day")
    assert (shown["description"], shown["next"]) == (None, [])


@pytest.mark.parametrize(
    ("field", "name"),
    [
        ("61 * * * *", "minute"),
        ("0 24 * * *", "hour"),
        ("0 0 * 13 *", "month"),
        ("0 0 * * funday", "day of week"),
        ("R 0 * * *", "minute"),
    ],
)
def test_each_bad_field_is_named(field: str, name: str) -> None:
    shown = runs_of(field, "UTC", "2024-01-01T00:00+00:00")

    assert shown["valid"] is False
    assert shown["error"].startswith(f"{name}: ")


def test_daily_is_accepted_and_described() -> None:
    english = runs_of("@daily", AMSTERDAM, "2024-10-26T12:00+02:00", count=2)
    spanish = runs_of("@daily", AMSTERDAM, "2024-10-26T12:00+02:00", 2, "es")

    assert english == {
        "valid": True,
        "error": None,
        "description": "At 00:00",
        "next": ["2024-10-27T00:00:00+02:00", "2024-10-28T00:00:00+01:00"],
    }
    assert spanish["description"] == "A las 00:00"


@pytest.mark.parametrize(
    ("macro", "first_run"),
    [
        ("@hourly", "2024-03-01T01:00:00+00:00"),
        ("@weekly", "2024-03-03T00:00:00+00:00"),
        ("@monthly", "2024-04-01T00:00:00+00:00"),
        ("@yearly", "2025-01-01T00:00:00+00:00"),
        ("@annually", "2025-01-01T00:00:00+00:00"),
    ],
)
def test_the_macros_are_accepted(macro: str, first_run: str) -> None:
    shown = runs_of(macro, "UTC", "2024-03-01T00:00+00:00", count=1)

    assert shown["valid"] is True
    assert shown["next"] == [first_run]


def test_reboot_is_refused() -> None:
    shown = runs_of("@reboot", "UTC", "2024-03-01T00:00+00:00")

    assert shown["valid"] is False
    assert shown["error"].startswith("@reboot runs when a server starts")


def test_a_minute_range_on_mondays_lists_sixteen_runs_each_monday() -> None:
    shown = runs_of("0-15 9 * * 1", "UTC", "2024-03-01T00:00+00:00", count=32)
    spanish = runs_of("0-15 9 * * 1", "UTC", "2024-03-01T00:00+00:00", 1, "es")

    first_monday = [f"2024-03-04T09:{minute:02}:00+00:00" for minute in range(16)]
    second_monday = [f"2024-03-11T09:{minute:02}:00+00:00" for minute in range(16)]
    assert shown["description"] == (
        "Every minute between 09:00 and 09:15, only on Monday"
    )
    assert spanish["description"] == (
        "Cada minuto entre las 09:00 y las 09:15, sólo el lunes"
    )
    assert shown["next"] == first_monday + second_monday


def test_spanish_names_days_and_months_in_spanish() -> None:
    shown = runs_of("0 7 * 5 1-5", "UTC", "2024-03-01T00:00+00:00", 1, "es")

    assert shown["description"] == "A las 07:00, de lunes a viernes, sólo en mayo"


# The command line, for every case above: the same answer, and the status.
CLI_CASES = [
    ("30 2 * * *", AMSTERDAM, "2024-10-26T12:00+02:00", "3", "en"),
    ("0 0 31 2 *", "UTC", "2024-03-01T00:00+00:00", "10", "en"),
    ("0 0 30 2 *", "UTC", "2024-03-01T00:00+00:00", "10", "en"),
    ("0 9 29 2 *", "UTC", "2024-03-01T00:00+00:00", "2", "en"),
    ("0 */5 * * * *", "UTC", "2024-03-01T00:00+00:00", "10", "en"),
    ("* * banana * *", "UTC", "2024-03-01T00:00+00:00", "10", "en"),
    ("@daily", AMSTERDAM, "2024-10-26T12:00+02:00", "2", "es"),
    ("@reboot", "UTC", "2024-03-01T00:00+00:00", "10", "en"),
    ("0-15 9 * * 1", "UTC", "2024-03-01T00:00+00:00", "32", "es"),
    ("30 2 * * *", AMSTERDAM, "2025-03-29T12:00+01:00", "2", "en"),
]


@pytest.mark.parametrize(("expression", "zone", "start", "count", "lang"), CLI_CASES)
def test_the_command_line_prints_what_the_editor_shows(
    expression: str, zone: str, start: str, count: str, lang: str
) -> None:
    expected = runs_of(expression, zone, start, int(count), lang)

    done = cron_command(
        expression, "--tz", zone, "--from", start, "--count", count, "--lang", lang
    )

    assert json.loads(done.stdout) == expected
    assert done.returncode == (0 if expected["valid"] else 2)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--tz", "Mars/Olympus_Mons"], "'Mars/Olympus_Mons' is not a time zone"),
        (["--tz", "UTC", "--from", "next tuesday"], "--from 'next tuesday' is not"),
        (["--tz", "UTC", "--count", "0"], "--count must be from 1 to 1000"),
    ],
)
def test_the_command_line_refuses_a_bad_zone_time_or_count(
    args: list[str], words: str
) -> None:
    done = cron_command("@daily", *args)

    assert done.returncode == 2
    assert done.stdout == ""
    assert words in done.stderr


def test_a_time_without_offset_is_read_in_the_zone() -> None:
    done = cron_command(
        "30 2 * * *", "--tz", AMSTERDAM, "--from", "2024-10-26T12:00", "--count", "1"
    )

    assert json.loads(done.stdout)["next"] == ["2024-10-27T02:30:00+02:00"]


def test_back_spans_wall_clock_days_before_the_fire_time() -> None:
    fire = dt.datetime(2024, 11, 4, 7, 0, tzinfo=zone_named(AMSTERDAM))

    # The week before crosses the end of summer time: still 07:00 to 07:00.
    assert period_before(fire, Back(days=7)) == (
        "2024-10-28T07:00:00",
        "2024-11-04T07:00:00",
    )
    assert period_before(fire, parse_back({"days": 1, "hours": 6})) == (
        "2024-11-03T01:00:00",
        "2024-11-04T07:00:00",
    )


@pytest.mark.parametrize(
    ("back", "words"),
    [
        ({"days": -1}, "back/days"),
        ({"days": 0, "hours": 0}, "the period is empty"),
        ({"weeks": 1}, "not 'weeks'"),
        ("7 days", "back: give"),
        ({"days": 400}, "longer than 366 days"),
    ],
)
def test_a_bad_back_is_refused(back: Any, words: str) -> None:
    with pytest.raises(UsageError, match="back") as caught:
        parse_back(back)

    assert words in str(caught.value)
