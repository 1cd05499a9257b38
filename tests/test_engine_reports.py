"""The embedded engine's three reports, computed on small hand-made events.

Every expected number is worked out by hand in the test, from the report
definitions in app/engine/README.md.
"""

import datetime as dt
import random

import pytest

from app.engine.reports.fleet_status import status_row
from app.engine.reports.idling import idling_row
from app.engine.reports.timeline import Vehicle
from app.engine.reports.trips import trip_rows
from app.engine.timeframe import ReportClock, parse_duration
from app.engine.units import Units

UTC = ReportClock("UTC")
TRUCK = Vehicle(7, "Truck 7")


def event(time: str, ign: bool, kph: float, **more: object) -> dict[str, object]:
    base = {"event_time": f"2024-01-01T{time}", "vid": 7, "io_ign": ign, "kph": kph}
    return {**base, **more}


def day_period(start: str = "00:00:00", end: str = "02:00:00"):
    return UTC.period(f"2024-01-01T{start}", f"2024-01-01T{end}")


# ---- idling -------------------------------------------------------------

IDLING_EVENTS = [
    {"event_time": "2023-12-31T23:50:00", "io_ign": True, "kph": 0},  # before from
    event("00:00:00", True, 0),  # idle run A starts
    event("00:10:00", True, 40),  # A ends: 600 s, kept
    event("00:20:00", True, 0),  # idle run B starts
    event("00:23:00", True, 30),  # B ends: 180 s, under 5 min, dropped
    event("00:30:00", False, 0),  # ignition off
    event("01:00:00", True, 0),  # idle run C, held until `to`: 3600 s
    event("02:00:00", False, 0),  # at `to`: outside [from, to)
]


def test_idling_counts_kept_idle_runs_and_holds_the_last_state_until_to() -> None:
    row = idling_row(TRUCK, IDLING_EVENTS, day_period(), min_idle=5)

    # Ignition on 00:00-00:30 and 01:00-02:00: 5400 s. Idle kept: 600 + 3600.
    # 4200 / 5400 = 77.8 %.
    assert row == {
        "vid": 7,
        "name": "Truck 7",
        "from": "2024-01-01T00:00:00",
        "to": "2024-01-01T02:00:00",
        "idleTime": 4200,
        "idle_count": 2,
        "percent_idle": 78,
    }


def test_idling_does_not_depend_on_the_order_events_arrive_in() -> None:
    shuffled = IDLING_EVENTS[:]
    random.Random(4).shuffle(shuffled)

    row = idling_row(TRUCK, shuffled, day_period(), min_idle=5)

    assert (row["idleTime"], row["idle_count"], row["percent_idle"]) == (4200, 2, 78)


def test_an_idle_run_of_exactly_min_idle_is_kept_and_a_shorter_one_is_not() -> None:
    events = [
        event("00:00:00", True, 0),
        event("00:05:00", True, 20),  # 300 s idle: exactly 5 minutes
        event("00:10:00", True, 0),
        event("00:14:59", True, 20),  # 299 s idle: one second short
        event("00:20:00", False, 0),
    ]

    row = idling_row(TRUCK, events, day_period("00:00:00", "00:20:00"), 5)

    assert (row["idleTime"], row["idle_count"]) == (300, 1)
    # Ignition on the whole 20 minutes: 300 / 1200 = 25 %.
    assert row["percent_idle"] == 25


def test_percent_idle_rounds_a_half_up() -> None:
    events = [
        event("00:00:00", True, 0),
        event("00:05:00", True, 50),
        event("00:40:00", False, 0),
    ]

    row = idling_row(TRUCK, events, day_period("00:00:00", "01:00:00"), 5)

    # 300 s idle of 2400 s with the ignition on: exactly 12.5 %.
    assert row["percent_idle"] == 13


def test_a_vehicle_whose_ignition_was_never_on_has_zero_idling() -> None:
    events = [event("00:10:00", False, 0), event("01:10:00", False, 0)]

    row = idling_row(TRUCK, events, day_period(), 1)

    assert (row["idleTime"], row["idle_count"], row["percent_idle"]) == (0, 0, 0)


def test_a_vehicle_with_no_events_still_has_its_row() -> None:
    row = idling_row(TRUCK, [], day_period(), 5)

    assert row["vid"] == 7
    assert (row["idleTime"], row["idle_count"], row["percent_idle"]) == (0, 0, 0)


def test_idling_durations_are_real_time_across_a_clock_change() -> None:
    # New York skips 02:00-03:00 on 2024-03-10: 00:00 to 04:00 is 3 hours.
    clock = ReportClock("America/New_York")
    period = clock.period("2024-03-10T00:00:00", "2024-03-10T04:00:00")
    # Raw data comes in UTC: 05:00 UTC is midnight in New York (EST).
    events = [{"event_time": "2024-03-10T05:00:00", "io_ign": True, "kph": 0}]

    row = idling_row(TRUCK, events, period, 5)

    assert row["idleTime"] == 3 * 3600
    assert row["percent_idle"] == 100
    assert (row["from"], row["to"]) == ("2024-03-10T00:00:00", "2024-03-10T04:00:00")


def test_event_times_are_utc_so_the_hour_repeated_in_autumn_stays_in_order() -> None:
    # New York, 2024-11-03: 01:00-02:00 happens twice (EDT, then EST). In
    # UTC the events below are 05:30, 05:50, 06:10 and 06:50: ignition on
    # 80 minutes, idle 05:50-06:10. Read as New York wall times, 06:10 UTC
    # (01:10 EST) would come before 05:30 UTC (01:30 EDT).
    clock = ReportClock("America/New_York")
    period = clock.period("2024-11-03T00:00:00", "2024-11-03T03:00:00")
    events = [
        {"event_time": "2024-11-03T05:30:00", "io_ign": True, "kph": 40},
        {"event_time": "2024-11-03T05:50:00", "io_ign": True, "kph": 0},
        {"event_time": "2024-11-03T06:10:00", "io_ign": True, "kph": 30},
        {"event_time": "2024-11-03T06:50:00", "io_ign": False, "kph": 0},
    ]

    row = idling_row(TRUCK, events, period, 5)

    assert (row["idleTime"], row["idle_count"], row["percent_idle"]) == (1200, 1, 25)


def test_the_last_state_holds_only_until_the_job_started() -> None:
    # "Today" runs to midnight, but the job started at 10:00: the hours
    # after it have not happened, and an event after it is not counted.
    started = dt.datetime(2024, 1, 1, 10, 0, tzinfo=dt.UTC)
    period = UTC.period("2024-01-01T00:00:00", "2024-01-02T00:00:00", started)
    events = [
        event("08:36:00", True, 30, dev_dist=0, lat=1.0, lon=2.0),
        event("09:00:00", True, 0, dev_dist=5000, lat=1.5, lon=2.5),
        event("10:30:00", False, 0, dev_dist=5000),  # after the start: left out
    ]

    row = idling_row(TRUCK, events, period, 5)
    (trip,) = trip_rows(TRUCK, events, period, Units())

    # Idle 09:00-10:00 of ignition on 08:36-10:00: 3600 / 5040 = 71.4 %.
    assert (row["idleTime"], row["idle_count"], row["percent_idle"]) == (3600, 1, 71)
    assert (row["from"], row["to"]) == ("2024-01-01T00:00:00", "2024-01-02T00:00:00")
    assert (trip["start"], trip["end"]) == (
        "2024-01-01T08:36:00",
        "2024-01-01T10:00:00",
    )
    assert (trip["duration"], trip["idle_time"], trip["distance"]) == (5040, 3600, 5.0)


def test_a_period_that_ends_before_the_job_started_is_not_cut() -> None:
    started = dt.datetime(2024, 6, 1, tzinfo=dt.UTC)
    period = UTC.period("2024-01-01T00:00:00", "2024-01-01T02:00:00", started)

    row = idling_row(TRUCK, IDLING_EVENTS, period, min_idle=5)

    assert (row["idleTime"], row["idle_count"], row["percent_idle"]) == (4200, 2, 78)


def test_event_times_with_an_offset_are_read_as_the_moment_they_name() -> None:
    clock = ReportClock("America/Bogota")  # UTC-5, no daylight saving
    period = clock.period("2024-01-01T00:00:00", "2024-01-01T01:00:00")
    # 05:30 UTC is 00:30 in Bogota: idle for the last half hour.
    events = [{"event_time": "2024-01-01T05:30:00Z", "io_ign": True, "kph": 0}]

    row = idling_row(TRUCK, events, period, 5)

    assert row["idleTime"] == 1800


# ---- trips --------------------------------------------------------------

TRIP_EVENTS = [
    event("08:00:00", False, 0, dev_dist=1000),
    event("08:10:00", True, 0, dev_dist=1000, lat=1.0, lon=2.0),  # trip 1
    event("08:15:00", True, 60, dev_dist=1500),
    event("08:40:00", True, 0, dev_dist=26000),
    event("08:45:00", False, 0, dev_dist=26500, lat=1.5, lon=2.5),  # its end
    event("09:00:00", True, 0, dev_dist=26500),  # ignition on, never moves
    event("09:20:00", False, 0, dev_dist=26500),
    event("11:00:00", True, 0, dev_dist=26500, lat=3.0, lon=4.0),  # trip 2
    event("11:30:00", True, 100, dev_dist=40000, lat=3.5, lon=4.5),
    event("12:00:00", False, 0, dev_dist=40000),  # at `to`: outside
]


def trips_period():
    return day_period("08:00:00", "12:00:00")


def test_trips_run_from_ignition_on_to_the_ignition_off_event_or_to() -> None:
    rows = trip_rows(TRUCK, TRIP_EVENTS, trips_period(), Units("km", "kph"))

    first = {
        "vid": 7,
        "name": "Truck 7",
        "start": "2024-01-01T08:10:00",
        "end": "2024-01-01T08:45:00",
        "duration": 35 * 60,
        "distance": 25.5,  # 26500 m - 1000 m
        "max_speed": 60.0,
        "start_lat": 1.0,
        "start_lon": 2.0,
        "end_lat": 1.5,
        "end_lon": 2.5,
        "idle_time": 600,  # 08:10-08:15 and 08:40-08:45
    }
    second = {
        "vid": 7,
        "name": "Truck 7",
        "start": "2024-01-01T11:00:00",
        "end": "2024-01-01T12:00:00",  # still on at `to`
        "duration": 3600,
        "distance": 13.5,  # 40000 m - 26500 m
        "max_speed": 100.0,
        "start_lat": 3.0,
        "start_lon": 4.0,
        "end_lat": 3.5,  # the last event of the run
        "end_lon": 4.5,
        "idle_time": 1800,  # 11:00-11:30
    }
    assert rows == [first, second]


def test_trips_are_given_in_miles_and_mph_when_asked() -> None:
    rows = trip_rows(TRUCK, TRIP_EVENTS, trips_period(), Units("mile", "mph"))

    # 25500 m / 1609.344 = 15.84497 mi and 13500 m = 8.38851 mi;
    # 60 kph / 1.609344 = 37.28 mph and 100 kph = 62.14 mph.
    assert [row["distance"] for row in rows] == [15.845, 8.389]
    assert [row["max_speed"] for row in rows] == [37.3, 62.1]


def test_min_distance_is_in_km_whatever_the_distance_unit() -> None:
    period = trips_period()

    in_km = trip_rows(TRUCK, TRIP_EVENTS, period, Units("km", "kph"), 20)
    in_miles = trip_rows(TRUCK, TRIP_EVENTS, period, Units("mile", "mph"), 20)

    # Only the 25.5 km trip reaches 20 km; in miles it reads 15.845.
    assert [row["distance"] for row in in_km] == [25.5]
    assert [row["distance"] for row in in_miles] == [15.845]


def test_a_run_that_moves_but_gains_no_distance_is_not_a_trip() -> None:
    events = [
        event("08:00:00", True, 5, dev_dist=300),
        event("08:30:00", False, 0, dev_dist=300),
    ]

    assert trip_rows(TRUCK, events, trips_period(), Units()) == []


def test_a_trip_under_way_at_from_starts_at_the_first_event_in_the_period() -> None:
    events = [
        event("07:50:00", True, 50, dev_dist=0),  # before from: left out
        event("08:05:00", True, 50, dev_dist=2000),
        event("08:20:00", False, 0, dev_dist=9000),
    ]

    rows = trip_rows(TRUCK, events, trips_period(), Units())

    assert [(r["start"], r["end"], r["distance"]) for r in rows] == [
        ("2024-01-01T08:05:00", "2024-01-01T08:20:00", 7.0)
    ]


def test_kept_trips_have_distance_end_after_start_and_do_not_overlap() -> None:
    rng = random.Random(11)
    events, odometer = [], 0.0
    for minute in range(0, 240, 3):
        ign = rng.random() < 0.7
        kph = rng.choice([0, 0, 20, 50]) if ign else 0
        odometer += kph * 50
        time = f"{8 + minute // 60:02d}:{minute % 60:02d}:00"
        events.append(event(time, ign, kph, dev_dist=odometer))

    rows = trip_rows(TRUCK, events, trips_period(), Units())

    assert rows, "the random drive should hold some trips"
    for row in rows:
        assert row["distance"] > 0
        assert row["end"] > row["start"]
    for earlier, later in zip(rows, rows[1:], strict=False):
        assert earlier["end"] <= later["start"]


# ---- fleet status -------------------------------------------------------

NOW = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC)


KM = Units("km", "kph")


def status_of(events, *, units=KM, stale="P1D", clock=UTC):
    return status_row(TRUCK, events, clock, units, NOW, parse_duration(stale))


def test_a_moving_vehicle_shows_its_last_event_in_the_chosen_units() -> None:
    events = [
        {"event_time": "2024-05-01T11:00:00", "io_ign": False, "kph": 0},
        {
            "event_time": "2024-05-01T11:50:00",
            "io_ign": True,
            "kph": 50,
            "dev_dist": 123456,
            "lat": 19.4,
            "lon": -99.1,
        },
    ]

    in_km = status_of(events)
    in_miles = status_of(events, units=Units("mile", "mph"))

    assert in_km == {
        "vid": 7,
        "name": "Truck 7",
        "last_seen": "2024-05-01T11:50:00",
        "lat": 19.4,
        "lon": -99.1,
        "ignition": True,
        "speed": 50.0,
        "odometer": 123.5,  # 123.456 km
        "status": "moving",
    }
    # 50 kph = 31.07 mph; 123456 m = 76.71 mi.
    assert (in_miles["speed"], in_miles["odometer"]) == (31.1, 76.7)


@pytest.mark.parametrize(
    ("ign", "kph", "status"),
    [(True, 0, "idle"), (False, 0, "parked"), (True, 12, "moving")],
)
def test_status_follows_the_last_event(ign: bool, kph: int, status: str) -> None:
    events = [{"event_time": "2024-05-01T11:30:00", "io_ign": ign, "kph": kph}]

    assert status_of(events)["status"] == status


def test_a_vehicle_not_heard_from_within_stale_after_is_stale() -> None:
    events = [{"event_time": "2024-04-29T12:00:00", "io_ign": True, "kph": 80}]

    assert status_of(events)["status"] == "stale"  # 2 days > 1 day
    assert status_of(events, stale="P7D")["status"] == "moving"


def test_a_vehicle_with_nothing_in_the_last_7_days_is_silent() -> None:
    old = [{"event_time": "2024-04-20T12:00:00", "io_ign": True, "kph": 80}]
    future = [{"event_time": "2024-05-02T12:00:00", "io_ign": True, "kph": 80}]

    for events in ([], old, future):
        row = status_of(events)
        assert row["status"] == "silent"
        assert row["last_seen"] is None
        assert row["speed"] is None


def test_last_seen_is_a_wall_time_in_the_report_time_zone() -> None:
    new_york = ReportClock("America/New_York")  # UTC-4 in May
    # Raw data comes in UTC: 11:50 and 10:30 there.
    recent = [{"event_time": "2024-05-01T11:50:00", "io_ign": False, "kph": 0}]
    older = [{"event_time": "2024-05-01T10:30:00", "io_ign": False, "kph": 0}]

    row = status_of(recent, clock=new_york, stale="PT1H")

    # 07:50 in New York is 11:50 UTC: ten minutes before now.
    assert (row["last_seen"], row["status"]) == ("2024-05-01T07:50:00", "parked")
    # 06:30 there is 10:30 UTC: an hour and a half ago.
    assert status_of(older, clock=new_york, stale="PT1H")["status"] == "stale"


# ---- units and durations -------------------------------------------------


def test_speed_follows_the_distance_unit_unless_given() -> None:
    assert Units.from_prefs({"distance": "mile"}) == Units("mile", "mph")
    assert Units.from_prefs({"distance": "mile", "speed": "kph"}) == Units(
        "mile", "kph"
    )
    assert Units.from_prefs(None) == Units("km", "kph")


def test_durations_of_the_stale_after_choices() -> None:
    assert parse_duration("PT1H") == dt.timedelta(hours=1)
    assert parse_duration("PT6H") == dt.timedelta(hours=6)
    assert parse_duration("P1D") == dt.timedelta(days=1)
    assert parse_duration("P7D") == dt.timedelta(days=7)
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration("one day")
