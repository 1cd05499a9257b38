"""Resource lists with odd items: the window leaves them out and goes on.

A small gateway of our own on loopback (tests/support/servers.py) lists
vehicles of which some have an id that is not a whole number, or none; it
is also the engine, serving a manifest with one report that picks vehicles.
"""

import logging
from collections.abc import Iterator
from pathlib import Path

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
from widgets.resource_picker import ResourcePicker

pytestmark = pytest.mark.slow

TOKEN = "5f2c" * 14
VEHICLES = [
    {"id": 1, "name": "Truck 1"},
    {"id": "veh-7", "name": "Van 7"},
    {"name": "Unnamed trailer"},
    {"id": True, "name": "Boolean bus"},
    {"id": 2.5, "name": "Half car"},
    {"id": None, "name": "Null van"},
    {"id": 2, "name": "Truck 2"},
]
MANIFEST = {
    "definitions": {
        "vehicles": {
            "title": "Vehicles",
            "type": "array",
            "items": {"type": "integer"},
            "peg_type": "$vehicles",
        }
    },
    "scripts": [
        {
            "script": "visits",
            "title": "Visits",
            "category": "trip_analysis",
            "parameters_schema": {
                "type": "object",
                "properties": {"vehicles": {"$ref": "#/definitions/vehicles"}},
            },
        }
    ],
}


async def login(request: Request) -> Response:
    return JSONResponse({"auth": TOKEN})


async def user(request: Request) -> Response:
    return JSONResponse({"username": "ana", "prefs": {"tz": "UTC"}})


async def engines(request: Request) -> Response:
    return JSONResponse([f"{str(request.base_url).rstrip('/')}/engine"])


async def manifest(request: Request) -> Response:
    return JSONResponse(MANIFEST)


async def vehicles(request: Request) -> Response:
    page = {"set": 1000, "page": 1, "pages": 1, "total": len(VEHICLES)}
    return JSONResponse({**page, "data": VEHICLES})


@pytest.fixture
def odd_gateway() -> Iterator[str]:
    routes = {
        "/api/login": login,
        "/api/user": user,
        "/api/job_manager/engines": engines,
        "/engine/manifest": manifest,
        "/api/vehicles": vehicles,
    }
    with serving_in_thread(routes) as url:
        yield url


@pytest.fixture
def window_workspace(
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


def test_vehicles_without_a_whole_number_id_are_left_out_once_logged(
    qtbot: QtBot,
    window_workspace: Workspace,
    odd_gateway: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    workspace = window_workspace
    caplog.set_level(logging.WARNING, logger="app.resource_lists")
    sign_in(qtbot, workspace, odd_gateway, "ana", "secret")
    qtbot.waitUntil(lambda: workspace.catalog.catalog is not None, timeout=WAIT_MS)

    assert workspace.window.catalog.select_script("visits")
    qtbot.waitUntil(lambda: workspace.report.choices("vehicles") != [], timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not workspace.report.loading, timeout=WAIT_MS)

    editor = workspace.window.report_page.form.editor("vehicles")
    picker = editor.picker  # type: ignore[union-attr]
    assert picker.is_loaded()
    assert picker.visible_names() == ["Truck 1", "Truck 2"]
    assert workspace.report.choices("vehicles") == [(1, "Truck 1"), (2, "Truck 2")]
    warnings = [
        r
        for r in caplog.records
        if r.levelno == logging.WARNING and r.name == "app.resource_lists"
    ]
    assert len(warnings) == 1
    assert "5 of the 7 vehicles" in warnings[0].getMessage()
    assert "'veh-7'" in warnings[0].getMessage()

    # The two that can be picked are picked and sent as ids.
    picker.set_selected_ids([1, 2])
    assert workspace.window.report_page.values() == {"vehicles": [1, 2]}
    assert workspace.window.banner.level != "error"


def test_the_picker_skips_rows_whose_id_is_not_a_whole_number(qtbot: QtBot) -> None:
    picker = ResourcePicker("vehicles")
    qtbot.addWidget(picker)

    picker.set_items(
        [(3, "Van 3"), ("veh-7", "Van 7"), (None, "No id"), (True, "Bool"), (1, 9)]
    )
    picker.set_selected_ids(["veh-7", 3, 2.5])

    assert picker.visible_names() == ["9", "Van 3"]
    assert picker.selected_ids() == [3]
