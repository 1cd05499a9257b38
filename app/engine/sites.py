"""Which gateways the engine works for.

A job names the gateway the engine must call (`site_url`) and hands it a
token. Any program on the computer can POST a job, so without a rule the
engine could be made to call any host. The rule: gateways on this computer
(localhost, 127.0.0.0/8, ::1) always; any other only when the operator
allowed it with `--allow-site URL`. Site URLs are compared by scheme, host,
port and path, with or without `/api` and a trailing slash; when telling
whether two URLs name the same gateway, every loopback name (localhost,
127.0.0.1, ::1) counts as one.
"""

import ipaddress
import logging
from collections.abc import Iterable
from urllib.parse import urlsplit

from app.errors import UsageError

log = logging.getLogger(__name__)

SiteKey = tuple[str, str, int, str]
_DEFAULT_PORTS = {"http": 80, "https": 443}


def site_key(url: str) -> SiteKey | None:
    """(scheme, host, port, path) of an http(s) URL, or None for another."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if scheme not in _DEFAULT_PORTS or not host:
        return None

    path = parts.path.rstrip("/")
    path = path.removesuffix("/api").rstrip("/")
    return scheme, host, port or _DEFAULT_PORTS[scheme], path


def same_site(first: str, second: str) -> bool:
    """Whether two site URLs name the same gateway, however each is spelled.

    `http://localhost:8765/` and `http://127.0.0.1:8765/api` are one
    gateway: a loopback port is the same server under any loopback name.
    """
    keys = [_identity(url) for url in (first, second)]
    if keys[0] is None or keys[1] is None:
        return first.strip() == second.strip()
    return keys[0] == keys[1]


def is_loopback_site(url: str) -> bool:
    """Whether a site URL names a gateway on this computer."""
    key = site_key(url)
    return key is not None and is_loopback_host(key[1])


def _identity(url: str) -> SiteKey | None:
    key = site_key(url)
    if key is None:
        return None
    scheme, host, port, path = key
    if is_loopback_host(host.rstrip(".")):
        host = "localhost"
    return scheme, host, port, path


def is_loopback_host(host: str) -> bool:
    """Whether a host name or address stands for this computer itself."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class SitePolicy:
    """The gateways this engine may call: loopback ones, and those allowed."""

    def __init__(self, allowed: Iterable[str] = ()) -> None:
        self._allowed: set[SiteKey] = set()
        for url in allowed:
            key = site_key(url)
            if key is None:
                raise UsageError(f"--allow-site {url!r} is not an http(s) URL")
            self._allowed.add(key)

    def allows(self, site_url: str) -> bool:
        key = site_key(site_url)
        if key is None:
            return False
        return is_loopback_host(key[1]) or key in self._allowed
