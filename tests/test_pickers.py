"""What the pickers start from and offer, without Qt: names, units, periods."""

import datetime as dt
import logging

import pytest

from app.forms import (
    FormContext,
    form_fields,
    initial_values,
    period_range,
    today_in,
    wall_time_text,
)
from app.resource_lists import choices_of
from app.user_prefs import form_prefs, pref_choice

# Daylight saving time in New York, 2026: starts Sunday 8 March (02:00 ->
# 03:00, a 23-hour day) and ends Sunday 1 November (02:00 -> 01:00, 25 hours).
SPRING_FORWARD = dt.date(2026, 3, 8)
FALL_BACK = dt.date(2026, 11, 1)


# --- Names from the gateway's lists ----------------------------------------------


def test_geofences_are_named_from_their_geojson_properties() -> None:
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Circle", "coordinates": [-80.8, 35.3]},
            "properties": {"id": 301, "name": "North Depot"},
        },
        {"type": "Feature", "properties": {"id": 302, "name": "  South Yard "}},
    ]

    assert choices_of("geofences", features) == [
        (301, "North Depot"),
        (302, "South Yard"),
    ]


def test_users_are_named_by_full_name_and_user_name() -> None:
    users = [
        {"id": 2, "username": "ops", "first_name": "Olivia", "last_name": "Ortiz"},
        {"id": 3, "username": "north.dispatch", "first_name": "", "last_name": ""},
        {"id": 4, "email": "lead@example.com"},
        {"id": 5},
    ]

    assert choices_of("users", users) == [
        (2, "Olivia Ortiz (ops)"),
        (3, "north.dispatch"),
        (4, "lead@example.com"),
        (5, "#5"),
    ]


def test_names_several_items_share_get_their_ids() -> None:
    vehicles = [
        {"id": 7, "name": "Spare van"},
        {"id": 9, "name": "Truck 9"},
        {"id": 8, "name": "Spare van"},
    ]

    assert choices_of("vehicles", vehicles) == [
        (7, "Spare van (#7)"),
        (9, "Truck 9"),
        (8, "Spare van (#8)"),
    ]


def test_items_without_a_whole_number_id_are_left_out_and_said_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    items = [
        {"id": 1, "name": "Ok"},
        {"id": "a", "name": "Text id"},
        {"id": True, "name": "Boolean id"},
        {"id": 2.5, "name": "Half id"},
        {"id": None, "name": "No id"},
        {"name": "Missing id"},
    ]

    with caplog.at_level(logging.WARNING, logger="app.resource_lists"):
        assert choices_of("assets", items) == [(1, "Ok")]

    (record,) = caplog.records
    message = record.getMessage()
    assert message.startswith("5 of the 6 assets the gateway listed")
    assert "'a', True, 2.5 and 2 more" in message


# --- Preferences -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "wanted", "allowed", "chosen"),
    [
        ("distance", "kilometers", ["km", "mile"], "km"),
        ("distance", "mile", ["km", "mile"], "mile"),
        ("distance", "Miles", ["kilometers", "miles"], "miles"),
        ("distance", "furlong", ["km", "mile"], None),
        ("speed", "km/h", ["kph", "mph"], "kph"),
        ("volume", "gal", ["liter", "gallon"], "gallon"),
        ("temperature", "Fahrenheit", ["C", "F"], "F"),
        ("temperature", "C", ["celsius", "fahrenheit"], "celsius"),
        ("language", "es-MX", ["en", "es"], "es"),
        ("language", "pt", ["en", "es"], None),
        ("language", "fr", [], "fr"),
        ("distance", None, ["km"], None),
    ],
)
def test_a_saved_preference_is_matched_to_the_spelling_offered(
    name: str, wanted: str | None, allowed: list[str], chosen: str | None
) -> None:
    assert pref_choice(name, wanted, allowed) == chosen


def test_the_saved_temperature_unit_joins_the_job_prefs() -> None:
    user = {"prefs": {"distanceunits": "mile", "temperatureunits": "fahrenheit"}}

    assert form_prefs(user, {"distance": "mile", "speed": "mph"}) == {
        "distance": "mile",
        "speed": "mph",
        "temperature": "F",
    }
    assert form_prefs({"prefs": "not an object"}, {"language": "es"}) == {
        "language": "es"
    }


PREFS_SCHEMA = {
    "type": "object",
    "properties": {
        "prefs": {
            "type": "object",
            "peg_type": "$prefs",
            "properties": {
                "distance": {"enum": ["kilometers", "miles"], "default": "kilometers"},
                "volume": {"enum": ["liter", "gallon"], "default": "liter"},
                "temperature": {"enum": ["C", "F"], "default": "C"},
                "language": {"enum": ["en", "es", "fr"], "default": "en"},
            },
        },
        "tz": {"type": "string", "peg_type": "$tz", "default": "UTC"},
    },
}


def test_a_new_form_starts_from_the_users_saved_units_and_zone() -> None:
    saved = {"distance": "mile", "volume": "gallon", "temperature": "F"}
    context = FormContext(tz="America/Chicago", prefs={**saved, "language": "es"})

    assert initial_values(form_fields(PREFS_SCHEMA), context) == {
        "prefs": {
            "distance": "miles",
            "volume": "gallon",
            "temperature": "F",
            "language": "es",
        },
        "tz": "America/Chicago",
    }


def test_without_saved_preferences_the_schema_defaults_stay() -> None:
    assert initial_values(form_fields(PREFS_SCHEMA), FormContext()) == {
        "prefs": {
            "distance": "kilometers",
            "volume": "liter",
            "temperature": "C",
            "language": "en",
        },
        "tz": "UTC",
    }


# --- Periods in the report's zone -----------------------------------------------------


def period_text(period: str, today: dt.date) -> tuple[str, str]:
    start, end = period_range(period, today)
    return wall_time_text(start), wall_time_text(end)


def days(first: str, end: str) -> tuple[str, str]:
    return f"2026-{first}T00:00:00", f"2026-{end}T00:00:00"


@pytest.mark.parametrize(
    ("period", "today", "expected"),
    [
        # On the 23-hour day, "today" is still midnight to midnight.
        ("today", SPRING_FORWARD, days("03-08", "03-09")),
        ("yesterday", dt.date(2026, 3, 9), days("03-08", "03-09")),
        ("last_7_days", dt.date(2026, 3, 10), days("03-04", "03-11")),
        ("this_month", SPRING_FORWARD, days("03-01", "03-09")),
        ("last_month", SPRING_FORWARD, days("02-01", "03-01")),
        # The 25-hour day, and the month it ends.
        ("today", FALL_BACK, days("11-01", "11-02")),
        ("last_month", dt.date(2026, 12, 1), days("11-01", "12-01")),
    ],
)
def test_quick_periods_are_whole_local_days_across_a_dst_change(
    period: str, today: dt.date, expected: tuple[str, str]
) -> None:
    assert period_text(period, today) == expected


@pytest.mark.parametrize(
    ("now_utc", "zone", "today"),
    [
        # 04:30 UTC on 8 March is 23:30 on the 7th in New York (still EST).
        ("2026-03-08T04:30:00+00:00", "America/New_York", dt.date(2026, 3, 7)),
        ("2026-03-08T04:30:00+00:00", "UTC", dt.date(2026, 3, 8)),
        # 04:30 UTC on 9 March is 00:30 on the 9th: New York is on EDT now.
        ("2026-03-09T04:30:00+00:00", "America/New_York", dt.date(2026, 3, 9)),
        # 04:30 UTC on 2 November is 23:30 on the 1st: back on EST.
        ("2026-11-02T04:30:00+00:00", "America/New_York", dt.date(2026, 11, 1)),
        ("2026-03-08T04:30:00+00:00", "Asia/Tokyo", dt.date(2026, 3, 8)),
    ],
)
def test_today_is_the_date_in_the_reports_zone(
    now_utc: str, zone: str, today: dt.date
) -> None:
    context = FormContext(now=dt.datetime.fromisoformat(now_utc))

    assert today_in(zone, context) == today
