"""A report's own web page (its manifest's `app_url`), in the report page.

With Qt WebEngine installed (PySide6-Addons) the page is shown embedded;
without it, or where it cannot run, a line says so and "Open in browser"
hands the address to the desktop's browser. The address is checked
(app.app_urls) before either: https, or plain http on this machine only.
The embedded view stays on such addresses: a link elsewhere, or to another
kind of address, is not followed.

QtWebEngine is imported only when a page is first shown, so the app starts
as fast without it, and runs where it is not installed.
"""

import logging
import os
import sys
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QCoreApplication, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from app.app_urls import app_url_problem
from app.display_text import MESSAGE_LIMIT, MESSAGE_LINES, clipped
from widgets.plain_text import plain_label

log = logging.getLogger(__name__)

NO_WEB_ENGINE = (
    "This report has its own web page. It cannot be shown here because Qt "
    "WebEngine (the PySide6-Addons package) is not installed; open it in "
    "your browser instead."
)
AS_ROOT = (
    "This report has its own web page. It cannot be shown here while the app "
    "runs as the administrator (root), where the embedded browser refuses to "
    "start; open it in your browser instead."
)
LOAD_FAILED = (
    "The report's page did not load; check the engine, or open it in your browser."
)
PAGE_CRASHED = "The report's page stopped working; open it in your browser instead."
EMBEDDED = "The report's own page, from {host}."
LINK_REFUSED = (
    "The report's page tried to open an address that is not allowed here; "
    "it was not followed."
)
NOT_OPENED = "The desktop has no browser to open {url}."


def web_engine_missing() -> str | None:
    """Why an embedded web view cannot be had here; None if it can.

    Chromium, inside QtWebEngine, ends the whole process when it starts as
    root with its sandbox on: that is said here, before it is tried.
    """
    try:
        from PySide6 import QtWebEngineWidgets  # noqa: F401
    except ImportError as exc:
        log.info("no embedded web view: %s", exc)
        return NO_WEB_ENGINE
    if _runs_as_root() and not _sandbox_disabled(os.environ):
        return AS_ROOT
    return None


def _runs_as_root() -> bool:
    return sys.platform != "win32" and hasattr(os, "geteuid") and os.geteuid() == 0


def _sandbox_disabled(environ: Any) -> bool:
    flags = str(environ.get("QTWEBENGINE_CHROMIUM_FLAGS", ""))
    return bool(environ.get("QTWEBENGINE_DISABLE_SANDBOX")) or "--no-sandbox" in flags


# TODO(report-page): the page gets nothing of the user's session (no token,
# no gateway address), as the gateway's own web client may pass to its
# iframe; a report page that needs them asks the user to sign in again.
class AppPage(QWidget):
    """The page at a report's app_url, embedded, or a button that opens it.

    Signals:
        opened_outside(str): the address was handed to the desktop's browser.
    """

    opened_outside = Signal(str)

    def __init__(self, parent: QWidget | None = None, *, embed: bool = True) -> None:
        """embed=False never tries the embedded view (the fallback, as tests
        and machines without QtWebEngine see it)."""
        super().__init__(parent)
        self._embed = embed
        self.url = ""
        self.view: Any = None
        # A navigation just refused: the failed load it leaves is no failure.
        self._refused = False

        self.notice = plain_label()
        self.notice.setObjectName("muted")
        self.notice.setWordWrap(True)
        self.open_button = QPushButton("Open in browser")
        self.open_button.setToolTip("Open the report's page in your web browser")
        self.open_button.clicked.connect(self._on_open_button_clicked)
        top = QHBoxLayout()
        top.addWidget(self.notice, 1)
        top.addWidget(self.open_button)

        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.addLayout(top)
        # Keeps the notice at the top when no view fills the page.
        self._layout.addStretch(0)

    @property
    def embedded(self) -> bool:
        """Whether the page is shown here, in a web view."""
        return self.view is not None and self.view.isVisibleTo(self)

    def show_url(self, url: str) -> None:
        """Show the page at url; refused in words if its address is not allowed."""
        problem = app_url_problem(url)
        if problem is not None:
            self.show_refused(f"This report's page cannot be opened: {problem}.")
            return

        if url.strip() == self.url and self.embedded:
            return  # shown already: a reload would lose what was done in it
        self.url = url.strip()
        self.open_button.setEnabled(True)
        missing = web_engine_missing() if self._embed else NO_WEB_ENGINE
        if missing is not None:
            self._hide_view()
            self._say(missing)
            return

        view = self._web_view()
        host = QUrl(self.url).host()
        self._say(EMBEDDED.format(host=host))
        view.show()
        log.info("showing the report's page from %s", host)
        view.setUrl(QUrl(self.url))

    def show_refused(self, reason: str) -> None:
        """No page: only the reason, and nothing to open."""
        self.url = ""
        self._hide_view()
        self.open_button.setEnabled(False)
        self._say(reason)

    def clear(self) -> None:
        """Leave no page loaded (another report is shown)."""
        self.url = ""
        self._hide_view()
        self._say("")

    def close_view(self) -> None:
        """Delete the embedded view now, its page with it.

        QtWebEngine wants every page gone before its profile, which goes
        with the application: done as the application quits, or by whoever
        ends the page before that (tests).
        """
        view, self.view = self.view, None
        if view is not None and shiboken6.isValid(view):
            shiboken6.delete(view)

    # -- the embedded view ----------------------------------------------------

    def _web_view(self) -> Any:
        if self.view is None:
            self.view = _make_web_view(self, self._on_page_link_refused)
            self.view.loadFinished.connect(self._on_view_load_finished)
            self.view.page().renderProcessTerminated.connect(
                self._on_page_render_process_terminated
            )
            self._layout.insertWidget(1, self.view, 1)
            application = QCoreApplication.instance()
            if application is not None:
                application.aboutToQuit.connect(self.close_view)
        return self.view

    def _hide_view(self) -> None:
        if self.view is not None:
            self.view.hide()
            self.view.setUrl(QUrl("about:blank"))

    def _say(self, text: str) -> None:
        self.notice.setText(clipped(text, MESSAGE_LIMIT, lines=MESSAGE_LINES))

    def _on_page_link_refused(self) -> None:
        self._refused = True
        self._say(LINK_REFUSED)

    def _on_view_load_finished(self, ok: bool) -> None:
        refused, self._refused = self._refused, False
        if refused or not self.url:
            return
        host = QUrl(self.url).host()
        if ok:
            self._say(EMBEDDED.format(host=host))
        else:
            log.warning("the report's page from %s did not load", host)
            self._say(LOAD_FAILED)

    def _on_page_render_process_terminated(self, status: Any, code: int) -> None:
        log.warning("the report's page stopped (%s, code %s)", status, code)
        self._hide_view()
        self._say(PAGE_CRASHED)

    def _on_open_button_clicked(self) -> None:
        # Checked again: the address must never be opened unchecked.
        if not self.url or app_url_problem(self.url) is not None:
            return
        if QDesktopServices.openUrl(QUrl(self.url)):
            log.info("opened the report's page in the browser")
            self.opened_outside.emit(self.url)
        else:
            self._say(NOT_OPENED.format(url=self.url))


def _make_web_view(parent: QWidget, on_refused: Callable[[], None]) -> Any:
    """A QWebEngineView that stays on allowed addresses and opens no windows;
    on_refused() is called when a navigation is not followed."""
    from PySide6.QtWebEngineCore import QWebEnginePage, QWebEngineSettings
    from PySide6.QtWebEngineWidgets import QWebEngineView

    class StayingPage(QWebEnginePage):
        def acceptNavigationRequest(  # noqa: N802 - Qt's name
            self, url: QUrl | str, kind: Any, is_main_frame: bool
        ) -> bool:
            text = url.toString() if isinstance(url, QUrl) else str(url)
            allowed = text == "about:blank" or app_url_problem(text) is None
            if not allowed:
                # Scheme and host only: a query may hold someone's token.
                target = QUrl(text)
                log.warning(
                    "the report's page was kept from leaving for %s://%s",
                    target.scheme(),
                    target.host(),
                )
                on_refused()
            return allowed

    view = QWebEngineView(parent)
    # The default profile keeps nothing on disk (off the record).
    view.setPage(StayingPage(view))
    settings = view.settings()
    settings.setAttribute(
        QWebEngineSettings.WebAttribute.JavascriptCanOpenWindows, False
    )
    settings.setAttribute(
        QWebEngineSettings.WebAttribute.LocalContentCanAccessFileUrls, False
    )
    return view
