"""The embedded engine behind the real sandbox gateway, end to end.

A user signs in to the sandbox, runs Idling Usage on the embedded engine,
follows the job until it is done and downloads its CSV through the
gateway. The rows are checked against the report's definition, worked out
here again, simply, from the gateway's own raw data.
"""

import contextlib
import csv
import datetime as dt
import io
import time
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from app.children import LocalServer, app_command
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


# ---- several sandboxes, an engine that dies ------------------------------------


def start(servers: contextlib.ExitStack, name: str, *args: str) -> LocalServer:
    """Start a server that servers stops at the end, whatever happens."""
    server = LocalServer(name, app_command(name, "--port", "0", *args))
    servers.callback(server.stop)
    server.start()
    return server


def signed_in(servers: contextlib.ExitStack, server: LocalServer) -> httpx.Client:
    client = servers.enter_context(
        httpx.Client(base_url=str(server.url), timeout=30, trust_env=False)
    )
    answer = client.post("/api/login", json={"username": "demo", "password": "demo"})
    answer.raise_for_status()
    client.headers["Authenticate"] = answer.json()["auth"]
    return client


def run_idling(client: httpx.Client, engine: str, args: dict[str, Any]) -> int:
    created = client.post(
        "/api/job_manager",
        json={"script": "idling", "expires": 3600, "engine": engine, "args": args},
    )
    assert created.status_code == 201, created.text
    job_id: int = created.json()["id"]
    return job_id


def yesterday() -> dict[str, str]:
    today = dt.datetime.now(dt.UTC).date()
    start = today - dt.timedelta(days=1)
    return {"from": f"{start}T00:00:00", "to": f"{today}T00:00:00", "tz": "UTC"}


def test_two_sandboxes_sharing_one_engine_each_get_their_own_files(
    tmp_path: Path,
) -> None:
    with contextlib.ExitStack() as servers:
        engine = str(start(servers, "engine", "--files", str(tmp_path / "files")).url)
        clients = [
            signed_in(servers, start(servers, "sandbox", "--db",
                                     str(tmp_path / f"{name}.sqlite3"),
                                     "--engine", engine))
            for name in ("first", "second")
        ]  # fmt: skip

        # Both databases are new: both jobs get id 1.
        jobs = [
            run_idling(client, engine, {**yesterday(), "vehicles": [vid]})
            for client, vid in zip(clients, (1, 2), strict=True)
        ]
        assert jobs[0] == jobs[1]
        for client, job_id in zip(clients, jobs, strict=True):
            assert wait_until_ended(client, job_id)["state"] == "done"

        vids = []
        for client, job_id in zip(clients, jobs, strict=True):
            csv_text = client.get(f"/api/job_manager/{job_id}/idling.csv").text
            vids.append([row["vid"] for row in csv.DictReader(io.StringIO(csv_text))])

    assert vids == [["1"], ["2"]]


def long_job(client: httpx.Client, engine: str) -> int:
    """An idling job over the whole fleet and three months: it takes a while."""
    args = {"from": "2026-01-01T00:00:00", "to": "2026-04-01T00:00:00", "tz": "UTC"}
    job_id = run_idling(client, engine, args)
    deadline = time.monotonic() + 60
    while client.get(f"/api/job_manager/{job_id}").json()["state"] != "running":
        assert time.monotonic() < deadline, "the job never ran"
        time.sleep(0.05)
    return job_id


FAST_WATCH = ("--engine-check-every", "0.2", "--engine-grace", "1")


def kill(server: LocalServer) -> None:
    """Kill the server with no chance to say goodbye, as a crash would."""
    process = psutil.Process(server.pid)
    process.kill()
    process.wait(10)


def test_a_job_whose_engine_is_killed_ends_in_error(tmp_path: Path) -> None:
    with contextlib.ExitStack() as servers:
        engine = start(servers, "engine", "--files", str(tmp_path / "files"))
        sandbox = start(servers, "sandbox", "--db", str(tmp_path / "sandbox.sqlite3"),
                        "--engine", str(engine.url), *FAST_WATCH)  # fmt: skip
        client = signed_in(servers, sandbox)
        job_id = long_job(client, str(engine.url))
        kill(engine)

        job = wait_until_ended(client, job_id)

    assert job["state"] == "error"
    assert job["result"]["error"] == (
        f"the engine {engine.url} stopped answering while the job was running"
    )
    assert job["done_at"] is not None


def test_jobs_left_running_are_closed_by_the_next_sandbox(tmp_path: Path) -> None:
    db = tmp_path / "sandbox.sqlite3"
    with contextlib.ExitStack() as servers:
        engine = start(servers, "engine", "--files", str(tmp_path / "files"))
        url = str(engine.url)
        with contextlib.ExitStack() as first:
            sandbox = start(first, "sandbox", "--db", str(db), "--engine", url)
            job_id = long_job(signed_in(first, sandbox), url)
        kill(engine)

        sandbox = start(servers, "sandbox", "--db", str(db), "--engine", url,
                        *FAST_WATCH)  # fmt: skip
        job = wait_until_ended(signed_in(servers, sandbox), job_id)

    assert job["state"] == "error"
    assert job["result"]["error"] == (
        f"the engine {url} stopped answering while the job was running"
    )
