"""The gateway's lists at fleet scale: the real sandbox, paged, searched, loaded.

One sandbox (with the embedded engine) runs for this module, listing 5,000
vehicles beyond the demo fleet and holding a user whose saved units are not
the demo's. The client is checked to fetch whole lists in pages of 1000,
never one request per item, and each of the six lists to be named as a
person picks from it. Small loopback gateways of our own cover the shapes
the sandbox never gives (no `pages`, a `page` ignored).
"""

import json
import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
import qasync
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from support.servers import serving
from support.window import WAIT_MS, open_report, sign_in_to_demo, workspace_on

from app.errors import AuthError, GatewayError, UsageError
from app.gateway import Gateway
from app.gui import Workspace
from app.local_stack import DemoStack
from app.resource_lists import choices_of, load_choices
from app.sandbox.cli import user_prefs

pytestmark = pytest.mark.slow

EXTRA = 5000
DEMO_VEHICLES = 20
SAVED_PREFS = {
    "distanceunits": "mile",
    "fuelunits": "gallon",
    "language": "es",
    "tz": "America/Chicago",
}
KINDS = ["vehicles", "groups", "geofences", "assets", "triggers", "users"]


@pytest.fixture(scope="module")
def fleet_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoStack]:
    extra = [
        "--extra-vehicles",
        str(EXTRA),
        "--user-prefs",
        json.dumps(SAVED_PREFS),
    ]
    stack = DemoStack(folder=tmp_path_factory.mktemp("fleet"), extra_sandbox_args=extra)
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()


@pytest_asyncio.fixture
async def gateway(fleet_stack: DemoStack) -> AsyncIterator[Gateway]:
    async with Gateway(fleet_stack.gateway_url) as signed_in:
        await signed_in.login(fleet_stack.username, fleet_stack.password)
        yield signed_in


def calls_to(caplog: pytest.LogCaptureFixture, path: str) -> int:
    """How many requests the client logged to path."""
    return sum(
        record.getMessage().startswith(f"GET {path} ->") for record in caplog.records
    )


# --- The sandbox's lists, as any client sees them ---------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_every_list_is_paged_the_pegasus_way(fleet_stack: DemoStack, kind: str) -> None:
    with httpx.Client(trust_env=False, timeout=30) as client:
        token = client.post(
            f"{fleet_stack.gateway_url}/api/login",
            json={"username": fleet_stack.username, "password": fleet_stack.password},
        ).json()["auth"]
        url = f"{fleet_stack.gateway_url}/api/{kind}"
        headers = {"Authenticate": token}
        first = client.get(url, params={"set": 3, "page": 1}, headers=headers).json()
        pages = [
            client.get(url, params={"set": 3, "page": p}, headers=headers).json()
            for p in range(1, first["pages"] + 1)
        ]

    total = first["total"]
    assert total >= 3
    assert first["pages"] == -(-total // 3)
    assert [page["page"] for page in pages] == list(range(1, first["pages"] + 1))
    # `set` counts the items of the page: the last one may be short.
    assert [page["set"] for page in pages] == [len(page["data"]) for page in pages]
    assert sum(page["set"] for page in pages) == total


@pytest.mark.parametrize(
    ("kind", "search", "expected"),
    [
        ("vehicles", {"search.name": "Flatbed 0002"}, ["Flatbed 0002"]),
        ("vehicles", {"search.name": "flatbed 0002"}, []),
        ("groups", {"search.name": "South Depot"}, ["South Depot"]),
        ("geofences", {"search.name": "North Depot"}, ["North Depot"]),
        ("assets", {"search.name": "Grace Kim"}, ["Grace Kim"]),
        ("triggers", {"search.id": "402"}, ["Long idling"]),
        ("users", {"search.username": "ops"}, ["Olivia Ortiz (ops)"]),
    ],
)
@pytest.mark.asyncio
async def test_every_list_can_be_searched(
    gateway: Gateway, kind: str, search: dict[str, str], expected: list[str]
) -> None:
    found = await gateway.list_all(kind, params=search)

    assert [name for _, name in choices_of(kind, found)] == expected


@pytest.mark.asyncio
async def test_rawdata_in_the_users_units_follows_the_saved_prefs(
    gateway: Gateway,
) -> None:
    query = {
        "vehicles": "1",
        "from": "2026-01-05T08:00:00",
        "to": "2026-01-05T09:00:00",
        "distance": "user",
        "speed": "user",
        "volume": "user",
    }
    async with httpx.AsyncClient(trust_env=False, timeout=30) as client:
        answer = await client.get(
            f"{gateway.api_url}/rawdata",
            params=query,
            headers={"Authenticate": gateway.token or ""},
        )
    answer.raise_for_status()

    units = answer.json()["units"]
    assert (units["distance"], units["speed"], units["volume"]) == (
        "mile",
        "mph",
        "gallon",
    )


# --- The client fetches whole lists in few requests -------------------------------


@pytest.mark.asyncio
async def test_five_thousand_vehicles_come_in_six_requests(
    gateway: Gateway, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="app.gateway")

    choices = await load_choices(gateway, "vehicles")

    ids = [rid for rid, _ in choices]
    assert len(ids) == DEMO_VEHICLES + EXTRA
    assert len(set(ids)) == len(ids)
    assert min(ids) == 1
    assert max(ids) == 1000 + EXTRA
    assert dict(choices)[1002] == "Flatbed 0002"
    # 5,020 at 1000 a page: six requests, not one per vehicle.
    assert calls_to(caplog, "/api/vehicles") == 6


@pytest.mark.asyncio
async def test_each_list_is_named_as_a_person_picks_from_it(gateway: Gateway) -> None:
    lists = {kind: dict(await load_choices(gateway, kind)) for kind in KINDS}

    assert lists["groups"] == {
        1: "North Depot",
        2: "South Depot",
        3: "Airport Freight",
        4: "Field Service",
    }
    assert lists["geofences"][303] == "Airport Freight Yard"
    assert len(lists["geofences"]) == 4
    assert lists["assets"][201] == "Maria Lopez"
    assert lists["triggers"][401] == "Speeding over 65 mph"
    assert lists["users"][2] == "Olivia Ortiz (ops)"
    assert lists["users"][1] == "Demo User (demo)"


@pytest.mark.asyncio
async def test_the_signed_in_users_saved_prefs_are_the_sandboxs_option(
    gateway: Gateway,
) -> None:
    user = await gateway.user()

    assert user["prefs"] == SAVED_PREFS


# --- Gateways that page differently ---------------------------------------------------

NAMES = [{"id": n, "name": f"Unit {n}"} for n in range(1, 26)]


def page_handler(
    *, give_pages: bool, give_total: bool, honour_page: bool, asked: list[int]
) -> Any:
    async def handler(request: Request) -> Response:
        size = int(request.query_params["set"])
        page = int(request.query_params["page"]) if honour_page else 1
        asked.append(int(request.query_params["page"]))
        data = NAMES[(page - 1) * size : page * size]
        body: dict[str, Any] = {"set": len(data), "page": page, "data": data}
        if give_pages:
            body["pages"] = -(-len(NAMES) // size)
        if give_total:
            body["total"] = len(NAMES)
        return JSONResponse(body)

    return handler


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("give_pages", "give_total", "requests"),
    [(True, True, 3), (False, True, 3), (False, False, 3)],
)
async def test_pages_are_walked_with_or_without_a_page_count(
    give_pages: bool, give_total: bool, requests: int
) -> None:
    asked: list[int] = []
    handler = page_handler(
        give_pages=give_pages, give_total=give_total, honour_page=True, asked=asked
    )
    async with serving({"/api/units": handler}) as url, Gateway(url) as gateway:
        items = await gateway.list_all("units", page_size=10)

    assert [item["id"] for item in items] == list(range(1, 26))
    assert asked == list(range(1, requests + 1))


@pytest.mark.asyncio
async def test_a_gateway_that_ignores_the_page_is_asked_twice_not_forever(
    caplog: pytest.LogCaptureFixture,
) -> None:
    asked: list[int] = []
    handler = page_handler(
        give_pages=True, give_total=True, honour_page=False, asked=asked
    )
    async with serving({"/api/units": handler}) as url, Gateway(url) as gateway:
        with caplog.at_level(logging.WARNING, logger="app.gateway"):
            items = await gateway.list_all("units", page_size=10)

    assert [item["id"] for item in items] == list(range(1, 11))
    assert asked == [1, 2]
    assert "gave page 2 again with nothing new; 10 units kept" in caplog.text


async def refused(request: Request) -> Response:
    return JSONResponse({"message": "not allowed"}, status_code=401)


async def the_user(request: Request) -> Response:
    return JSONResponse({"username": "ana", "scopes": {"vehicles": "r"}})


@pytest.mark.asyncio
async def test_a_list_refused_to_a_signed_in_user_names_the_permission() -> None:
    routes = {"/api/user": the_user, "/api/users": refused}
    async with serving(routes) as url, Gateway(url, token="ab" * 28) as gateway:
        await gateway.user()
        with pytest.raises(GatewayError) as caught:
            await load_choices(gateway, "users")

    assert str(caught.value) == (
        "this user may not read the users of this gateway (it refused GET "
        "/api/users); ask its administrator for the 'users' permission"
    )


@pytest.mark.asyncio
async def test_a_list_refused_after_the_session_ended_asks_to_sign_in_again(
    gateway: Gateway,
) -> None:
    await gateway.list_all("groups")
    async with httpx.AsyncClient(trust_env=False) as client:
        answer = await client.post(
            f"{gateway.api_url}/logout", headers={"Authenticate": gateway.token or ""}
        )
        answer.raise_for_status()

    with pytest.raises(AuthError, match="sign in again"):
        await load_choices(gateway, "groups")


def test_the_sandbox_takes_saved_prefs_only_as_an_object_of_texts() -> None:
    with pytest.raises(UsageError, match="JSON object of texts"):
        user_prefs('["mile"]')
    with pytest.raises(UsageError, match="JSON object of texts"):
        user_prefs('{"distanceunits": 1}')
    with pytest.raises(UsageError, match="not JSON"):
        user_prefs("{distanceunits: mile}")
    assert user_prefs('{"distanceunits": "mile"}') == {"distanceunits": "mile"}
    assert user_prefs(None) is None


# --- In the window: the lists load in the background, the form starts as saved ---


@pytest.fixture
def fleet_workspace(
    loop: qasync.QEventLoop, qtbot: QtBot, fleet_stack: DemoStack, tmp_path: Path
) -> Iterator[Workspace]:
    with workspace_on(loop, qtbot, fleet_stack, tmp_path) as built:
        yield built


def test_a_large_fleet_loads_into_the_form_and_is_searched_there(
    qtbot: QtBot, fleet_workspace: Workspace, fleet_stack: DemoStack
) -> None:
    workspace = fleet_workspace
    sign_in_to_demo(qtbot, workspace, fleet_stack)
    open_report(qtbot, workspace, "Vehicle metrics", "Idling Usage")
    page = workspace.window.report_page
    picker = page.form.editor("vehicles").picker  # type: ignore[union-attr]
    qtbot.waitUntil(picker.is_loaded, timeout=WAIT_MS)

    assert picker.proxy.rowCount() == DEMO_VEHICLES + EXTRA
    qtbot.keyClicks(picker.filter, "flatbed 000")
    assert picker.visible_names() == [f"Flatbed {n:04d}" for n in (2, 7)]
    qtbot.mouseClick(picker.select_button, Qt.MouseButton.LeftButton)
    assert page.values()["vehicles"] == [1002, 1007]
    assert picker.count.text() == "2 selected"


def test_the_form_starts_in_the_users_saved_zone_and_units(
    qtbot: QtBot, fleet_workspace: Workspace, fleet_stack: DemoStack
) -> None:
    workspace = fleet_workspace
    sign_in_to_demo(qtbot, workspace, fleet_stack)
    open_report(qtbot, workspace, "Vehicle metrics", "Idling Usage")
    values = workspace.window.report_page.values()

    # The manifest's own defaults are UTC, km and kph.
    assert values["tz"] == "America/Chicago"
    assert values["prefs"] == {"distance": "mile", "speed": "mph"}
