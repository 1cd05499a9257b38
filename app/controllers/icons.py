"""Fetching the reports' own icons, in the background, with a fallback.

A manifest may give each script an https icon. The catalog shows the
category's icon at once and swaps in the real one if it arrives; an icon
that cannot be fetched quickly, is too big or is not a picture is simply
not used. Icons come from third-party servers named by whoever wrote the
manifest, and are fetched as soon as the catalog loads, unasked: so only
https addresses are fetched, redirects are never followed, and the
gateway's token is never sent with them. Plain http is fetched only from
this computer, and only for a gateway on this computer (the demo, an
engine author's): a remote gateway's manifest could otherwise make the app
knock on any port of the user's own machine.
"""

import asyncio
import ipaddress
import logging
import urllib.parse
from collections.abc import Callable

import httpx

log = logging.getLogger(__name__)

ICON_TIMEOUT = 5.0
# A whole icon, however slowly its bytes trickle in.
ICON_DEADLINE = 2 * ICON_TIMEOUT
MAX_ICON_BYTES = 512 * 1024
MAX_PARALLEL = 4
# Icons kept for the next load of a catalog; beyond this they are fetched
# again when needed rather than held in memory.
MAX_CACHED_BYTES = 16 * 1024 * 1024
LOOPBACK_V4 = ipaddress.IPv4Network("127.0.0.0/8")
LOOPBACK_V6 = ipaddress.IPv6Address("::1")

HostPolicy = Callable[[str], bool]


def is_this_computer(host: str) -> bool:
    """Whether host names this computer by itself: localhost, 127/8 or ::1.

    Nothing is resolved, and nothing else counts: not a "*.localhost" name,
    not an IPv4-mapped or scoped IPv6 form, so that no name a manifest
    writes can be made to mean this computer.
    """
    name = host.strip("[]").lower()
    if name == "localhost":
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv4Address):
        return address in LOOPBACK_V4
    return address == LOOPBACK_V6


def gateway_is_local(site_url: str) -> bool:
    """Whether a gateway's site is on this computer (its icons may use http)."""
    try:
        return is_this_computer(urllib.parse.urlsplit(site_url).hostname or "")
    except ValueError:
        return False


def icon_url_problem(url: str, *, local_gateway: bool = False) -> str | None:
    """Why an icon address may not be fetched; None when it may.

    https anywhere; http only to this computer, and only for the manifests
    of a gateway on this computer (local_gateway). A plain http request to
    another host could be read or changed on the way, or aimed at a service
    of the user's network (a cloud metadata address) by a manifest.
    """
    try:
        parts = urllib.parse.urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        return "it is not a valid address"
    scheme = parts.scheme.lower()
    if not host:
        return "it names no host"
    if scheme == "https":
        return None
    if scheme != "http":
        return f"{scheme or 'no'} scheme"
    if not is_this_computer(host):
        return "plain http to another host"
    if not local_gateway:
        return "plain http to this computer, named by a gateway elsewhere"
    return None


def any_host(url: str) -> bool:
    """No limit beyond icon_url_problem's (the app's own policy)."""
    return True


def loopback_only(url: str) -> bool:
    """For tests: only icons served on this computer may be fetched."""
    return is_this_computer(urllib.parse.urlsplit(url).hostname or "")


class IconFetcher:
    """Downloads icon files, at most MAX_PARALLEL at once; closed with aclose().

    allow narrows which icons are fetched (tests fetch only from loopback);
    icon_url_problem always applies, whatever allow says.
    """

    def __init__(self, allow: HostPolicy = any_host) -> None:
        self._allow = allow
        # Loopback icons never go through the environment's proxy.
        self._clients: dict[bool, httpx.AsyncClient] = {}
        self._limit = asyncio.Semaphore(MAX_PARALLEL)
        self._cache: dict[str, bytes | None] = {}
        self._cached_bytes = 0

    async def fetch(self, url: str, *, local_gateway: bool = False) -> bytes | None:
        """The icon's bytes, or None when it cannot or may not be fetched.

        local_gateway: the manifest naming it came from a gateway on this
        computer (see icon_url_problem).
        """
        problem = icon_url_problem(url, local_gateway=local_gateway)
        if problem is not None:
            log.debug("icon %s not fetched: %s", url, problem)
            return None
        if not self._allow(url):
            log.debug("icon %s not fetched: host not allowed", url)
            return None
        if url in self._cache:
            return self._cache[url]

        async with self._limit:
            data = await self._download(url)
        self._remember(url, data)
        return data

    def _remember(self, url: str, data: bytes | None) -> None:
        size = len(data or b"")
        if self._cached_bytes + size <= MAX_CACHED_BYTES:
            self._cache[url] = data
            self._cached_bytes += size

    async def _download(self, url: str) -> bytes | None:
        try:
            async with (
                asyncio.timeout(ICON_DEADLINE),
                self._client_for(url).stream("GET", url) as response,
            ):
                if response.status_code != 200:
                    # A redirect ends here too: where it points was not vetted.
                    log.debug("icon %s: HTTP %s", url, response.status_code)
                    return None
                data = bytearray()
                async for chunk in response.aiter_bytes():
                    data += chunk
                    if len(data) > MAX_ICON_BYTES:
                        log.debug("icon %s is larger than %d bytes", url, len(data))
                        return None
                return bytes(data)
        except (httpx.HTTPError, TimeoutError) as exc:
            # A missing icon is not worth a warning: the fallback is shown.
            log.debug("icon %s could not be fetched: %s", url, str(exc) or "too slow")
            return None

    def _client_for(self, url: str) -> httpx.AsyncClient:
        direct = is_this_computer(urllib.parse.urlsplit(url).hostname or "")
        client = self._clients.get(direct)
        if client is None:
            client = httpx.AsyncClient(
                timeout=ICON_TIMEOUT, follow_redirects=False, trust_env=not direct
            )
            self._clients[direct] = client
        return client

    async def aclose(self) -> None:
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await client.aclose()
