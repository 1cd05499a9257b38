"""Fetching the reports' own icons, in the background, with a fallback.

A manifest may give each script an https icon. The catalog shows the
category's icon at once and swaps in the real one if it arrives; an icon
that cannot be fetched quickly, is too big or is not a picture is simply
not used. Icons come from third-party servers, so the gateway's token is
never sent with them.
"""

import asyncio
import logging
import urllib.parse
from collections.abc import Callable

import httpx

log = logging.getLogger(__name__)

ICON_TIMEOUT = 5.0
MAX_ICON_BYTES = 512 * 1024
MAX_PARALLEL = 4

HostPolicy = Callable[[str], bool]


def any_host(url: str) -> bool:
    return True


def loopback_only(url: str) -> bool:
    """For tests: only icons served on this machine may be fetched."""
    host = urllib.parse.urlsplit(url).hostname or ""
    return host in ("127.0.0.1", "localhost", "::1")


class IconFetcher:
    """Downloads icon files; one client, closed with aclose()."""

    def __init__(self, allow: HostPolicy = any_host) -> None:
        self._allow = allow
        self._client = httpx.AsyncClient(timeout=ICON_TIMEOUT, follow_redirects=True)
        self._limit = asyncio.Semaphore(MAX_PARALLEL)
        self._cache: dict[str, bytes | None] = {}

    async def fetch(self, url: str) -> bytes | None:
        """The icon's bytes, or None when it cannot or may not be fetched."""
        if url in self._cache:
            return self._cache[url]
        if urllib.parse.urlsplit(url).scheme.lower() not in ("http", "https"):
            return None
        if not self._allow(url):
            log.debug("icon %s not fetched: host not allowed", url)
            return None

        async with self._limit:
            data = await self._download(url)
        self._cache[url] = data
        return data

    async def _download(self, url: str) -> bytes | None:
        try:
            async with self._client.stream("GET", url) as response:
                if response.status_code != 200:
                    log.debug("icon %s: HTTP %s", url, response.status_code)
                    return None
                data = bytearray()
                async for chunk in response.aiter_bytes():
                    data += chunk
                    if len(data) > MAX_ICON_BYTES:
                        log.debug("icon %s is larger than %d bytes", url, len(data))
                        return None
                return bytes(data)
        except httpx.HTTPError as exc:
            # A missing icon is not worth a warning: the fallback is shown.
            log.debug("icon %s could not be fetched: %s", url, exc)
            return None

    async def aclose(self) -> None:
        await self._client.aclose()
