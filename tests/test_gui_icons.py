"""Report icons: which addresses are fetched, and how.

Icons are named by manifests and fetched as soon as the catalog loads, so
the app's own policy (not only the tests') fetches https anywhere and http
only from this machine, and never follows a redirect. Nothing here connects
beyond loopback: the environment's proxy is pointed at a recording socket
on loopback, so a request the policy should have stopped would arrive there
instead of going out.
"""

import pytest
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from support.servers import recording, serving

from app.controllers.icons import (
    MAX_ICON_BYTES,
    IconFetcher,
    any_host,
    icon_url_problem,
)

SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 4 4">'
    b'<rect width="4" height="4" fill="#ff00ff"/></svg>'
)
REFUSED = [
    "http://192.0.2.1/x.svg",
    "http://169.254.169.254/latest/meta-data/iam/",
    "http://cdn.example/icons/trips.svg",
    "ftp://192.0.2.1/x.svg",
    "file:///etc/passwd",
    "https:///no-host.svg",
]
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")


@pytest.mark.parametrize("url", REFUSED)
def test_the_policy_refuses_plain_http_to_other_hosts_and_other_schemes(
    url: str,
) -> None:
    assert icon_url_problem(url) is not None


@pytest.mark.parametrize(
    "url",
    [
        "https://cdn.example/icons/trips.svg",
        "http://127.0.0.1:8801/icon.svg",
        "http://localhost/icon.png",
        "http://[::1]:9000/icon.svg",
    ],
)
def test_the_policy_allows_https_and_http_on_this_machine(url: str) -> None:
    assert icon_url_problem(url) is None


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
                    assert await fetcher.fetch(url) is None
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
            data = await fetcher.fetch(f"{url}/icons/trips.svg")
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
            data = await fetcher.fetch(f"{url}/icons/moved.svg")
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
            assert await fetcher.fetch(f"{url}/huge.svg") is None
        finally:
            await fetcher.aclose()
