"""A gateway that answers "busy" for a while: the window says it reconnects.

The real window built by app.gui against a sandbox of the tests' own (a
process on loopback), told through PUT /api/sandbox/faults to answer every
/api call with 503, then to stop.
"""

import logging
import urllib.parse
from collections.abc import Iterator

import pytest
from keyring.backend import KeyringBackend
from pytestqt.qtbot import QtBot
from support.own_gateway import OwnGateway, own_gateway
from support.window import WAIT_MS, sign_in

from app.gui import Workspace

pytestmark = pytest.mark.slow

# The longest wait between two tries, and then some.
BACK_MS = 60_000


@pytest.fixture(scope="module")
def own(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OwnGateway]:
    with own_gateway(tmp_path_factory.mktemp("busy-gateway")) as running:
        yield running


def test_the_status_bar_says_reconnecting_and_comes_back(
    qtbot: QtBot,
    workspace: Workspace,
    own: OwnGateway,
    memory_keyring: KeyringBackend,
    caplog: pytest.LogCaptureFixture,
) -> None:
    window = workspace.window
    sign_in(qtbot, workspace, own.url, own.username, own.password)
    qtbot.waitUntil(lambda: window.connection_state == "online", timeout=WAIT_MS)
    qtbot.waitUntil(lambda: workspace.catalog.catalog is not None, timeout=WAIT_MS)
    session = workspace.session.session
    assert session is not None
    host = urllib.parse.urlsplit(own.url).netloc
    caplog.set_level(logging.INFO, logger="app.controllers.connection")

    own.set_faults(**{"5xx": 1.0})
    window.reload_action.trigger()

    label = window.connection_label
    qtbot.waitUntil(
        lambda: label.text().startswith(f"Reconnecting to {host}… ("),
        timeout=WAIT_MS,
    )
    assert window.connection_state == "connecting"
    assert "503" in label.toolTip()

    own.set_faults(**{"5xx": 0.0})

    qtbot.waitUntil(lambda: window.connection_state == "online", timeout=BACK_MS)
    assert label.text() == session.label
    told = [
        r.getMessage()
        for r in caplog.records
        if r.name == "app.controllers.connection" and r.levelno == logging.INFO
    ]
    assert len([m for m in told if m.startswith("Reconnecting to")]) == 1
    assert len([m for m in told if "again" in m and "connected" in m]) == 1
