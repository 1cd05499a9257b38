"""Addresses of gateways and engines: checked, normalized and shown safely.

An address is typed by a person (the gateway) or listed by a gateway (its
engines). Either may be malformed, or carry a user name and password that
would then be remembered, shown and logged with it. These functions say
what is wrong in plain words, before any request is built from it, and
tell loopback hosts (which never go through a proxy) from the others.
"""

import ipaddress
import re
import urllib.parse

import httpx

from app.errors import UsageError

# A user name and password at the start of an address's host part: after
# "scheme://" (or "scheme:/", or "//"), or at the very start of an address
# typed without a scheme ("user:secret@host"). Everything up to the last "@"
# before the path counts, as it does for a URL's authority.
_USER_INFO = re.compile(
    r"^(?P<prefix>\s*(?:[A-Za-z][A-Za-z0-9+.-]*:)?[/\\]+)?(?P<info>[^/\\?#]*@)"
)


def normalize_site_url(url: str) -> str:
    """The site URL without `/api`, query or trailing slash; http(s) only.

    Raises UsageError for anything that is not a usable address, and for
    an address carrying a user name or password, which would otherwise be
    remembered, shown and logged with it.
    """
    text = url.strip()
    shown = without_user_info(text)
    if has_user_info(text):
        raise UsageError(
            f"the gateway address {shown!r} has a user name or password in it; "
            "put the user name and password in their own fields, not in the "
            "address"
        )

    problem = url_problem(text)
    if problem is not None:
        raise UsageError(f"the gateway address {shown!r} is not valid: {problem}")

    parsed = urllib.parse.urlsplit(text)
    if parsed.scheme.lower() not in ("http", "https") or not parsed.hostname:
        raise UsageError(
            f"the gateway address {shown!r} must be a full URL starting with "
            "https:// (or http:// for a local gateway), e.g. "
            "https://cloud.pegasusgateway.com"
        )

    path = parsed.path.rstrip("/")
    if path.lower().endswith("/api"):
        path = path[: -len("/api")].rstrip("/")
    return urllib.parse.urlunsplit((parsed.scheme.lower(), parsed.netloc, path, "", ""))


def url_problem(text: str) -> str | None:
    """What is wrong with an http(s) address, in a few words; None if nothing.

    The words never repeat the address's user name or password.
    """
    problem = _url_problem(text)
    match = _USER_INFO.match(text)
    if problem is None or match is None:
        return problem
    info = match.group("info")[:-1]
    for hidden in (info, info.partition(":")[2]):
        if hidden:
            problem = problem.replace(hidden, "...")
    return problem


def _url_problem(text: str) -> str | None:
    # Said first: urllib would read "host:80 extra" as a port that is no number.
    if " " in text:
        return "it contains a space"
    if any(character.isspace() for character in text):
        return "it contains a tab or a line break"
    try:
        parsed = urllib.parse.urlsplit(text)
        port = parsed.port
    except ValueError as exc:
        reason = str(exc)
        if "IPv6" in reason:
            return "an IPv6 address must be written whole, in brackets: [::1]"
        if "Port" in reason:
            return "the port must be a number from 1 to 65535"
        return reason
    if port == 0:
        return "the port must be a number from 1 to 65535"

    try:
        httpx.URL(text)
    except httpx.InvalidURL as exc:
        return str(exc)
    return None


def has_user_info(text: str) -> bool:
    """Whether the address carries a user name or password (`user:pw@`)."""
    return _USER_INFO.match(text) is not None


def without_user_info(text: str) -> str:
    """The address with any `user:password@` part taken out, for messages.

    Also from addresses too malformed to parse (`user:secret@host`,
    `https:/user:secret@host`): what is shown never holds the password.
    """
    match = _USER_INFO.match(text)
    if match is None:
        return text
    return (match.group("prefix") or "") + text[match.end() :]


def is_loopback_host(host: str) -> bool:
    """Whether host names this machine: localhost, 127.0.0.0/8 or ::1."""
    name = host.strip("[]").rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback
