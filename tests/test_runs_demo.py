"""Whole runs on the demo: the window's and the command line's pipeline.

The real sandbox gateway and embedded engine run as processes; a report is
started, followed and its files downloaded, exactly as the window does it.
"""

import csv
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from support.trips import assert_plausible_trips

from app.catalog import Catalog, load_catalog
from app.errors import JobError, UsageError
from app.gateway import Gateway
from app.jobs import Job
from app.local_stack import DemoStack
from app.manifest import Script
from app.runs import build_args, run_report, user_job_prefs, user_tz

PERIOD = {"from": "2026-11-02T00:00:00", "to": "2026-11-03T00:00:00"}


@pytest_asyncio.fixture
async def session(demo_stack: DemoStack) -> AsyncIterator[tuple[Gateway, Catalog]]:
    async with Gateway(demo_stack.gateway_url) as gateway:
        await gateway.login(demo_stack.username, demo_stack.password)
        yield gateway, await load_catalog(gateway)


def script_of(catalog: Catalog, name: str) -> Script:
    script = catalog.find(name)
    assert script is not None, f"the demo engine has no {name} script"
    return script


async def args_for(gateway: Gateway, script: Script, values: dict[str, Any]) -> dict:
    user = await gateway.user()
    return build_args(script, values, tz=user_tz(user), prefs=user_job_prefs(user))


async def first_vehicles(gateway: Gateway, count: int) -> list[int]:
    vehicles = await gateway.list_all("vehicles")
    return [vehicle["id"] for vehicle in vehicles[:count]]


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


@pytest.mark.asyncio
async def test_idling_for_two_vehicles_gives_json_and_csv(
    session: tuple[Gateway, Catalog], tmp_path: Path
) -> None:
    gateway, catalog = session
    script = script_of(catalog, "idling")
    vehicles = await first_vehicles(gateway, 2)
    args = await args_for(gateway, script, {**PERIOD, "vehicles": vehicles})
    updates: list[Job] = []
    saved: list[Path] = []

    paths = await run_report(
        gateway,
        script,
        args,
        tmp_path / "out",
        on_update=updates.append,
        on_file=saved.append,
    )

    assert sorted(p.suffix for p in paths) == [".csv", ".json"]
    assert saved == paths
    assert all(p.parent == tmp_path / "out" for p in paths)
    assert updates[0].state == "created"
    assert updates[-1].state == "done"
    assert updates[-1].percentage == 100

    document = json.loads(next(p for p in paths if p.suffix == ".json").read_text())
    rows = read_csv(next(p for p in paths if p.suffix == ".csv"))
    assert sorted(int(row["vid"]) for row in rows) == sorted(vehicles)
    assert len(document["rows"]) == len(rows)
    assert all(0 <= int(row["percent_idle"]) <= 100 for row in rows)


@pytest.mark.asyncio
async def test_trips_are_plausible(
    session: tuple[Gateway, Catalog], tmp_path: Path
) -> None:
    gateway, catalog = session
    script = script_of(catalog, "trips")
    vehicles = await first_vehicles(gateway, 2)
    args = await args_for(gateway, script, {**PERIOD, "vehicles": vehicles})

    paths = await run_report(gateway, script, args, tmp_path)

    rows = read_csv(next(p for p in paths if p.suffix == ".csv"))
    document = json.loads(next(p for p in paths if p.suffix == ".json").read_text())
    assert rows, "a working day of two vans has trips"
    assert len(document["rows"]) == len(rows)
    assert_plausible_trips(rows)


@pytest.mark.asyncio
async def test_the_users_time_zone_and_units_reach_the_job(
    session: tuple[Gateway, Catalog], tmp_path: Path
) -> None:
    gateway, catalog = session
    script = script_of(catalog, "trips")
    user = await gateway.user()
    vehicles = await first_vehicles(gateway, 1)
    args = await args_for(gateway, script, {**PERIOD, "vehicles": vehicles})
    updates: list[Job] = []

    await run_report(gateway, script, args, tmp_path, on_update=updates.append)

    params = (await gateway.job(updates[-1].id)).params
    assert params["tz"] == user_tz(user)
    assert params["prefs"] == user_job_prefs(user)


@pytest.mark.asyncio
async def test_a_job_that_fails_raises_the_engines_message(
    session: tuple[Gateway, Catalog], tmp_path: Path
) -> None:
    gateway, catalog = session
    script = script_of(catalog, "trips")
    args = await args_for(gateway, script, {**PERIOD, "vehicles": [999]})

    with pytest.raises(JobError, match="999"):
        await run_report(gateway, script, args, tmp_path / "out")

    assert not (tmp_path / "out").exists()


@pytest.mark.asyncio
async def test_bad_parameters_are_refused_before_any_job_is_created(
    session: tuple[Gateway, Catalog], tmp_path: Path
) -> None:
    gateway, catalog = session
    script = script_of(catalog, "trips")
    created: list[Job] = []

    with pytest.raises(UsageError, match="'from' must be a date and time"):
        await run_report(
            gateway,
            script,
            {"from": "last tuesday", "to": PERIOD["to"], "vehicles": [1]},
            tmp_path,
            on_update=created.append,
        )

    assert created == []
