"""The embedded engine as a real process, driven the way a gateway drives it.

The gateway is the recording gateway of tests/support/engine_gateway.py;
the engine runs as `python -m app engine`.
"""

import datetime as dt
import subprocess
import time
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
    raw_get,
    rows_of_csv,
)

from app.children import LocalServer, app_command


def test_the_manifest_offers_the_three_reports(engine: str) -> None:
    manifest = httpx.get(f"{engine}/manifest", timeout=10).json()

    scripts = {s["script"]: s for s in manifest["scripts"]}
    assert {
        k: (s["title"], s["category"], s["schedule"]) for k, s in scripts.items()
    } == {
        "idling": ("Idling Usage", "vehicle_metrics", True),
        "trips": ("Trips", "trip_analysis", True),
        "fleet_status": ("Fleet Status", "fleet_status", False),
    }
    for script in scripts.values():
        assert "icon" not in script
        assert len(script["desc"]) < 150
    assert scripts["idling"]["parameters_schema"]["required"] == ["from", "to"]
    assert scripts["idling"]["parameters_schema"]["properties"]["min_idle"] == {
        "$ref": "#/definitions/min_idle"
    }
    assert "from" not in scripts["fleet_status"]["parameters_schema"]["properties"]
    assert manifest["definitions"]["from"]["peg_type"] == "$from"
    assert manifest["definitions"]["min_idle"]["maximum"] == 1440


def test_the_manifest_offers_only_settings_that_change_the_files(
    engine: str, gateway: RecordingGateway
) -> None:
    manifest = httpx.get(f"{engine}/manifest", timeout=10).json()

    prefs = manifest["definitions"]["prefs"]
    assert set(prefs["properties"]) == {"distance", "speed"}
    fleet = next(s for s in manifest["scripts"] if s["script"] == "fleet_status")
    stale_after = fleet["parameters_schema"]["properties"]["stale_after"]
    assert stale_after["title"] == "Stale after"
    assert "stale" in stale_after["description"]

    # What a gateway adds to prefs on its own is still taken, and ignored.
    sent = {"distance": "mile", "speed": "mph", "volume": "gallon", "language": "es"}
    job_id, _, _ = post_job(
        engine, gateway, "trips", {**PERIOD, "vehicles": [1], "prefs": sent}
    )
    final = gateway.wait_for_end(job_id)
    assert final["state"] == "done", final
    assert final["result"]["summary"]["distance_unit"] == "mile"


# ---- a job from start to files -----------------------------------------


def test_an_idling_job_reports_progress_then_done_with_its_files(
    engine: str, gateway: RecordingGateway
) -> None:
    job_id, token, answer = post_job(
        engine, gateway, "idling", {**PERIOD, "vehicles": [1, 2, 3], "min_idle": 5}
    )

    assert answer.status_code == 202
    final = gateway.wait_for_end(job_id)
    assert final["state"] == "done", final
    assert final["progress"] == {"percentage": 100}
    assert final["result"]["files"] == ["idling.json", "idling.csv"]
    assert final["result"]["summary"]["vehicles"] == 3
    assert final["result"]["summary"]["idle_hours"] == round(4200 / 3600, 2)

    running = [u for u in gateway.updates(job_id) if u["state"] == "running"]
    percentages = [u["progress"]["percentage"] for u in running]
    assert len(percentages) >= 4  # checked, resolved, then one per vehicle
    assert percentages == sorted(set(percentages))
    assert all(u["_token"] == token for u in gateway.updates(job_id))

    rawdata = [q for path, q in gateway.requests_with(token) if path == "/api/rawdata"]
    assert [q["vehicles"] for q in rawdata] == ["1", "2", "3"]
    assert {(q["from"], q["to"], q["tz"]) for q in rawdata} == {
        ("2024-01-01T00:00:00", "2024-01-01T02:00:00", "UTC")
    }

    csv_answer = httpx.get(f"{engine}/jobs/{SITE_ID}/{job_id}/idling.csv", timeout=10)
    assert csv_answer.headers["content-type"].startswith("text/csv")
    rows = rows_of_csv(csv_answer.text)
    assert [
        (r["vid"], r["name"], r["idleTime"], r["idle_count"], r["percent_idle"])
        for r in rows
    ] == [
        ("1", "Truck 1", "4200", "2", "78"),
        ("2", "Truck 2", "0", "0", "0"),
        ("3", "Van 3", "0", "0", "0"),
    ]
    assert list(rows[0]) == [
        "vid",
        "name",
        "from",
        "to",
        "idleTime",
        "idle_count",
        "percent_idle",
    ]

    json_answer = httpx.get(f"{engine}/jobs/{SITE_ID}/{job_id}/idling.json", timeout=10)
    assert json_answer.headers["content-type"].startswith("application/json")
    assert json_answer.json()["rows"][0]["idleTime"] == 4200


def test_formats_choose_the_files_and_xlsx_opens(
    engine: str, gateway: RecordingGateway, tmp_path: Path
) -> None:
    job_id, _, _ = post_job(
        engine,
        gateway,
        "trips",
        {
            **PERIOD,
            "vehicles": [1],
            "formats": ["xlsx", "csv"],
            "prefs": {"distance": "mile"},
        },
    )

    final = gateway.wait_for_end(job_id)
    assert final["result"]["files"] == ["trips.csv", "trips.xlsx"]

    answer = httpx.get(f"{engine}/jobs/{SITE_ID}/{job_id}/trips.xlsx", timeout=10)
    assert answer.headers["content-type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    (tmp_path / "trips.xlsx").write_bytes(answer.content)
    sheet = openpyxl.load_workbook(tmp_path / "trips.xlsx").active
    header, *rows = list(sheet.values)
    assert header[:7] == (
        "vid",
        "name",
        "start",
        "end",
        "duration",
        "distance",
        "max_speed",
    )
    # 8000 m = 4.971 mi; 40 kph = 24.9 mph (speed follows the distance unit).
    start, end = dt.datetime(2024, 1, 1, 0, 0), dt.datetime(2024, 1, 1, 0, 30)
    assert [row[:7] for row in rows] == [(1, "Truck 1", start, end, 1800, 4.971, 24.9)]
    # Times are date-time cells a spreadsheet can compute with, shown in full.
    assert sheet["C2"].is_date
    assert sheet["C2"].number_format == "yyyy-mm-dd hh:mm:ss"
    assert sheet.column_dimensions["C"].width >= 19
    assert sheet.column_dimensions["B"].width >= len("Truck 1")
    missing = httpx.get(f"{engine}/jobs/{SITE_ID}/{job_id}/trips.json", timeout=10)
    assert missing.status_code == 404


def test_groups_add_their_members_and_no_choice_means_every_vehicle(
    engine: str, gateway: RecordingGateway
) -> None:
    def vids(parameters: dict[str, Any]) -> list[int]:
        job_id, _, _ = post_job(engine, gateway, "idling", {**PERIOD, **parameters})
        assert gateway.wait_for_end(job_id)["state"] == "done"
        answer = httpx.get(f"{engine}/jobs/{SITE_ID}/{job_id}/idling.json", timeout=10)
        return [row["vid"] for row in answer.json()["rows"]]

    assert vids({"groups": [10]}) == [1, 2]  # the group lists its vehicles
    assert vids({"groups": [20], "vehicles": [1]}) == [1, 3]  # by the vehicles
    assert vids({}) == [1, 2, 3]  # across both pages of vehicles


def test_fleet_status_looks_back_from_now(
    engine: str, gateway: RecordingGateway
) -> None:
    job_id, token, _ = post_job(engine, gateway, "fleet_status", {})

    final = gateway.wait_for_end(job_id)
    assert final["state"] == "done", final
    summary = final["result"]["summary"]
    assert (summary["moving"], summary["stale"], summary["silent"]) == (1, 1, 1)

    rawdata = [q for path, q in gateway.requests_with(token) if path == "/api/rawdata"]
    assert {(q["duration"], q["tail"]) for q in rawdata} == {("P7D", "1")}
    answer = httpx.get(f"{engine}/jobs/{SITE_ID}/{job_id}/fleet_status.csv", timeout=10)
    rows = rows_of_csv(answer.text)
    assert [(r["vid"], r["status"], r["speed"], r["odometer"]) for r in rows] == [
        ("1", "moving", "50.0", "123.5"),
        ("2", "stale", "", ""),
        ("3", "silent", "", ""),
    ]


def test_a_gateway_url_with_api_and_a_slash_and_a_text_created_at_work(
    engine: str, gateway: RecordingGateway
) -> None:
    job_id, _, answer = post_job(
        engine,
        gateway,
        "idling",
        {**PERIOD, "vehicles": [2]},
        site_url=gateway.url + "/api/",
        job_created_at="1704067200.5",
        site_id=str(SITE_ID),
        job_id=None,
    )

    assert answer.status_code == 400  # a job with no id cannot be reported
    job_id, _, answer = post_job(
        engine,
        gateway,
        "idling",
        {**PERIOD, "vehicles": [2]},
        site_url=gateway.url + "/api/",
        job_created_at="1704067200.5",
        site_id=str(SITE_ID),
    )
    assert answer.status_code == 202
    assert gateway.wait_for_end(job_id)["state"] == "done"


# ---- jobs that end in error ---------------------------------------------


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({**PERIOD, "min_idle": 5000}, "parameter 'min_idle' must be at most 1440"),
        ({"to": PERIOD["to"]}, "parameter 'from' is required"),
        ({**PERIOD, "prefs": {"distance": "parsec"}}, "parameter 'prefs/distance'"),
        ({**PERIOD, "stale_after": "P99999999999D"}, "parameter 'stale_after'"),
    ],
)
def test_bad_parameters_end_the_job_in_error_before_any_other_work(
    engine: str, gateway: RecordingGateway, parameters: dict, message: str
) -> None:
    job_id, token, answer = post_job(engine, gateway, "idling", parameters)

    assert answer.status_code == 202
    final = gateway.wait_for_end(job_id)
    assert final["state"] == "error"
    assert message in final["result"]["error"]
    assert gateway.requests_with(token) == []


def test_an_unknown_vehicle_is_named(engine: str, gateway: RecordingGateway) -> None:
    job_id, _, _ = post_job(engine, gateway, "idling", {**PERIOD, "vehicles": [1, 999]})

    final = gateway.wait_for_end(job_id)

    assert final["state"] == "error"
    assert final["result"]["error"] == "vehicle 999 not found"


def test_an_unknown_group_is_named(engine: str, gateway: RecordingGateway) -> None:
    job_id, _, _ = post_job(engine, gateway, "idling", {**PERIOD, "groups": [77]})

    assert gateway.wait_for_end(job_id)["result"]["error"] == "group 77 not found"


def test_a_rawdata_failure_gives_its_status_and_message(
    engine: str, gateway: RecordingGateway
) -> None:
    job_id, _, _ = post_job(
        engine, gateway, "idling", {**PERIOD, "vehicles": [1]}, token="tok-busy-1"
    )

    final = gateway.wait_for_end(job_id)

    assert final["state"] == "error"
    assert final["result"]["error"] == "rawdata request failed: 503 rawdata is resting"


def test_an_unknown_script_is_refused_and_reported_to_the_gateway(
    engine: str, gateway: RecordingGateway
) -> None:
    job_id, _, answer = post_job(engine, gateway, "teleport", {**PERIOD})

    assert answer.status_code == 404
    assert "teleport" in answer.json()["message"]
    final = gateway.wait_for_end(job_id)
    assert final["state"] == "error"
    assert "no script named 'teleport'" in final["result"]["error"]


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1, 2]",
        b'{"parameters": {}}',
        b'{"configuration": {"site_id": 1, "job_id": "12a", "job_name": "idling",'
        b' "site_url": "http://127.0.0.1:9", "api_token": "tok-x"}}',
        b'{"configuration": {"site_id": 1, "job_id": 5, "job_name": "idling",'
        b' "site_url": "ftp://127.0.0.1", "api_token": "tok-x"}}',
        # Half a character: it could be read, but never sent or written back.
        b'{"configuration": {"site_id": 1, "job_id": 5, "job_name": "\\ud800",'
        b' "site_url": "http://127.0.0.1:9", "api_token": "tok-x"}}',
    ],
)
def test_a_malformed_job_is_refused_with_a_message(engine: str, body: bytes) -> None:
    answer = httpx.post(
        f"{engine}/jobs",
        content=body,
        headers={"Content-Type": "application/json"},
        timeout=10,
    )

    assert answer.status_code == 400
    assert answer.json()["message"]


# ---- files: only what a job produced -------------------------------------


def test_only_files_a_job_produced_can_be_fetched(
    engine: str, gateway: RecordingGateway, engine_files: Path
) -> None:
    job_id, _, _ = post_job(engine, gateway, "idling", {**PERIOD, "vehicles": [2]})
    assert gateway.wait_for_end(job_id)["state"] == "done"
    other_id, _, _ = post_job(engine, gateway, "trips", {**PERIOD, "vehicles": [1]})
    assert gateway.wait_for_end(other_id)["state"] == "done"
    (engine_files / "secret.csv").write_text("do not serve")
    (engine_files / str(SITE_ID) / str(job_id) / ".hidden.csv").write_text("no")
    base = f"/jobs/{SITE_ID}/{job_id}"

    assert raw_get(engine, f"{base}/idling.csv") == 200
    for path in [
        f"{base}/../../secret.csv",
        f"{base}/..%2f..%2fsecret.csv",
        f"{base}/%2e%2e%2f%2e%2e%2fsecret.csv",
        f"{base}/%2e%2e",
        f"{base}/..\\..\\secret.csv",
        f"{base}/..%5c..%5csecret.csv",
        f"{base}//etc/passwd",
        f"{base}/%2fetc%2fpasswd",
        f"{base}/trips.csv",  # another job's file, by this job's path
        f"{base}/.hidden.csv",
        f"{base}/idling.py",
        f"/jobs/{SITE_ID}/x{job_id}/idling.csv",
        f"/jobs/{SITE_ID}/-{job_id}/idling.csv",
        f"/jobs/..%2f{SITE_ID}/{job_id}/idling.csv",
        f"/jobs/{SITE_ID}/{job_id + 100000}/idling.csv",
    ]:
        assert raw_get(engine, path) == 404, path
    assert raw_get(engine, f"/jobs/{SITE_ID}/{other_id}/trips.csv") == 200


def test_a_long_period_is_fetched_in_windows_of_at_most_31_days(
    engine: str, gateway: RecordingGateway
) -> None:
    period = {"from": "2024-01-01T00:00:00", "to": "2024-03-11T00:00:00"}
    job_id, token, _ = post_job(engine, gateway, "idling", {**period, "vehicles": [1]})

    final = gateway.wait_for_end(job_id)

    assert final["state"] == "done", final
    windows = [
        (q["from"], q["to"])
        for path, q in gateway.requests_with(token)
        if path == "/api/rawdata"
    ]
    assert windows == [
        ("2024-01-01T00:00:00", "2024-02-01T00:00:00"),
        ("2024-02-01T00:00:00", "2024-03-03T00:00:00"),
        ("2024-03-03T00:00:00", "2024-03-11T00:00:00"),
    ]
    answer = httpx.get(f"{engine}/jobs/{SITE_ID}/{job_id}/idling.json", timeout=10)
    # The same events as the two-hour report: idle 4200 s of 5400 s on.
    assert answer.json()["rows"][0]["idleTime"] == 4200
    assert answer.json()["rows"][0]["percent_idle"] == 78


# ---- the process ----------------------------------------------------------


def test_a_job_cut_short_by_shutdown_ends_in_error_at_the_gateway(
    gateway: RecordingGateway, tmp_path: Path
) -> None:
    server = LocalServer(
        "engine", app_command("engine", "--port", "0", "--files", str(tmp_path))
    )
    url = server.start()
    try:
        job_id, _, answer = post_job(
            url, gateway, "idling", {**PERIOD, "vehicles": [1]}, token="tok-slow-1"
        )
        assert answer.status_code == 202
        # Wait until the job is fetching raw data, then stop the engine.
        deadline = time.monotonic() + 30
        while not any(
            u.get("progress", {}).get("percentage") == 10
            for u in gateway.updates(job_id)
        ):
            assert time.monotonic() < deadline, gateway.updates(job_id)
            time.sleep(0.05)
    finally:
        server.stop()

    final = gateway.wait_for_end(job_id)
    assert final["state"] == "error"
    assert final["result"]["error"] == (
        "the engine stopped before the report was finished"
    )
    assert server.returncode is not None


def test_watch_stdin_ends_the_engine_when_its_parent_goes(tmp_path: Path) -> None:
    process = subprocess.Popen(
        app_command("engine", "--port", "0", "--files", str(tmp_path), "--watch-stdin"),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        assert process.stdout is not None
        assert b"engine listening on http://127.0.0.1:" in process.stdout.readline()
        assert process.stdin is not None
        process.stdin.close()  # what the OS does when the parent dies

        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stdout:
            process.stdout.close()
