"""Pickers that appear after the report opened get their lists, or say why not.

A small gateway of the test's own on loopback (support/servers.py) is also
the engine: its one report picks vehicles, and geofences only once its
scope is "places" (an if/then). Its groups cannot be listed (500), and the
report has a list of stops, each picking groups. The window signs in and
opens the report as a person would.
"""

from collections.abc import Iterator
from pathlib import Path

import pytest
import qasync
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from support.servers import serving_in_thread
from support.window import WAIT_MS, sign_in

from app.controllers.icons import loopback_only
from app.gui import Workspace, build_workspace
from app.settings import Settings

pytestmark = pytest.mark.slow

TOKEN = "9c3e" * 14


def ids_of(peg_type: str) -> dict[str, object]:
    return {"type": "array", "items": {"type": "integer"}, "peg_type": peg_type}


MANIFEST = {
    "scripts": [
        {
            "script": "visits",
            "title": "Visits",
            "category": "trip_analysis",
            "parameters_schema": {
                "type": "object",
                "properties": {
                    "scope": {"type": "string", "enum": ["fleet", "places"]},
                    "vehicles": {"title": "Vehicles", **ids_of("$vehicles")},
                    "stops": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "title": "Stop",
                            "properties": {
                                "groups": {"title": "Groups", **ids_of("$groups")}
                            },
                        },
                    },
                },
                "if": {
                    "properties": {"scope": {"const": "places"}},
                    "required": ["scope"],
                },
                "then": {
                    "properties": {
                        "geofences": {"title": "Places", **ids_of("$geofences")}
                    },
                    "required": ["geofences"],
                },
            },
        }
    ],
}


class Asked:
    """How often each list was asked for."""

    def __init__(self) -> None:
        self.lists: dict[str, int] = {}


async def login(request: Request) -> Response:
    return JSONResponse({"auth": TOKEN})


async def user(request: Request) -> Response:
    return JSONResponse({"username": "ana", "prefs": {"tz": "UTC"}})


async def engines(request: Request) -> Response:
    return JSONResponse([f"{str(request.base_url).rstrip('/')}/engine"])


async def manifest(request: Request) -> Response:
    return JSONResponse(MANIFEST)


def listing(asked: Asked, kind: str, names: list[str]):  # type: ignore[no-untyped-def]
    async def answer(request: Request) -> Response:
        asked.lists[kind] = asked.lists.get(kind, 0) + 1
        data = [{"id": n, "name": name} for n, name in enumerate(names, start=1)]
        page = {"set": 1000, "page": 1, "pages": 1, "total": len(data)}
        return JSONResponse({**page, "data": data})

    return answer


async def broken_groups(request: Request) -> Response:
    return JSONResponse({"message": "groups are being reindexed"}, status_code=500)


@pytest.fixture
def asked() -> Asked:
    return Asked()


@pytest.fixture
def gateway(asked: Asked) -> Iterator[str]:
    routes = {
        "/api/login": login,
        "/api/user": user,
        "/api/job_manager/engines": engines,
        "/engine/manifest": manifest,
        "/api/vehicles": listing(asked, "vehicles", ["Truck 1", "Truck 2"]),
        "/api/geofences": listing(asked, "geofences", ["Depot", "Port"]),
        "/api/groups": broken_groups,
    }
    with serving_in_thread(routes) as url:
        yield url


@pytest.fixture
def workspace(
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


def open_visits(qtbot: QtBot, workspace: Workspace, url: str) -> None:
    sign_in(qtbot, workspace, url, "ana", "secret")
    qtbot.waitUntil(lambda: workspace.catalog.catalog is not None, timeout=WAIT_MS)
    assert workspace.window.catalog.select_script("visits")
    qtbot.waitUntil(lambda: workspace.report.choices("vehicles") != [], timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not workspace.report.loading, timeout=WAIT_MS)


def test_a_picker_shown_by_a_condition_loads_its_list(
    qtbot: QtBot, workspace: Workspace, gateway: str, asked: Asked
) -> None:
    open_visits(qtbot, workspace, gateway)
    form = workspace.window.report_page.form
    assert form.editor("geofences") is None
    # Nothing asked the gateway for places while no field showed them.
    assert "geofences" not in asked.lists

    scope = form.editor("scope")
    assert scope is not None
    combo = scope.combo  # type: ignore[attr-defined]
    combo.setCurrentIndex(combo.findText("places"))

    places = form.editor("geofences")
    assert places is not None
    picker = places.picker  # type: ignore[attr-defined]
    qtbot.waitUntil(picker.is_loaded, timeout=WAIT_MS)
    assert picker.visible_names() == ["Depot", "Port"]
    assert asked.lists["geofences"] == 1
    qtbot.waitUntil(lambda: not workspace.report.loading, timeout=WAIT_MS)
    # Run no longer waits for a list to load (the groups failed: it says so).
    reason = workspace.window.report_page.reason_label.text()
    assert "Loading" not in reason
    assert "Could not load the groups" in reason

    qtbot.mouseClick(picker.select_button, Qt.MouseButton.LeftButton)
    assert workspace.window.report_page.values()["geofences"] == [1, 2]


def test_a_stop_added_after_the_groups_failed_says_so_with_retry(
    qtbot: QtBot, workspace: Workspace, gateway: str
) -> None:
    open_visits(qtbot, workspace, gateway)
    form = workspace.window.report_page.form
    reason = workspace.window.report_page.reason_label
    qtbot.waitUntil(
        lambda: "Could not load the groups" in reason.text(), timeout=WAIT_MS
    )
    stops = form.editor("stops")
    assert stops is not None

    add = stops.add_button  # type: ignore[attr-defined]
    qtbot.mouseClick(add, Qt.MouseButton.LeftButton)
    groups = form.editor("stops/0/groups")
    assert groups is not None
    picker = groups.picker  # type: ignore[attr-defined]
    assert picker.failed
    assert "Could not load the groups" in picker.placeholder.text()
    assert picker.count.text() == "No groups loaded"
    assert picker.retry_button.isVisibleTo(picker)
