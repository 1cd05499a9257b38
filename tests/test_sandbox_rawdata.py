"""The sandbox's /api/rawdata over real HTTP: determinism, time zones, units,
limits, and days that look like a real fleet's.

The fleet lives in America/New_York. The week used below, Thursday
2026-10-29 to Wednesday 2026-11-04, holds the end of daylight saving time
(Sunday 2026-11-01), so days of 24 and 25 hours are both exercised.
"""

import contextlib
import itertools
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from app.children import LocalServer, app_command

FLEET_TZ = "America/New_York"
WEEK = [date(2026, 10, 29) + timedelta(days=n) for n in range(7)]
TUESDAY = "2026-11-03"
# A closed period: "to" left out means now, which drifts out of range.
A_DAY = {"from": TUESDAY, "to": "2026-11-04"}
KM_PER_MILE = 1.609344

Event = dict[str, Any]


@contextlib.contextmanager
def running_sandbox(db: Path, *extra: str) -> Iterator[LocalServer]:
    server = LocalServer(
        "sandbox", app_command("sandbox", "--port", "0", "--db", str(db), *extra)
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


@contextlib.contextmanager
def signed_in(server: LocalServer) -> Iterator[httpx.Client]:
    assert server.url
    with httpx.Client(base_url=server.url, trust_env=False, timeout=60) as client:
        login = client.post("/api/login", json={"username": "demo", "password": "demo"})
        client.headers["Authenticate"] = login.json()["auth"]
        yield client


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    db = tmp_path_factory.mktemp("rawdata") / "sandbox.sqlite3"
    with running_sandbox(db) as server:
        yield server


@pytest.fixture
def api(sandbox: LocalServer) -> Iterator[httpx.Client]:
    with signed_in(sandbox) as client:
        yield client


def rawdata(client: httpx.Client, **params: Any) -> dict[str, Any]:
    response = client.get("/api/rawdata", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def day_events(client: httpx.Client, day: str, **params: Any) -> list[Event]:
    params = {"tz": FLEET_TZ, **params}
    body = rawdata(
        client, **{"from": f"{day}T00:00:00", "to": f"{day}T23:59:59"}, **params
    )
    events: list[Event] = body["events"]
    return events


def seconds(stamp: str) -> float:
    return datetime.fromisoformat(stamp).timestamp()


def test_the_same_query_gives_the_same_events(api: httpx.Client) -> None:
    first = day_events(api, TUESDAY, groups="1")
    second = day_events(api, TUESDAY, groups="1")

    assert first == second
    assert len(first) > 500


def test_the_seed_decides_the_movements(tmp_path: Path, api: httpx.Client) -> None:
    ours = day_events(api, TUESDAY, vehicles="1")
    with (
        running_sandbox(tmp_path / "same.sqlite3", "--seed", "1") as same,
        running_sandbox(tmp_path / "other.sqlite3", "--seed", "2") as other,
        signed_in(same) as same_api,
        signed_in(other) as other_api,
    ):
        again = day_events(same_api, TUESDAY, vehicles="1")
        different = day_events(other_api, TUESDAY, vehicles="1")

    assert again == ours
    assert different != ours


def test_a_week_at_once_equals_its_days_one_by_one(api: httpx.Client) -> None:
    week = rawdata(
        api,
        **{"from": f"{WEEK[0]}T00:00:00", "to": f"{WEEK[-1]}T23:59:59"},
        groups="1,3",
        tz=FLEET_TZ,
    )["events"]
    days = [e for day in WEEK for e in day_events(api, day.isoformat(), groups="1,3")]

    assert len(week) > 5_000
    assert week == sorted(days, key=lambda e: (e["vid"], e["id"]))


def test_events_are_sorted_by_vehicle_then_time(api: httpx.Client) -> None:
    events = day_events(api, TUESDAY, vehicles="16,1,11", tz="UTC")
    keys = [(e["vid"], seconds(e["event_time"])) for e in events]

    assert keys == sorted(keys)
    assert [e["vid"] for e in events][0] == 1
    assert len({e["id"] for e in events}) == len(events)


@pytest.mark.parametrize(
    ("day", "hours_behind"), [("2026-11-03", 5), ("2026-07-14", 4)], ids=["EST", "EDT"]
)
def test_the_time_zone_moves_wall_times_only(
    api: httpx.Client, day: str, hours_behind: int
) -> None:
    utc = rawdata(
        api, **{"from": f"{day}T14:00:00", "to": f"{day}T20:00:00"}, vehicles="12"
    )["events"]
    start = 14 - hours_behind
    window = {"from": f"{day}T{start:02d}:00:00", "to": f"{day}T{start + 6:02d}:00:00"}
    local = rawdata(api, **window, vehicles="12", tz=FLEET_TZ)["events"]
    by_header = api.get(
        "/api/rawdata",
        params={**window, "vehicles": "12"},
        headers={"X-Time-Zone": FLEET_TZ},
    ).json()["events"]

    assert [e["id"] for e in utc] == [e["id"] for e in local]
    assert len(utc) > 10
    for u, n in zip(utc, local, strict=True):
        shift = seconds(u["event_time"]) - seconds(n["event_time"])
        assert shift == hours_behind * 3600
    assert by_header == local


def test_units_of_distance_and_speed(api: httpx.Client) -> None:
    common = {"vehicles": "12"}
    meters = day_events(api, TUESDAY, **common)
    km = rawdata(
        api,
        **{"from": f"{TUESDAY}T00:00:00", "to": f"{TUESDAY}T23:59:59"},
        tz=FLEET_TZ,
        distance="km",
        speed="mph",
        **common,
    )
    miles = day_events(api, TUESDAY, distance="mile", **common)

    assert km["units"]["distance"] == "km"
    assert km["units"]["speed"] == "mph"
    assert any(e["kph"] > 0 for e in meters)
    for m, k, mi in zip(meters, km["events"], miles, strict=True):
        assert m["id"] == k["id"] == mi["id"]
        assert k["dev_dist"] == pytest.approx(m["dev_dist"] / 1000, abs=0.002)
        assert mi["dev_dist"] == pytest.approx(
            m["dev_dist"] / 1000 / KM_PER_MILE, abs=0.002
        )
        assert m["speed"] == m["kph"]
        assert k["speed"] == k["mph"]
        assert k["mph"] == pytest.approx(k["kph"] / KM_PER_MILE, abs=0.006)


def test_default_units_are_meters_and_kph(api: httpx.Client) -> None:
    body = rawdata(api, **{"from": TUESDAY, "to": f"{TUESDAY}T06:00:00"}, vehicles="1")

    assert body["units"]["distance"] == "meter"
    assert body["units"]["speed"] == "kph"


def test_fields_pick_columns_and_keep_the_identifying_ones(api: httpx.Client) -> None:
    events = day_events(api, TUESDAY, vehicles="1", fields="lat,lon")
    default = day_events(api, TUESDAY, vehicles="1")

    assert set(events[0]) == {"event_time", "system_time", "id", "vid", "lat", "lon"}
    assert {
        "event_time", "system_time", "id", "vid", "device_id", "type", "code",
        "label", "lat", "lon", "head", "speed", "mph", "kph", "sv", "hdop",
        "valid_position", "io_ign", "dev_dist",
    } <= set(default[0])  # fmt: skip


def test_a_group_means_its_vehicles(api: httpx.Client) -> None:
    events = day_events(api, TUESDAY, groups="2")

    assert {e["vid"] for e in events} <= {6, 7, 8, 9, 10}
    assert len({e["vid"] for e in events}) >= 3


def test_unknown_vehicles_are_simply_absent(api: httpx.Client) -> None:
    events = day_events(api, TUESDAY, vehicles="999,1")

    assert {e["vid"] for e in events} == {1}


def test_at_most_25_vehicles_per_request(api: httpx.Client) -> None:
    window = {"from": TUESDAY, "to": f"{TUESDAY}T01:00:00"}
    too_many = api.get(
        "/api/rawdata",
        params={**window, "vehicles": ",".join(str(v) for v in range(1, 127))},
    )
    groups_too = api.get(
        "/api/rawdata",
        params={**window, "groups": "1,2,3,4", "vehicles": "901,902,903,904,905,906"},
    )
    enough = api.get(
        "/api/rawdata",
        params={**window, "vehicles": ",".join(str(v) for v in range(1, 26))},
    )

    assert too_many.status_code == 400
    assert too_many.json()["message"].startswith("vehicles:")
    assert "25" in too_many.json()["message"]
    assert groups_too.status_code == 400
    assert enough.status_code == 200


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"from": "2026-13-01"}, "from"),
        ({"from": TUESDAY, "to": "yesterday"}, "to"),
        ({**A_DAY, "tz": "Mars/Olympus"}, "tz"),
        ({**A_DAY, "distance": "furlong"}, "distance"),
        ({**A_DAY, "speed": "knots"}, "speed"),
        ({"duration": "5D"}, "duration"),
        ({**A_DAY, "head": "ten"}, "head"),
        ({**A_DAY, "vehicles": "a,b"}, "vehicles"),
        ({**A_DAY, "groups": "north"}, "groups"),
        ({"from": "2026-11-04", "to": "2026-11-03"}, "from"),
        ({"vehicles": "1"}, "from"),
    ],
)
def test_bad_parameters_are_a_400_naming_them(
    api: httpx.Client, params: dict[str, str], name: str
) -> None:
    response = api.get("/api/rawdata", params=params)

    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["message"].startswith(f"{name}:")


@pytest.mark.parametrize("name", ["resample", "filter", "async", "exclude", "export"])
def test_parameters_the_sandbox_cannot_honour_are_refused(
    api: httpx.Client, name: str
) -> None:
    response = api.get(
        "/api/rawdata", params={"from": TUESDAY, "vehicles": "1", name: "csv"}
    )

    assert response.status_code == 400
    assert response.json()["message"].startswith(f"{name}:")


def test_types_and_labels_filter_events(api: httpx.Client) -> None:
    keep_alives = day_events(api, TUESDAY, vehicles="1,11", types="100")
    ignition = day_events(api, TUESDAY, vehicles="1,11", labels="ignon,ignoff")

    assert keep_alives
    assert {e["type"] for e in keep_alives} == {100}
    assert {e["label"] for e in ignition} == {"ignon", "ignoff"}
    for vid in (1, 11):
        labels = [e["label"] for e in ignition if e["vid"] == vid]
        assert labels[0] == "ignon"
        assert labels[-1] == "ignoff"
        assert labels.count("ignon") == labels.count("ignoff")


def test_a_duration_counts_back_from_to(api: httpx.Client) -> None:
    to = f"{TUESDAY}T12:00:00"
    by_duration = rawdata(api, to=to, duration="PT4H", vehicles="1,11", tz=FLEET_TZ)
    by_from = rawdata(
        api, **{"from": f"{TUESDAY}T08:00:00"}, to=to, vehicles="1,11", tz=FLEET_TZ
    )

    assert by_duration == by_from
    assert by_duration["events"]
    assert all(
        f"{TUESDAY}T08:00:00" <= e["event_time"] <= to for e in by_duration["events"]
    )


def test_nothing_is_reported_from_the_future(api: httpx.Client) -> None:
    now = datetime.now(ZoneInfo("UTC")).replace(tzinfo=None)
    later = now + timedelta(days=2)
    events = rawdata(
        api,
        **{"from": (now - timedelta(hours=6)).isoformat(timespec="seconds")},
        to=later.isoformat(timespec="seconds"),
        vehicles="1,2,11",
    )["events"]

    assert events
    assert (
        max(e["event_time"] for e in events) <= (now + timedelta(minutes=1)).isoformat()
    )


def test_head_and_tail(api: httpx.Client) -> None:
    every = day_events(api, TUESDAY, vehicles="1,2")

    assert day_events(api, TUESDAY, vehicles="1,2", head=5) == every[:5]
    assert day_events(api, TUESDAY, vehicles="1,2", tail=3) == every[-3:]


def runs(events: list[Event], test: Any) -> list[list[Event]]:
    """Stretches of consecutive events for which test(event) holds."""
    found: list[list[Event]] = []
    current: list[Event] = []
    for event in events:
        if test(event):
            current.append(event)
        elif current:
            found.append(current)
            current = []
    if current:
        found.append(current)
    return found


def test_a_working_day_looks_like_a_real_one(api: httpx.Client) -> None:
    fleet = day_events(api, TUESDAY)
    by_vehicle: dict[int, list[Event]] = {}
    for event in fleet:
        by_vehicle.setdefault(event["vid"], []).append(event)
    working = {
        vid: events
        for vid, events in by_vehicle.items()
        if sum(1 for e in events if e["kph"] > 0) > 50
    }
    assert len(working) >= 14  # of 17 vehicles that report, on a Tuesday

    for events in working.values():
        # Nights: parked, ignition off, a keep-alive every 30 to 60 minutes.
        night = events[: events.index(next(e for e in events if e["io_ign"]))]
        assert all(e["type"] == 100 and e["kph"] == 0 for e in night)
        gaps = [
            seconds(b["event_time"]) - seconds(a["event_time"])
            for a, b in itertools.pairwise(night)
        ]
        assert all(1_700 <= gap <= 3_700 for gap in gaps), gaps
        assert not events[-1]["io_ign"]

        # Driving: a point every 30 to 60 s (sooner when pulling in), at
        # speeds the odometer agrees with.
        driving_gaps = []
        for a, b in itertools.pairwise(events):
            elapsed = seconds(b["event_time"]) - seconds(a["event_time"])
            travelled = b["dev_dist"] - a["dev_dist"]
            assert elapsed > 0
            assert travelled >= 0
            assert travelled / elapsed * 3.6 <= 125
            if a["kph"] > 0 and b["kph"] > 0:
                driving_gaps.append(elapsed)
        assert all(5 <= gap <= 60 for gap in driving_gaps)
        usual = [gap for gap in driving_gaps if gap >= 30]
        assert len(usual) > 0.9 * len(driving_gaps)

        # Stops with the engine running: ignition on, standing still.
        assert any(e["io_ign"] and e["kph"] == 0 for e in events)
        for e in events:
            delay = seconds(e["system_time"]) - seconds(e["event_time"])
            assert 0 < delay < 10
            assert len(e["system_time"].split(".")[1]) == 6


def test_the_fleet_idles_more_than_ten_minutes_at_times(api: httpx.Client) -> None:
    events = rawdata(
        api,
        **{"from": f"{WEEK[0]}T00:00:00", "to": f"{WEEK[-1]}T23:59:59"},
        groups="3",
        tz=FLEET_TZ,
        fields="io_ign,kph,type",
    )["events"]
    idle = runs(events, lambda e: e["io_ign"] and e["kph"] == 0)
    longest = max(
        seconds(run[-1]["event_time"]) - seconds(run[0]["event_time"]) for run in idle
    )

    assert longest > 600


def test_weekends_are_quieter(api: httpx.Client) -> None:
    def moving_points(day: date) -> int:
        events = day_events(api, day.isoformat(), fields="kph")
        return sum(1 for e in events if e["kph"] > 0)

    saturday, sunday = date(2026, 10, 31), date(2026, 11, 1)
    monday, tuesday = date(2026, 11, 2), date(2026, 11, 3)

    assert (
        moving_points(saturday) + moving_points(sunday)
        < (moving_points(monday) + moving_points(tuesday)) / 2
    )


def test_the_odometer_never_goes_back_across_days(api: httpx.Client) -> None:
    events = rawdata(
        api,
        **{"from": f"{WEEK[0]}T00:00:00", "to": f"{WEEK[-1]}T23:59:59"},
        vehicles="1,11,16",
        fields="dev_dist",
    )["events"]

    for a, b in itertools.pairwise(events):
        if a["vid"] == b["vid"]:
            assert b["dev_dist"] >= a["dev_dist"]


def test_silent_vehicles(api: httpx.Client) -> None:
    week = rawdata(
        api,
        **{"from": f"{WEEK[0]}T00:00:00", "to": f"{WEEK[-1]}T23:59:59"},
        vehicles="8,19,20",
        fields="kph",
    )["events"]
    recent = rawdata(api, duration="P3D", vehicles="8", fields="kph")["events"]
    today = datetime.now(ZoneInfo(FLEET_TZ)).date()
    before = rawdata(
        api,
        **{"from": f"{today - timedelta(days=10)}T00:00:00"},
        to=f"{today - timedelta(days=6)}T23:59:59",
        vehicles="8",
        tz=FLEET_TZ,
        fields="kph",
    )["events"]

    assert {e["vid"] for e in week} == {8}  # 19 and 20 never report
    assert before  # 8 reported until a few days ago...
    assert recent == []  # ...and nothing since


DAY = {"from": "2026-11-02T00:00:00", "to": "2026-11-03T00:00:00"}


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"from": "0001-01-01", "to": "0001-01-02", "tz": "Asia/Tokyo"}, "to"),
        ({"from": "0001-01-01", "to": "2026-11-02", "tz": "UTC"}, "from"),
        ({"from": "2026-11-02", "to": "9999-12-31T23:59:59",
          "tz": "Pacific/Kiritimati"}, "to"),
        ({**DAY, "fields": "[" * 5_000}, "fields"),
        ({**DAY, "fields": "[[[1]]]"}, "fields"),
        ({**DAY, "fields": '["kph", NaN]'}, "fields"),
        ({"duration": "P" + "9" * 400 + "Y"}, "from"),
    ],
    ids=["year-1-tokyo", "year-1-utc", "year-9999-kiritimati", "deep-fields",
         "nested-fields", "nan-fields", "endless-duration"],
)  # fmt: skip
def test_impossible_times_and_fields_are_a_400_naming_them(
    api: httpx.Client, params: dict[str, str], name: str
) -> None:
    response = api.get("/api/rawdata", params={"vehicles": "1", **params})

    assert response.status_code == 400, response.text
    assert response.json()["message"].startswith(name)
