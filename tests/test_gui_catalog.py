"""The catalog in the window: icons, their fallback, broken scripts and engines.

A second sandbox gateway is started with three engines: the embedded one,
a small loopback server offering a hand-written manifest (with icons it
serves, one it does not, and a script whose reference points nowhere), and
a port where nothing listens.
"""

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import qasync
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QColor
from pytestqt.qtbot import QtBot
from support.servers import closed_port
from support.window import WAIT_MS, sign_in_to_demo

from app.controllers.icons import loopback_only
from app.gui import build_workspace
from app.local_stack import DemoStack
from app.settings import Settings
from widgets.catalog import SCRIPT_ROLE, UNAVAILABLE_LABEL

pytestmark = pytest.mark.slow

ICON_COLOR = "#ff00ff"
ICON_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="24" '
    f'height="24"><rect width="24" height="24" fill="{ICON_COLOR}"/></svg>'
)


def manifest(base: str) -> dict[str, object]:
    period = {"from": {"type": "string", "format": "date-time", "peg_type": "$from"}}
    return {
        "definitions": period,
        "scripts": [
            {
                "script": "depot_visits",
                "title": "Depot Visits",
                "desc": "Arrivals at each depot",
                "icon": f"{base}/icons/depot.svg",
                "category": "trip_analysis",
                "parameters_schema": {
                    "type": "object",
                    "properties": {"from": {"$ref": "#/definitions/from"}},
                },
            },
            {
                "script": "fuel_drops",
                "title": "Fuel Drops",
                "desc": "Sudden falls of the fuel level",
                "icon": f"{base}/icons/missing.svg",
                "category": "accessories",
            },
            {
                "script": "broken_report",
                "title": "Broken Report",
                "category": "accessories",
                "parameters_schema": {
                    "type": "object",
                    "properties": {"to": {"$ref": "#/definitions/to"}},
                },
            },
        ],
    }


@pytest.fixture
def engine_site() -> Iterator[str]:
    """A loopback server with a manifest and one icon; its URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            base = f"http://127.0.0.1:{self.server.server_address[1]}"
            if self.path == "/manifest":
                self._send(200, "application/json", json.dumps(manifest(base)))
            elif self.path == "/icons/depot.svg":
                self._send(200, "image/svg+xml", ICON_SVG)
            else:
                self._send(404, "text/plain", "not here")

        def _send(self, status: int, kind: str, body: str) -> None:
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


@pytest.fixture
def stack(engine_site: str, tmp_path: Path) -> Iterator[DemoStack]:
    dead_engine = f"http://127.0.0.1:{closed_port()}/engine"
    started = DemoStack(
        folder=tmp_path / "stack",
        extra_sandbox_args=["--engine", engine_site, "--engine", dead_engine],
    ).start()
    try:
        yield started
    finally:
        started.stop()


def icon_color(index: QModelIndex) -> str:
    """The colour in the middle of the icon a catalog row shows."""
    picture = index.data(Qt.ItemDataRole.DecorationRole)
    return QColor(picture.pixmap(24, 24).toImage().pixel(12, 12)).name()


def test_icons_arrive_in_the_background_and_broken_parts_are_explained(
    qtbot: QtBot, loop: qasync.QEventLoop, stack: DemoStack, tmp_path: Path
) -> None:
    workspace = build_workspace(
        Settings.open(tmp_path / "settings.ini"), icon_hosts=loopback_only
    )
    qtbot.addWidget(workspace.window)
    workspace.window.show()
    try:
        with qtbot.waitSignal(workspace.catalog.icon_loaded, timeout=WAIT_MS):
            sign_in_to_demo(qtbot, workspace, stack)
        view = workspace.window.catalog

        assert icon_color(view.index_of("Trip analysis", "Depot Visits")) == ICON_COLOR
        fallback = view.index_of("Accessories", "Fuel Drops")
        assert fallback.isValid()
        assert icon_color(fallback) != ICON_COLOR
        assert view.index_of("Vehicle metrics", "Idling Usage").isValid()

        broken = view.index_of("Accessories", "Broken Report")
        assert not broken.flags() & Qt.ItemFlag.ItemIsEnabled
        assert "#/definitions/to" in broken.data(Qt.ItemDataRole.ToolTipRole)
        assert broken.data(SCRIPT_ROLE).usable is False

        assert view.select_script("depot_visits")
        page_icon = workspace.window.report_page.icon_label.pixmap().toImage()
        assert QColor(page_icon.pixel(20, 20)).name() == ICON_COLOR

        dead = view.index_of(UNAVAILABLE_LABEL, "An engine could not be loaded")
        assert "could not reach" in dead.data(Qt.ItemDataRole.ToolTipRole)
        assert "1 of 3 engines could not be loaded" in workspace.window.banner.text
    finally:
        closing = loop.create_task(workspace.aclose())
        qtbot.waitUntil(closing.done, timeout=WAIT_MS)
