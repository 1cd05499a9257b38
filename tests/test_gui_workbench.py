"""The manifest workbench: a manifest file shown in the window as it is edited.

The real window is built with build_workspace and shown offscreen; the
manifest is a real file in tmp_path, changed on disk the way an editor
does (written in place, or written aside and renamed over it), and the
test waits for the window to follow.
"""

import copy
import json
import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import qasync
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from support.servers import closed_port
from support.window import WAIT_MS, sign_in_to_demo

from app.cli import build_parser, subcommand_of
from app.controllers.workbench import (
    NO_GATEWAY,
    NO_GATEWAY_TO_SCHEDULE,
    problem_place,
)
from app.gui import Workspace, build_workspace, open_manifest
from app.local_stack import DemoStack
from app.settings import Settings

IDLE_TITLE = "Idle Report"
OTHER_TITLE = "Zone Report"


def manifest() -> dict[str, Any]:
    return {
        "definitions": {},
        "scripts": [
            {
                "script": "idle_report",
                "title": IDLE_TITLE,
                "desc": "Vehicles idling too long",
                "category": "vehicle_metrics",
                "schedule": True,
                "parameters_schema": {
                    "type": "object",
                    "properties": {
                        "min_idle": {"type": "integer", "title": "Min idle"},
                        "note": {"type": "string", "title": "Note"},
                    },
                },
            },
            {
                "script": "zone_report",
                "title": OTHER_TITLE,
                "category": "trip_analysis",
                "parameters_schema": {
                    "type": "object",
                    "properties": {
                        "label": {"type": "string", "title": "Label"},
                        "zone": {
                            "type": "string",
                            "title": "Zone",
                            "peg_type": "$zones",
                        },
                    },
                },
            },
        ],
    }


def write(path: Path, document: dict[str, Any]) -> None:
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")


def replace(path: Path, text: str) -> None:
    """Save as editors that write a new file and rename it over the old do."""
    aside = path.with_name(path.name + ".tmp")
    aside.write_text(text, encoding="utf-8")
    os.replace(aside, path)


@pytest.fixture
def workspace(
    qtbot: QtBot, loop: qasync.QEventLoop, tmp_path: Path
) -> Iterator[Workspace]:
    built = build_workspace(Settings.open(tmp_path / "settings.ini"))
    qtbot.addWidget(built.window)
    built.window.show()
    qtbot.waitExposed(built.window)
    try:
        yield built
    finally:
        closing = loop.create_task(built.aclose())
        qtbot.waitUntil(closing.done, timeout=WAIT_MS)


def open_file(qtbot: QtBot, workspace: Workspace, path: Path) -> None:
    """What File → Open manifest… does once a file is picked."""
    workspace.window.manifest_chosen.emit(path)
    view = workspace.window.catalog
    qtbot.waitUntil(
        lambda: view.index_of("Vehicle metrics", IDLE_TITLE).isValid(),
        timeout=WAIT_MS,
    )


def click_report(qtbot: QtBot, workspace: Workspace, category: str, title: str) -> None:
    view = workspace.window.catalog
    index = view.index_of(category, title)
    position = view.tree.visualRect(index).center()
    qtbot.mouseClick(view.tree.viewport(), Qt.MouseButton.LeftButton, pos=position)
    page = workspace.window.report_page
    qtbot.waitUntil(lambda: page.title_label.text() == title, timeout=WAIT_MS)


def problem_lines(workspace: Workspace) -> list[str]:
    return workspace.window.problems_panel.shown_lines()


def test_the_window_follows_a_manifest_file_as_it_is_edited(
    qtbot: QtBot, workspace: Workspace, tmp_path: Path
) -> None:
    path = tmp_path / "manifest.json"
    document = manifest()
    write(path, document)
    window = workspace.window
    assert window.open_manifest_action.shortcut().toString() == "Ctrl+O"

    open_file(qtbot, workspace, path)
    assert window.problems_dock.isVisible()
    assert window.catalog.index_of("Trip analysis", OTHER_TITLE).isValid()
    assert any("unknown peg_type '$zones'" in line for line in problem_lines(workspace))

    click_report(qtbot, workspace, "Vehicle metrics", IDLE_TITLE)
    page = window.report_page
    assert not page.run_action.isEnabled()
    assert NO_GATEWAY in page.reason_label.text()
    assert not page.schedule_button.isEnabled()
    assert page.schedule_button.accessibleDescription() == NO_GATEWAY_TO_SCHEDULE
    note = page.form.editor("note")
    assert note is not None
    qtbot.keyClicks(note.focus_widgets()[0], "kept across reloads")
    qtbot.waitUntil(lambda: page.values().get("note") == "kept across reloads")

    # The JSON body Run would send works without a gateway.
    page.body_action.setChecked(True)
    qtbot.waitUntil(lambda: "kept across reloads" in page.body_view.text.toPlainText())

    # A title changed and a field added: the form follows, the value stays.
    edited = copy.deepcopy(document)
    properties = edited["scripts"][0]["parameters_schema"]["properties"]
    properties["min_idle"]["title"] = "Least idle"
    properties["driver"] = {"type": "string", "title": "Driver"}
    write(path, edited)
    qtbot.waitUntil(lambda: page.form.editor("driver") is not None, timeout=WAIT_MS)
    min_idle = page.form.editor("min_idle")
    assert min_idle is not None
    assert min_idle.spec.title == "Least idle"
    assert page.title_label.text() == IDLE_TITLE
    assert page.values().get("note") == "kept across reloads"

    # Broken JSON: the syntax error with its place; the last catalog stays.
    text = json.dumps(edited, indent=2)
    path.write_text(text[:-4], encoding="utf-8")
    qtbot.waitUntil(
        lambda: any("not valid JSON" in line for line in problem_lines(workspace)),
        timeout=WAIT_MS,
    )
    broken = next(line for line in problem_lines(workspace) if "not valid JSON" in line)
    assert broken.split(" ")[0].count(":") == 1  # line:column first
    assert window.catalog.index_of("Vehicle metrics", IDLE_TITLE).isValid()
    assert page.form.editor("driver") is not None
    assert page.values().get("note") == "kept across reloads"

    # Fixed, by an editor that replaces the file: it is still followed.
    del properties["driver"]
    replace(path, json.dumps(edited, indent=2))
    qtbot.waitUntil(lambda: page.form.editor("driver") is None, timeout=WAIT_MS)
    assert not any("not valid JSON" in line for line in problem_lines(workspace))
    assert page.values().get("note") == "kept across reloads"

    # And again after the replace: the watch was set on the new file.
    properties["note"]["title"] = "Remark"
    write(path, edited)
    qtbot.waitUntil(
        lambda: (
            (editor := page.form.editor("note")) is not None
            and editor.spec.title == "Remark"
        ),
        timeout=WAIT_MS,
    )
    assert page.values().get("note") == "kept across reloads"


def test_clicking_a_problem_shows_its_script_and_field(
    qtbot: QtBot, workspace: Workspace, tmp_path: Path
) -> None:
    path = tmp_path / "manifest.json"
    write(path, manifest())
    open_file(qtbot, workspace, path)
    window = workspace.window
    click_report(qtbot, workspace, "Vehicle metrics", IDLE_TITLE)

    panel = window.problems_panel
    row = next(i for i, line in enumerate(panel.shown_lines()) if "'$zones'" in line)
    assert "(/scripts/1/parameters_schema/properties/zone/peg_type)" in (
        panel.list.item(row).text()
    )
    item_rect = panel.list.visualItemRect(panel.list.item(row))
    qtbot.mouseClick(
        panel.list.viewport(), Qt.MouseButton.LeftButton, pos=item_rect.center()
    )

    page = window.report_page
    qtbot.waitUntil(lambda: page.title_label.text() == OTHER_TITLE, timeout=WAIT_MS)
    zone = page.form.editor("zone")
    assert zone is not None
    qtbot.waitUntil(lambda: QApplication.focusWidget() is zone.focus_widgets()[0])


def test_a_broken_file_opened_first_shows_its_syntax_error(
    qtbot: QtBot, workspace: Workspace, tmp_path: Path
) -> None:
    path = tmp_path / "manifest.json"
    path.write_text('{"definitions": {}, "scripts": [', encoding="utf-8")
    workspace.window.manifest_chosen.emit(path)

    qtbot.waitUntil(
        lambda: any("not valid JSON" in line for line in problem_lines(workspace)),
        timeout=WAIT_MS,
    )
    assert workspace.window.catalog.shown_reports() == []

    write(path, manifest())
    qtbot.waitUntil(
        lambda: len(workspace.window.catalog.shown_reports()) == 2, timeout=WAIT_MS
    )


@pytest.mark.slow
def test_a_file_opened_while_signed_in_cannot_run_on_the_gateway(
    qtbot: QtBot, workspace: Workspace, demo_stack: DemoStack, tmp_path: Path
) -> None:
    sign_in_to_demo(qtbot, workspace, demo_stack)
    view = workspace.window.catalog
    assert view.index_of("Vehicle metrics", "Idling Usage").isValid()

    path = tmp_path / "manifest.json"
    write(path, manifest())
    open_file(qtbot, workspace, path)
    assert not view.index_of("Vehicle metrics", "Idling Usage").isValid()
    click_report(qtbot, workspace, "Vehicle metrics", IDLE_TITLE)
    page = workspace.window.report_page
    assert not page.run_action.isEnabled()
    assert NO_GATEWAY in page.reason_label.text()
    assert not page.schedule_button.isEnabled()

    # Signing in again brings the gateway's catalog back.
    sign_in_to_demo(qtbot, workspace, demo_stack)
    qtbot.waitUntil(
        lambda: view.index_of("Vehicle metrics", "Idling Usage").isValid(),
        timeout=WAIT_MS,
    )
    assert not workspace.window.problems_dock.isVisible()
    assert not workspace.workbench.active


@pytest.fixture
def served() -> Iterator[tuple[str, dict[str, Any]]]:
    """A loopback engine serving /manifest; its URL and the document it serves."""
    document = manifest()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            body = json.dumps(document).encode()
            self.send_response(200 if self.path == "/manifest" else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/manifest", document
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def test_a_manifest_address_is_fetched_and_reloaded_on_request(
    qtbot: QtBot, workspace: Workspace, served: tuple[str, dict[str, Any]]
) -> None:
    url, document = served
    open_manifest(workspace, url)
    view = workspace.window.catalog
    qtbot.waitUntil(
        lambda: view.index_of("Vehicle metrics", IDLE_TITLE).isValid(),
        timeout=WAIT_MS,
    )
    click_report(qtbot, workspace, "Vehicle metrics", IDLE_TITLE)
    page = workspace.window.report_page
    assert "opened from an address has no gateway" in page.reason_label.text()

    properties = document["scripts"][0]["parameters_schema"]["properties"]
    properties["driver"] = {"type": "string", "title": "Driver"}
    workspace.window.reload_action.trigger()
    qtbot.waitUntil(lambda: page.form.editor("driver") is not None, timeout=WAIT_MS)


def test_a_manifest_address_that_cannot_be_reached_says_so(
    qtbot: QtBot, workspace: Workspace
) -> None:
    url = f"http://127.0.0.1:{closed_port()}/manifest"
    open_manifest(workspace, url)
    panel = workspace.window.problems_panel
    qtbot.waitUntil(
        lambda: "cannot fetch the manifest" in panel.summary.text(), timeout=WAIT_MS
    )
    assert url in panel.summary.text()


def test_the_manifest_option_is_a_window_option() -> None:
    args = build_parser(["--manifest", "lint"]).parse_args(["--manifest", "lint"])
    assert args.manifest == "lint"
    assert args.command is None
    assert subcommand_of(["--manifest", "lint"]) is None


def test_problem_pointers_name_their_script_and_field() -> None:
    assert problem_place("/scripts/2/parameters_schema/properties/min_idle/type") == (
        2,
        "min_idle",
    )
    assert problem_place("/scripts/0/title") == (0, None)
    assert problem_place("/scripts/1/parameters_schema/properties/a~1b") == (1, "a/b")
    assert problem_place("/definitions/x") is None
    assert problem_place("") is None
