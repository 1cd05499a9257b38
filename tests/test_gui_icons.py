"""Report icons: which addresses are fetched, how, and what is decoded.

Icons are named by manifests and fetched as soon as the catalog loads, so
the app's own policy (not only the tests') fetches https anywhere, http
only from this computer and only for a gateway on this computer, and never
follows a redirect. Nothing here connects beyond loopback: the
environment's proxy is pointed at a recording socket on loopback, so a
request the policy should have stopped would arrive there instead of going
out. A picture is decoded only when its header says it is small enough,
and then at the size it is shown; the window fetches a few at a time, and
a bounded number per catalog.
"""

import struct
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
import qasync
from PySide6.QtCore import QBuffer, QIODevice, QSize
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from support.servers import recording, serving
from support.small_gateway import small_gateway
from support.window import WAIT_MS, sign_in

from app.controllers.catalog import MAX_ICONS
from app.controllers.icons import (
    MAX_ICON_BYTES,
    MAX_PARALLEL,
    IconFetcher,
    any_host,
    gateway_is_local,
    icon_url_problem,
    loopback_only,
)
from app.gui import Workspace, build_workspace
from app.settings import Settings
from widgets.icons import MAX_ICON_PIXELS, REPORT_ICON_PIXELS, icon_from_bytes

SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 4 4">'
    b'<rect width="4" height="4" fill="#ff00ff"/></svg>'
)
REFUSED = [
    "http://192.0.2.1/x.svg",
    "http://foo.localhost/x.svg",
    "http://127.1/x.svg",
    "http://[::ffff:127.0.0.1]/x.svg",
    "http://169.254.169.254/latest/meta-data/iam/",
    "http://cdn.example/icons/trips.svg",
    "ftp://192.0.2.1/x.svg",
    "file:///etc/passwd",
    "https:///no-host.svg",
]
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")


HERE = [
    "http://127.0.0.1:8801/icon.svg",
    "http://127.8.9.10/icon.svg",
    "http://localhost/icon.png",
    "http://LOCALHOST:631/icon.png",
    "http://[::1]:9000/icon.svg",
]


@pytest.mark.parametrize("url", REFUSED)
def test_the_policy_refuses_plain_http_to_other_hosts_and_other_schemes(
    url: str,
) -> None:
    assert icon_url_problem(url, local_gateway=True) is not None
    assert icon_url_problem(url, local_gateway=False) is not None


@pytest.mark.parametrize("url", HERE)
def test_http_on_this_computer_only_for_a_gateway_on_this_computer(url: str) -> None:
    assert icon_url_problem(url, local_gateway=True) is None
    assert icon_url_problem(url, local_gateway=False) == (
        "plain http to this computer, named by a gateway elsewhere"
    )


def test_https_is_allowed_for_any_gateway() -> None:
    url = "https://cdn.example/icons/trips.svg"
    assert icon_url_problem(url, local_gateway=False) is None
    assert icon_url_problem(url, local_gateway=True) is None


@pytest.mark.parametrize(
    ("site", "local"),
    [
        ("http://127.0.0.1:8801", True),
        ("http://localhost:8801/api", True),
        ("http://[::1]:8801", True),
        ("https://cloud.pegasusgateway.com", False),
        ("http://gateway.localhost:8801", False),
        ("http://10.0.0.5", False),
    ],
)
def test_which_gateways_are_on_this_computer(site: str, local: bool) -> None:
    assert gateway_is_local(site) is local


@pytest.mark.asyncio
async def test_refused_icons_are_never_requested(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with recording() as (proxy, received):
        for name in PROXY_VARIABLES:
            monkeypatch.setenv(name, proxy)
            monkeypatch.setenv(name.lower(), proxy)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)

        for fetcher in (IconFetcher(), IconFetcher(any_host)):
            try:
                for url in REFUSED:
                    assert await fetcher.fetch(url, local_gateway=True) is None
                # A remote gateway's manifest naming a port of this computer.
                here = f"{proxy}/icon.svg"
                assert await fetcher.fetch(here, local_gateway=False) is None
            finally:
                await fetcher.aclose()

    assert received == []


@pytest.mark.asyncio
async def test_an_icon_served_on_loopback_over_http_loads() -> None:
    async def icon(request: Request) -> Response:
        return Response(SVG, media_type="image/svg+xml")

    async with serving({"/icons/trips.svg": icon}) as url:
        fetcher = IconFetcher()
        try:
            data = await fetcher.fetch(f"{url}/icons/trips.svg", local_gateway=True)
        finally:
            await fetcher.aclose()

    assert data == SVG


@pytest.mark.asyncio
async def test_a_redirect_is_not_followed() -> None:
    asked: list[str] = []

    async def moved(request: Request) -> Response:
        return RedirectResponse("/icons/elsewhere.svg", status_code=302)

    async def elsewhere(request: Request) -> Response:
        asked.append(request.url.path)
        return Response(SVG, media_type="image/svg+xml")

    routes = {"/icons/moved.svg": moved, "/icons/elsewhere.svg": elsewhere}
    async with serving(routes) as url:
        fetcher = IconFetcher()
        try:
            data = await fetcher.fetch(f"{url}/icons/moved.svg", local_gateway=True)
        finally:
            await fetcher.aclose()

    assert data is None
    assert asked == []


@pytest.mark.asyncio
async def test_an_icon_larger_than_the_cap_is_not_used() -> None:
    async def huge(request: Request) -> Response:
        return Response(b"<svg>" + b" " * MAX_ICON_BYTES, media_type="image/svg+xml")

    async with serving({"/huge.svg": huge}) as url:
        fetcher = IconFetcher()
        try:
            assert await fetcher.fetch(f"{url}/huge.svg", local_gateway=True) is None
        finally:
            await fetcher.aclose()


# --- What is decoded ------------------------------------------------------------


def png_of_size(width: int, height: int) -> bytes:
    """A black-and-white PNG of any size, a few KB whatever its pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    row = b"\x00" + bytes((width + 7) // 8)
    packer = zlib.compressobj(9)
    rows = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", rows)
        + chunk(b"IEND", b"")
    )


def png_of_color(size: int, color: str) -> bytes:
    image = QImage(size, size, QImage.Format.Format_RGB32)
    image.fill(QColor(color))
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(buffer.data().data())


def decoded_sizes(data: bytes) -> list[QSize]:
    picture = icon_from_bytes(data)
    assert picture is not None
    return picture.availableSizes()


@pytest.mark.parametrize(
    "size", [(8000, 8000), (MAX_ICON_PIXELS + 1, 16), (16, MAX_ICON_PIXELS + 1)]
)
def test_a_picture_of_too_many_pixels_is_refused_unread(
    qapp: QApplication, size: tuple[int, int]
) -> None:
    data = png_of_size(*size)
    # A small file: only its pixels are too many.
    assert len(data) < MAX_ICON_BYTES

    assert icon_from_bytes(data) is None


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"not a picture at all",
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 40,
        # Compressed SVG: how far it unpacks cannot be told from its header.
        b"\x1f\x8b\x08\x00" + b"\x00" * 40,
    ],
)
def test_bytes_whose_size_cannot_be_read_are_not_an_icon(
    qapp: QApplication, data: bytes
) -> None:
    assert icon_from_bytes(data) is None


def test_a_picture_is_decoded_at_the_size_it_is_shown(qapp: QApplication) -> None:
    assert decoded_sizes(png_of_size(MAX_ICON_PIXELS, MAX_ICON_PIXELS)) == [
        QSize(REPORT_ICON_PIXELS, REPORT_ICON_PIXELS)
    ]
    assert decoded_sizes(png_of_size(1000, 500)) == [
        QSize(REPORT_ICON_PIXELS, REPORT_ICON_PIXELS // 2)
    ]

    picture = icon_from_bytes(png_of_color(600, "#ff00ff"))
    assert picture is not None
    shown = picture.pixmap(REPORT_ICON_PIXELS, REPORT_ICON_PIXELS).toImage()
    assert QColor(shown.pixel(10, 10)).name() == "#ff00ff"


def test_an_svg_is_drawn_at_the_shown_size_whatever_it_declares(
    qapp: QApplication,
) -> None:
    svg = (
        b'<svg xmlns="http://www.w3.org/2000/svg" width="100000" height="50000" '
        b'viewBox="0 0 4 2"><rect width="4" height="2" fill="#ff00ff"/></svg>'
    )

    assert decoded_sizes(svg) == [QSize(REPORT_ICON_PIXELS, REPORT_ICON_PIXELS // 2)]


# --- How many are fetched ----------------------------------------------------------


def many_icons(base: str, count: int) -> dict[str, object]:
    return {
        "scripts": [
            {
                "script": f"report_{n}",
                "title": f"Report {n:03d}",
                "category": "fleet_status",
                "icon": f"{base}/icons/{n}.png",
            }
            for n in range(count)
        ]
    }


@pytest.fixture
def bare_window(
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


@pytest.mark.slow
def test_icons_are_fetched_a_few_at_a_time_and_a_bounded_number_per_catalog(
    qtbot: QtBot, bare_window: Workspace
) -> None:
    # The manifest is served by the gateway itself, so it names its own URL.
    manifest: dict[str, object] = {}
    picture = png_of_color(16, "#ff00ff")
    with small_gateway(manifest, icon=picture, icon_delay=0.02) as (url, log):
        manifest.update(many_icons(url, MAX_ICONS + 30))
        sign_in(qtbot, bare_window, url, "ana", "secret")
        catalog = bare_window.catalog
        qtbot.waitUntil(lambda: catalog.catalog is not None, timeout=WAIT_MS)
        qtbot.waitUntil(lambda: catalog.icons_loading == 0, timeout=WAIT_MS)

    # The first reports of the manifest, each once, a few at a time.
    asked = sorted(int(Path(path).stem) for path in log.icons)
    assert asked == list(range(MAX_ICONS))
    assert 1 <= log.most_icons_at_once <= MAX_PARALLEL
