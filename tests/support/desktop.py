"""What the window asks the desktop to open, caught instead of opened.

Opening a file goes through Qt's desktop services; a handler registered for
file URLs (QDesktopServices.setUrlHandler) notes each path, so nothing is
really opened. Registered for the whole suite in tests/conftest.py.
"""

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QObject, QUrl, Slot
from PySide6.QtGui import QDesktopServices


class OpenedUrls(QObject):
    """Receives what the app asks the desktop to open, instead of the desktop."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.urls.append(url.toLocalFile())


@pytest.fixture
def opened() -> Iterator[OpenedUrls]:
    receiver = OpenedUrls()
    QDesktopServices.setUrlHandler("file", receiver, "open")  # type: ignore[arg-type]
    try:
        yield receiver
    finally:
        QDesktopServices.unsetUrlHandler("file")
