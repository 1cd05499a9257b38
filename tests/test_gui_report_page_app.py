"""A report with its own web page (app_url) in the report page.

The page is embedded with Qt WebEngine where it runs, and served here by a
loopback server of the test's own; the fallback ("Open in browser") is
driven with the embedded view turned off, and what the desktop is asked to
open is caught, so nothing outside this machine is ever fetched or opened.
"""

import os
from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import QObject, Qt, QUrl, Slot
from PySide6.QtGui import QDesktopServices
from pytestqt.qtbot import QtBot
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from support.servers import serving_in_thread
from support.window import FORM_CONTEXT, WAIT_MS

import widgets.app_page
from app.app_urls import app_url_problem
from app.manifest import Script, load_manifest
from widgets.app_page import AS_ROOT, NO_WEB_ENGINE, AppPage, web_engine_missing
from widgets.report_page import APP_TAB, FORM_TAB, ReportPage

PAGE_TITLE = "Idle minutes, by depot"
OUTSIDE = "https://reports.example.org/idle"


class OpenedUrls(QObject):
    """Takes what the app asks the desktop to open, instead of the desktop."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.urls.append(url.toString())


@pytest.fixture
def opened() -> Iterator[OpenedUrls]:
    receiver = OpenedUrls()
    for scheme in ("http", "https"):
        QDesktopServices.setUrlHandler(scheme, receiver, "open")  # type: ignore[arg-type]
    try:
        yield receiver
    finally:
        for scheme in ("http", "https"):
            QDesktopServices.unsetUrlHandler(scheme)


@pytest.fixture
def report_site() -> Iterator[str]:
    """A loopback server with the report's page at /idle."""

    async def idle(request: Request) -> Response:
        return HTMLResponse(
            f"<html><head><title>{PAGE_TITLE}</title></head>"
            "<body><h1>Idle minutes</h1></body></html>"
        )

    with serving_in_thread({"/idle": idle}) as url:
        yield url


@pytest.fixture
def web_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chromium's own settings for this machine: no background fetching,
    and (as root, where its sandbox refuses to start) the sandbox off."""
    monkeypatch.setenv(
        "QTWEBENGINE_CHROMIUM_FLAGS",
        "--disable-background-networking --disable-component-update",
    )
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        monkeypatch.setenv("QTWEBENGINE_DISABLE_SANDBOX", "1")


def script_with(app_url: str | None) -> Script:
    manifest = load_manifest(
        {
            "scripts": [
                {
                    "script": "idle_app",
                    "title": "Idle app",
                    "app_url": app_url,
                    "parameters_schema": {
                        "type": "object",
                        "properties": {"depot": {"type": "string"}},
                    },
                }
            ]
        },
        source="test",
    )
    script = manifest.script("idle_app")
    assert script is not None
    return script


def tab_titles(page: ReportPage) -> list[str]:
    return [page.views.tabText(i) for i in range(page.views.count())]


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("https://reports.example.org/app?fleet=3", None),
        ("http://127.0.0.1:8080/app", None),
        ("http://localhost:9000/", None),
        ("http://[::1]:9000/", None),
        ("http://reports.example.org/app", "plain http"),
        ("http://10.0.0.5/app", "plain http"),
        ("file:///etc/passwd", "must start with https://"),
        ("javascript:alert(1)", "must start with https://"),
        ("https://ana:secret@reports.example.org/", "user name or password"),
        ("https://reports example.org/", "contains a space"),
        ("reports.example.org/app", "must start with https://"),
    ],
)
def test_only_https_or_loopback_http_pages_are_allowed(
    url: str, words: str | None
) -> None:
    problem = app_url_problem(url)

    if words is None:
        assert problem is None
    else:
        assert problem is not None
        assert words in problem
        assert "secret" not in problem


def test_without_an_embedded_view_the_page_opens_in_the_browser(
    qtbot: QtBot, opened: OpenedUrls
) -> None:
    page = AppPage(embed=False)
    qtbot.addWidget(page)
    page.show()

    page.show_url(OUTSIDE)

    assert page.notice.text() == NO_WEB_ENGINE
    assert not page.embedded
    assert page.view is None
    assert page.open_button.isEnabled()
    with qtbot.waitSignal(page.opened_outside):
        qtbot.mouseClick(page.open_button, Qt.MouseButton.LeftButton)
    assert opened.urls == [OUTSIDE]


def test_a_refused_page_says_why_and_offers_nothing_to_open(
    qtbot: QtBot, opened: OpenedUrls
) -> None:
    page = ReportPage()
    qtbot.addWidget(page)
    page.show()

    page.show_script(script_with("http://reports.example.org/idle"), FORM_CONTEXT)

    assert tab_titles(page) == [APP_TAB, FORM_TAB]
    assert page.views.currentWidget() is page.app_page
    notice = page.app_page.notice.text()
    assert "cannot be opened" in notice
    assert "plain http" in notice
    assert not page.app_page.open_button.isEnabled()
    qtbot.mouseClick(page.app_page.open_button, Qt.MouseButton.LeftButton)
    assert opened.urls == []
    # The form is still there, one tab away.
    assert page.form.editor("depot") is not None


def test_a_report_without_a_page_has_no_tabs(qtbot: QtBot) -> None:
    page = ReportPage()
    qtbot.addWidget(page)
    page.show()
    page.show_script(script_with("http://reports.example.org/idle"), FORM_CONTEXT)

    page.show_script(script_with(None), FORM_CONTEXT)

    assert tab_titles(page) == [FORM_TAB]
    assert not page.views.tabBar().isVisible()
    assert page.views.currentWidget() is not page.app_page


def test_as_root_with_its_sandbox_on_the_view_is_not_tried(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Chromium would end the whole app: said instead, with the fallback.
    monkeypatch.setattr(widgets.app_page, "_runs_as_root", lambda: True)
    monkeypatch.delenv("QTWEBENGINE_DISABLE_SANDBOX", raising=False)
    monkeypatch.setenv("QTWEBENGINE_CHROMIUM_FLAGS", "")

    assert web_engine_missing() == AS_ROOT

    monkeypatch.setenv("QTWEBENGINE_DISABLE_SANDBOX", "1")
    assert web_engine_missing() is None


def test_a_loopback_page_is_shown_embedded_and_stays_there(
    qtbot: QtBot, report_site: str, web_engine: None
) -> None:
    page = ReportPage()
    qtbot.addWidget(page)
    page.resize(900, 700)
    page.show()
    url = f"{report_site}/idle"

    page.show_script(script_with(url), FORM_CONTEXT)
    try:
        check_embedded_page(qtbot, page, url)
    finally:
        page.app_page.close_view()
    assert page.app_page.view is None


def check_embedded_page(qtbot: QtBot, page: ReportPage, url: str) -> None:
    assert page.app_page.embedded
    view: Any = page.app_page.view
    # Connected before the event loop runs again: no load is missed.
    loads: list[tuple[bool, str]] = []
    view.loadFinished.connect(lambda ok: loads.append((ok, view.url().toString())))
    qtbot.waitUntil(lambda: (True, url) in loads, timeout=WAIT_MS)
    assert view.title() == PAGE_TITLE
    assert page.app_page.open_button.isEnabled()
    assert "127.0.0.1" in page.app_page.notice.text()

    # A link to a file on this machine is not followed; the next one is.
    loads.clear()
    view.setUrl(QUrl("file:///etc/hostname"))
    qtbot.waitUntil(lambda: "not followed" in page.app_page.notice.text())
    view.setUrl(QUrl(f"{url}?again"))
    qtbot.waitUntil(lambda: (True, f"{url}?again") in loads, timeout=WAIT_MS)
    assert [seen for ok, seen in loads if ok] == [f"{url}?again"]
    assert view.title() == PAGE_TITLE
    assert "127.0.0.1" in page.app_page.notice.text()


def test_a_page_that_does_not_load_says_so_and_keeps_the_button(
    qtbot: QtBot, web_engine: None
) -> None:
    # A loopback port with nothing behind it: the server is already gone.
    with serving_in_thread({}) as gone:
        pass
    page = AppPage()
    qtbot.addWidget(page)
    page.show()

    page.show_url(f"{gone}/idle")

    try:
        qtbot.waitUntil(lambda: "did not load" in page.notice.text(), timeout=WAIT_MS)
        assert page.open_button.isEnabled()
    finally:
        page.close_view()
