"""The embedded engine behind the real sandbox gateway, end to end.

A user signs in to the sandbox, runs Idling Usage on the embedded engine,
follows the job until it is done and downloads its CSV through the
gateway. The rows are checked against the report's definition, worked out
here again, simply, from the gateway's own raw data.
"""

import csv
import datetime as dt
import io
import time
from typing import Any

import httpx
import pytest

from app.local_stack import DemoStack

pytestmark = pytest.mark.slow


def sign_in(stack: DemoStack) -> httpx.Client:
    client = httpx.Client(base_url=stack.gateway_url, timeout=30)
    answer = client.post(
        "/api/login", json={"username": stack.username, "password": stack.password}
    )
    answer.raise_for_status()
    client.headers["Authenticate"] = answer.json()["auth"]
    return client


def wait_until_ended(client: httpx.Client, job_id: int) -> dict[str, Any]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        job = client.get(f"/api/job_manager/{job_id}").json()
        if job["state"] in ("done", "error"):
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} is still {job['state']}")


def idle_by_definition(events: list[dict[str, Any]], end: dt.datetime, min_idle: int):
    """Idle seconds, kept periods and ignition-on seconds, straight from the rules."""
    times = [dt.datetime.fromisoformat(e["event_time"]) for e in events]
    order = sorted(range(len(events)), key=lambda i: times[i])
    ignition_on, idle, kept, run = 0.0, 0.0, 0, 0.0
    for position, index in enumerate(order):
        event = events[index]
        following = order[position + 1] if position + 1 < len(order) else None
        until = times[following] if following is not None else end
        held = (until - times[index]).total_seconds()
        if event.get("io_ign") is True:
            ignition_on += held
        if event.get("io_ign") is True and event.get("kph") == 0:
            run += held
        else:
            if run >= min_idle * 60:
                idle, kept = idle + run, kept + 1
            run = 0.0
    if run >= min_idle * 60:
        idle, kept = idle + run, kept + 1
    return idle, kept, ignition_on


def test_idling_runs_through_the_sandbox_and_matches_its_definition(
    demo_stack: DemoStack,
) -> None:
    client = sign_in(demo_stack)
    today = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    start, end = today - dt.timedelta(days=2), today - dt.timedelta(days=1)
    period = {
        "from": start.strftime("%Y-%m-%dT%H:%M:%S"),
        "to": end.strftime("%Y-%m-%dT%H:%M:%S"),
    }
    try:
        created = client.post(
            "/api/job_manager",
            json={
                "script": "idling",
                "name": "Idling Usage",
                "expires": 3600,
                "engine": demo_stack.engine_url,
                "args": {**period, "tz": "UTC", "min_idle": 5, "vehicles": [],
                         "groups": []},
            },
        )  # fmt: skip
        assert created.status_code in (200, 201), created.text
        job = wait_until_ended(client, created.json()["id"])
        assert job["state"] == "done", job["result"]
        assert job["result"]["files"] == ["idling.json", "idling.csv"]

        download = client.get(f"/api/job_manager/{job['id']}/idling.csv")
        assert download.status_code == 200
        rows = list(csv.DictReader(io.StringIO(download.text)))
        vehicles = client.get("/api/vehicles", params={"set": 1000}).json()["data"]
        assert [(int(r["vid"]), r["name"]) for r in rows] == sorted(
            (v["id"], v["name"]) for v in vehicles
        )

        for row in rows:
            events = client.get(
                "/api/rawdata",
                params={**period, "vehicles": row["vid"], "tz": "UTC",
                        "fields": "event_time,io_ign,kph"},
            ).json()["events"]  # fmt: skip
            inside = [e for e in events if e["event_time"] < period["to"]]
            naive_end = end.replace(tzinfo=None)
            idle, kept, ignition_on = idle_by_definition(inside, naive_end, 5)
            percent = int(idle * 100 / ignition_on + 0.5) if ignition_on else 0
            assert (
                int(row["idleTime"]),
                int(row["idle_count"]),
                int(row["percent_idle"]),
            ) == (int(idle + 0.5), kept, percent), row
        assert any(int(row["idleTime"]) > 0 for row in rows)
    finally:
        client.close()
