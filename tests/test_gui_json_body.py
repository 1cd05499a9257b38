"""The JSON body toggle: what it shows is exactly what Run sends.

The window signs in to a gateway of the test's own on loopback, which keeps
the whole body of each job_manager request it gets, read with exact whole
numbers. The body shown before Run is compared with the body received.
"""

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import qasync
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from support.servers import serving_in_thread
from support.window import WAIT_MS, sign_in

from app.controllers.icons import loopback_only
from app.gateway import DEFAULT_EXPIRES
from app.gui import Workspace, build_workspace
from app.settings import Settings
from widgets.report_page import ReportPage

pytestmark = pytest.mark.slow

TOKEN = "c0ffee" * 8
PASSWORD = "secret-pass-9"
USER_TZ = "America/Mexico_City"
JOB_ID = 41
BIG = 2**70
SCHEMA = {
    "type": "object",
    "required": ["count", "label"],
    "properties": {
        "count": {"type": "integer", "default": BIG},
        "label": {"type": "string", "default": "north"},
        "tz": {"type": "string"},
    },
}
MANIFEST = {
    "scripts": [
        {
            "script": "bodied",
            "title": "Body check",
            "category": "fleet_status",
            "parameters_schema": SCHEMA,
        },
        {"script": "bare", "title": "Bare report", "category": "fleet_status"},
    ]
}


@dataclass
class Received:
    bodies: list[Any] = field(default_factory=list)


@pytest.fixture
def gateway() -> Iterator[tuple[str, Received]]:
    received = Received()

    async def login(request: Request) -> Response:
        return JSONResponse({"auth": TOKEN})

    async def user(request: Request) -> Response:
        return JSONResponse({"username": "ana", "prefs": {"tz": USER_TZ}})

    async def engines(request: Request) -> Response:
        return JSONResponse([f"{str(request.base_url).rstrip('/')}/engine"])

    async def manifest(request: Request) -> Response:
        return JSONResponse(MANIFEST)

    async def create_job(request: Request) -> Response:
        # json.loads keeps whole numbers exact, whatever their size.
        received.bodies.append(json.loads(await request.body()))
        return JSONResponse({"id": JOB_ID, "state": "created", "name": "Job"})

    async def job(request: Request) -> Response:
        return JSONResponse(
            {"id": JOB_ID, "state": "done", "name": "Job", "result": {"files": []}}
        )

    routes = {
        "/api/login": login,
        "/api/user": user,
        "/api/job_manager/engines": engines,
        "/engine/manifest": manifest,
        "/api/job_manager": create_job,
        "/api/job_manager/{job}": job,
    }
    with serving_in_thread(routes) as url:
        yield url, received


@pytest.fixture
def window(
    loop: qasync.QEventLoop,
    qtbot: QtBot,
    tmp_path: Path,
    gateway: tuple[str, Received],
) -> Iterator[Workspace]:
    built = build_workspace(
        Settings.open(tmp_path / "settings.ini"),
        icon_hosts=loopback_only,
        download_dir=tmp_path / "downloads",
    )
    built.window.show()
    try:
        sign_in(qtbot, built, gateway[0], "ana", PASSWORD)
        qtbot.waitUntil(lambda: built.catalog.catalog is not None, timeout=WAIT_MS)
        yield built
    finally:
        closing = loop.create_task(built.aclose())
        qtbot.waitUntil(closing.done, timeout=WAIT_MS)
        closing.result()
        # Deleted only after the controllers are closed (as in conftest.py).
        built.window.close()
        built.window.deleteLater()


def open_report(qtbot: QtBot, window: Workspace, name: str) -> ReportPage:
    assert window.window.catalog.select_script(name)
    page = window.window.report_page
    qtbot.waitUntil(page.run_button.isEnabled, timeout=WAIT_MS)
    return page


def shown_body(page: ReportPage) -> Any:
    return json.loads(page.body_view.body())


def test_the_body_shown_is_the_body_run_sends(
    qtbot: QtBot, window: Workspace, gateway: tuple[str, Received]
) -> None:
    url, received = gateway
    page = open_report(qtbot, window, "bodied")
    assert not page.body_view.isVisible()

    qtbot.mouseClick(page.body_button, Qt.MouseButton.LeftButton)

    assert page.body_view.isVisible()
    assert page.body_view.text.isReadOnly()
    assert page.body_view.call_label.text() == f"POST {url}/api/job_manager"
    body = shown_body(page)
    assert body["script"] == "bodied"
    assert body["name"] == "Body check"
    assert body["expires"] == DEFAULT_EXPIRES
    assert body["engine"] == f"{url}/engine"
    # The user's zone is added by the app, as Run adds it.
    assert body["args"] == {"count": BIG, "label": "north", "tz": USER_TZ}

    qtbot.mouseClick(page.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(received.bodies) == 1, timeout=WAIT_MS)
    assert received.bodies[0] == body
    assert type(received.bodies[0]["args"]["count"]) is int


def test_the_body_follows_each_key_typed_and_each_report(
    qtbot: QtBot, window: Workspace, gateway: tuple[str, Received]
) -> None:
    page = open_report(qtbot, window, "bodied")
    qtbot.mouseClick(page.body_button, Qt.MouseButton.LeftButton)
    editor: Any = page.form.editor("label")
    editor.line.setFocus()
    editor.line.selectAll()

    qtbot.keyClicks(editor.line, "so")
    assert shown_body(page)["args"]["label"] == "so"
    qtbot.keyClicks(editor.line, "uth")
    assert shown_body(page)["args"]["label"] == "south"

    page = open_report(qtbot, window, "bare")
    assert page.body_view.isVisible()
    assert shown_body(page)["script"] == "bare"
    assert shown_body(page)["name"] == "Bare report"

    page = open_report(qtbot, window, "bodied")
    assert shown_body(page)["args"]["label"] == "south"
    qtbot.mouseClick(page.run_button, Qt.MouseButton.LeftButton)
    _url, received = gateway
    qtbot.waitUntil(lambda: len(received.bodies) == 1, timeout=WAIT_MS)
    assert received.bodies[0] == shown_body(page)


def test_the_body_holds_no_token_or_password_and_copies_whole(
    qtbot: QtBot, window: Workspace
) -> None:
    page = open_report(qtbot, window, "bodied")
    qtbot.mouseClick(page.body_button, Qt.MouseButton.LeftButton)

    text = page.body_view.body()
    for secret in (TOKEN, PASSWORD):
        assert secret not in text
        assert secret not in page.body_view.call_label.text()

    qtbot.mouseClick(page.body_view.copy_button, Qt.MouseButton.LeftButton)
    assert QApplication.clipboard().text() == text


def test_hiding_the_body_hides_it_and_run_still_works(
    qtbot: QtBot, window: Workspace, gateway: tuple[str, Received]
) -> None:
    page = open_report(qtbot, window, "bodied")
    qtbot.mouseClick(page.body_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(page.body_button, Qt.MouseButton.LeftButton)

    assert not page.body_view.isVisible()
    assert not page.wants_request_body()
    qtbot.mouseClick(page.run_button, Qt.MouseButton.LeftButton)
    _url, received = gateway
    qtbot.waitUntil(lambda: len(received.bodies) == 1, timeout=WAIT_MS)
    assert received.bodies[0]["args"]["label"] == "north"
