"""Looking for jobs started by schedules, on a gateway without a job list.

The schedules controller looks at GET /api/job_manager while signed in. A
small gateway of the test's own (support/servers.py) answers 404 there
until the test lets it list jobs: the controller must say so once, at
info, ask less and less often, and go back to its usual pace once the
list can be read.
"""

import logging
from collections.abc import Iterator

import pytest
import qasync
from pytestqt.qtbot import QtBot
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from support.servers import serving_in_thread
from support.window import WAIT_MS

from app.controllers.notices import Notices
from app.controllers.schedules import SchedulesController
from app.controllers.session import Session
from app.gateway import Gateway
from widgets.main_window import MainWindow

TOKEN = "7d1a" * 14
WATCH_SECONDS = 0.01
LOGGER = "app.controllers.schedules"


class JobList:
    """Whether the gateway lists jobs yet, and how often it was asked."""

    def __init__(self) -> None:
        self.exists = False
        self.asked = 0

    async def answer(self, request: Request) -> Response:
        self.asked += 1
        if not self.exists:
            return JSONResponse({"message": "Not Found"}, status_code=404)
        return JSONResponse({"set": 1000, "page": 1, "pages": 1, "data": []})


@pytest.fixture
def jobs() -> JobList:
    return JobList()


@pytest.fixture
def gateway_url(jobs: JobList) -> Iterator[str]:
    with serving_in_thread({"/api/job_manager": jobs.answer}) as url:
        yield url


@pytest.fixture
def gateway(
    loop: qasync.QEventLoop, qtbot: QtBot, gateway_url: str
) -> Iterator[Gateway]:
    client = Gateway(gateway_url, token=TOKEN)
    try:
        yield client
    finally:
        closed = loop.create_task(client.aclose())
        qtbot.waitUntil(closed.done, timeout=WAIT_MS)


@pytest.fixture
def controller(loop: qasync.QEventLoop, qtbot: QtBot) -> Iterator[SchedulesController]:
    window = MainWindow()
    qtbot.addWidget(window)
    schedules = SchedulesController(
        window, Notices(window), lambda _s, _e: None, watch_seconds=WATCH_SECONDS
    )
    try:
        yield schedules
    finally:
        closing = loop.create_task(schedules.aclose())
        qtbot.waitUntil(closing.done, timeout=WAIT_MS)


def records(caplog: pytest.LogCaptureFixture, level: int) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == LOGGER and r.levelno == level
    ]


def test_a_gateway_without_a_job_list_is_named_once_and_asked_less_often(
    qtbot: QtBot,
    gateway: Gateway,
    controller: SchedulesController,
    jobs: JobList,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    controller.start_session(Session(gateway=gateway, username="ana"))

    # Four failed looks in a row: the wait has doubled each time.
    qtbot.waitUntil(lambda: jobs.asked >= 4, timeout=WAIT_MS)
    qtbot.waitUntil(
        lambda: controller.watch_delay >= WATCH_SECONDS * 2**4, timeout=WAIT_MS
    )
    said = records(caplog, logging.INFO)
    assert len(said) == 1
    assert "jobs started by schedules are not shown" in said[0]
    assert "HTTP 404" in said[0]
    assert records(caplog, logging.WARNING) == []

    # The gateway lists jobs again: the usual pace is back, and it is said.
    jobs.exists = True
    qtbot.waitUntil(lambda: controller.watch_delay == WATCH_SECONDS, timeout=WAIT_MS)
    assert records(caplog, logging.INFO)[1:] == ["the job list can be read again"]
    asked = jobs.asked
    qtbot.waitUntil(lambda: jobs.asked >= asked + 3, timeout=WAIT_MS)
    assert records(caplog, logging.WARNING) == []
