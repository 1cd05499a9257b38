"""Every Pegasus picker in the window, filled from a gateway in the background.

A small gateway of our own on loopback (tests/support/servers.py) is also
the engine: its manifest has one report with all six resource pickers, a
time zone and units. Its user saved units but no time zone, so the form
must start in this computer's zone. Its lists are paged as Pegasus pages
them, and a geofence keeps its id and name under `properties`.
"""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import qasync
from pytestqt.qtbot import QtBot
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from support.servers import serving_in_thread
from support.window import WAIT_MS, sign_in

from app.controllers.icons import loopback_only
from app.gui import Workspace, build_workspace
from app.settings import Settings

pytestmark = pytest.mark.slow

KINDS = ["vehicles", "groups", "geofences", "assets", "triggers", "users"]
FLEET = 2500
LISTS: dict[str, list[dict[str, Any]]] = {
    "vehicles": [{"id": n, "name": f"Truck {n}"} for n in range(1, FLEET + 1)],
    "groups": [{"id": 1, "name": "Night shift"}, {"id": 2, "name": "Day shift"}],
    "geofences": [
        {"type": "Feature", "properties": {"id": 31, "name": "Harbour gate"}},
        {"type": "Feature", "properties": {"id": 32, "name": "Rail yard"}},
    ],
    "assets": [{"id": 41, "name": "Ana Pérez"}],
    "triggers": [{"id": 51, "name": "Harsh braking"}],
    "users": [
        {"id": 61, "username": "bo", "first_name": "Bo", "last_name": "Chen"},
        {"id": 62, "username": "kit"},
    ],
}
MANIFEST = {
    "scripts": [
        {
            "script": "everything",
            "title": "Everything",
            "category": "fleet_status",
            "parameters_schema": {
                "type": "object",
                "properties": {
                    **{
                        kind: {
                            "type": "array",
                            "items": {"type": "integer"},
                            "peg_type": f"${kind}",
                        }
                        for kind in KINDS
                    },
                    "tz": {"type": "string", "peg_type": "$tz", "default": "UTC"},
                    "prefs": {
                        "type": "object",
                        "peg_type": "$prefs",
                        "properties": {
                            "distance": {"enum": ["km", "mile"], "default": "km"},
                            "speed": {"enum": ["kph", "mph"], "default": "kph"},
                            "temperature": {"enum": ["C", "F"], "default": "C"},
                        },
                    },
                },
            },
        }
    ]
}


class PagedGateway:
    """The gateway's routes, noting which page of which list was asked for."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, int, int]] = []

    def routes(self) -> dict[str, Any]:
        routes: dict[str, Any] = {
            "/api/login": self.login,
            "/api/user": self.user,
            "/api/job_manager/engines": self.engines,
            "/engine/manifest": self.manifest,
        }
        routes.update({f"/api/{kind}": self.collection for kind in KINDS})
        return routes

    async def login(self, request: Request) -> Response:
        return JSONResponse({"auth": "c3d4" * 14})

    async def user(self, request: Request) -> Response:
        prefs = {"distanceunits": "mile", "temperatureunits": "fahrenheit"}
        return JSONResponse({"username": "ana", "prefs": prefs})

    async def engines(self, request: Request) -> Response:
        return JSONResponse([f"{str(request.base_url).rstrip('/')}/engine"])

    async def manifest(self, request: Request) -> Response:
        return JSONResponse(MANIFEST)

    async def collection(self, request: Request) -> Response:
        kind = request.url.path.rsplit("/", 1)[-1]
        size = int(request.query_params.get("set", 200))
        page = int(request.query_params.get("page", 1))
        self.asked.append((kind, page, size))
        items = LISTS[kind]
        data = items[(page - 1) * size : page * size]
        pages = max(1, -(-len(items) // size))
        envelope = {"set": len(data), "page": page, "pages": pages}
        return JSONResponse({**envelope, "total": len(items), "data": data})


@pytest.fixture
def paged() -> Iterator[tuple[str, PagedGateway]]:
    gateway = PagedGateway()
    with serving_in_thread(gateway.routes()) as url:
        yield url, gateway


@pytest.fixture
def window(
    loop: qasync.QEventLoop, qtbot: QtBot, tmp_path: Path
) -> Iterator[Workspace]:
    built = build_workspace(
        Settings.open(tmp_path / "settings.ini"), icon_hosts=loopback_only
    )
    qtbot.addWidget(built.window)
    built.window.show()
    try:
        yield built
    finally:
        closing = loop.create_task(built.aclose())
        qtbot.waitUntil(closing.done, timeout=WAIT_MS)


def open_everything(qtbot: QtBot, workspace: Workspace, url: str) -> None:
    sign_in(qtbot, workspace, url, "ana", "secret")
    qtbot.waitUntil(lambda: workspace.catalog.catalog is not None, timeout=WAIT_MS)
    assert workspace.window.catalog.select_script("everything")
    page = workspace.window.report_page
    qtbot.waitUntil(lambda: page.title_label.text() == "Everything", timeout=WAIT_MS)
    qtbot.waitUntil(
        lambda: all(workspace.report.choices(kind) for kind in KINDS),
        timeout=WAIT_MS,
    )
    qtbot.waitUntil(lambda: not workspace.report.loading, timeout=WAIT_MS)


def test_all_six_lists_load_in_pages_and_show_by_name(
    qtbot: QtBot, window: Workspace, paged: tuple[str, PagedGateway]
) -> None:
    url, gateway = paged
    open_everything(qtbot, window, url)
    form = window.window.report_page.form

    def names(kind: str) -> list[str]:
        return form.editor(kind).picker.visible_names()  # type: ignore[union-attr]

    assert names("geofences") == ["Harbour gate", "Rail yard"]
    assert names("users") == ["Bo Chen (bo)", "kit"]
    assert names("groups") == ["Day shift", "Night shift"]
    assert names("assets") == ["Ana Pérez"]
    assert names("triggers") == ["Harsh braking"]
    assert len(names("vehicles")) == FLEET
    assert names("vehicles")[:3] == ["Truck 1", "Truck 2", "Truck 3"]

    # 2,500 vehicles at the most a page holds: three requests, not 2,500.
    vehicle_pages = [
        (page, size) for kind, page, size in gateway.asked if kind == "vehicles"
    ]
    assert vehicle_pages == [(1, 1000), (2, 1000), (3, 1000)]
    assert sorted({kind for kind, _, _ in gateway.asked}) == sorted(KINDS)


def test_the_form_starts_in_this_computers_zone_and_the_users_units(
    qtbot: QtBot,
    window: Workspace,
    paged: tuple[str, PagedGateway],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The user saved no time zone: the computer's is used, not the schema's.
    monkeypatch.setenv("TZ", "Asia/Kolkata")
    url, _ = paged
    open_everything(qtbot, window, url)
    values = window.window.report_page.values()

    assert values["tz"] == "Asia/Kolkata"
    assert values["prefs"] == {"distance": "mile", "speed": "mph", "temperature": "F"}
