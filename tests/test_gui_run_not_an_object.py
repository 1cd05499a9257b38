"""Run is blocked, in plain words, for parameters that are not an object.

A gateway takes a job's args as one JSON object (PEGASUS_API.md, "args"):
a report whose parameters schema asks for a list, or whose form holds some
other value, cannot be sent. The window signs in to a gateway of the test's
own on loopback, which counts the jobs it is asked to create.
"""

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

pytestmark = pytest.mark.slow

MANIFEST = {
    "scripts": [
        {
            "script": "listed",
            "title": "Listed stops",
            "category": "fleet_status",
            "parameters_schema": {"type": "array", "items": {"type": "string"}},
        },
        {
            "script": "anything",
            "title": "Anything",
            "category": "fleet_status",
            "parameters_schema": {"title": "Anything"},
        },
    ]
}


@pytest.fixture
def gateway() -> Iterator[tuple[str, list[object]]]:
    created: list[object] = []

    async def login(request: Request) -> Response:
        return JSONResponse({"auth": "f00d" * 12})

    async def user(request: Request) -> Response:
        return JSONResponse({"username": "ana", "prefs": {"tz": "UTC"}})

    async def engines(request: Request) -> Response:
        return JSONResponse([f"{str(request.base_url).rstrip('/')}/engine"])

    async def manifest(request: Request) -> Response:
        return JSONResponse(MANIFEST)

    async def job_manager(request: Request) -> Response:
        if request.method != "POST":
            # The jobs panel lists the jobs: there are none.
            return JSONResponse([])
        created.append(await request.body())
        return JSONResponse({"id": 1, "state": "created", "name": "Job"})

    routes = {
        "/api/login": login,
        "/api/user": user,
        "/api/job_manager/engines": engines,
        "/engine/manifest": manifest,
        "/api/job_manager": job_manager,
    }
    with serving_in_thread(routes) as url:
        yield url, created


@pytest.fixture
def window(
    loop: qasync.QEventLoop,
    qtbot: QtBot,
    tmp_path: Path,
    gateway: tuple[str, list[object]],
) -> Iterator[Workspace]:
    built = build_workspace(
        Settings.open(tmp_path / "settings.ini"),
        icon_hosts=loopback_only,
        download_dir=tmp_path / "downloads",
    )
    built.window.show()
    try:
        sign_in(qtbot, built, gateway[0], "ana", "pass-word-7")
        qtbot.waitUntil(lambda: built.catalog.catalog is not None, timeout=WAIT_MS)
        yield built
    finally:
        closing = loop.create_task(built.aclose())
        qtbot.waitUntil(closing.done, timeout=WAIT_MS)
        closing.result()
        built.window.close()
        built.window.deleteLater()


def test_a_report_that_asks_for_a_list_cannot_run_and_says_why(
    qtbot: QtBot, window: Workspace, gateway: tuple[str, list[object]]
) -> None:
    assert window.window.catalog.select_script("listed")
    page = window.window.report_page
    qtbot.waitUntil(lambda: "Cannot run" in page.reason_label.text(), timeout=WAIT_MS)

    page.form.set_values(["depot"])

    assert page.form.values() == ["depot"]
    assert not page.run_button.isEnabled()
    assert page.reason_label.text() == (
        "Cannot run: the gateway takes a report's parameters as one JSON object "
        "of named values, and this report asks for a list. The report's "
        "manifest must be corrected."
    )
    with qtbot.assertNotEmitted(window.report.run_requested):
        page.run_action.trigger()
    assert gateway[1] == []
    # No body can be built: the JSON body view shows none.
    page.body_button.click()
    assert page.body_view.body() == ""


def test_a_value_that_is_not_an_object_blocks_run_until_it_is_one(
    qtbot: QtBot, window: Workspace
) -> None:
    assert window.window.catalog.select_script("anything")
    page = window.window.report_page
    editor = page.form.editor("")
    assert editor is not None

    page.form.set_values(1234)
    assert not page.run_button.isEnabled()
    assert page.reason_label.text() == (
        "Cannot run: the gateway takes a report's parameters as one JSON object "
        "of named values, not a number."
    )

    page.form.set_values({"stop": "depot"})
    qtbot.waitUntil(page.run_button.isEnabled, timeout=WAIT_MS)
