"""The words of the gateway client's errors: what failed, and what to do.

Each function turns one kind of failure (an httpx error, a stall, a 401,
an error status) into the app's error whose text names the call and says,
in plain words, what a person can do about it.
"""

import logging
import urllib.parse

import httpx

from app.answers import plain_reason
from app.errors import AuthError, NetworkError

log = logging.getLogger(__name__)

STATUS_HINTS = {
    404: "; it does not exist on this gateway, or is hidden from this user",
    429: "; the gateway limits how fast it may be called: wait and retry",
}


def network_error(
    exc: httpx.HTTPError, call: str, where: str, timeout: float
) -> NetworkError:
    """A NetworkError for an httpx failure (raise it `from exc`)."""
    if isinstance(exc, httpx.TimeoutException):
        return NetworkError(
            f"{where} did not answer {call} within {timeout:g} s; "
            "check the address and your connection"
        )
    if isinstance(exc, httpx.ConnectError):
        return NetworkError(f"could not reach {where}: {plain_reason(exc)}")
    return NetworkError(
        f"the connection to {where} failed during {call}: {plain_reason(exc)}"
    )


def stalled_error(call: str, where: str, deadline: float) -> NetworkError:
    """A NetworkError for an answer that did not come whole within deadline."""
    return NetworkError(
        f"{where} stopped answering {call}: nothing usable came within "
        f"{deadline:g} s; check the address and your connection"
    )


def never_sent(error: NetworkError) -> bool:
    """Whether the request surely did not leave: no connection was made."""
    cause = error.__cause__
    return isinstance(cause, httpx.ConnectError | httpx.ConnectTimeout)


def auth_error(call: str, *, signing_in: bool, accepted: bool) -> AuthError:
    """The words for a 401: which credentials were refused, and when."""
    if signing_in:
        log.warning("%s: the gateway refused the user name or password", call)
        return AuthError("the gateway refused the user name or password")
    if not accepted:
        log.warning("%s: 401 for a token not yet accepted", call)
        return AuthError(
            f"the gateway did not accept this token ({call}); check the token, "
            "or sign in with a user name and password"
        )
    # For support: a 401 is also what a user lacking a permission gets.
    log.warning("%s: 401, the session expired or lacks a permission", call)
    return AuthError(
        f"the gateway no longer accepts your sign-in ({call}); sign in again"
    )


def status_hint(status: int, message: str, *, accepted: bool, site_url: str) -> str:
    """What to make of an error status, unless the gateway said it already."""
    if status != 404:
        return STATUS_HINTS.get(status, "")

    # A gateway's own message for a 404 already says there is no such
    # thing; ours after it would say it a second time.
    hint = "" if message.startswith(":") else STATUS_HINTS[404]
    if not accepted:
        hint += _address_hint(site_url)
    return hint


def _address_hint(site_url: str) -> str:
    """For a 404 before any call worked: the address may hold a path too many."""
    parts = urllib.parse.urlsplit(site_url)
    if not parts.path.strip("/"):
        return ""
    origin = urllib.parse.urlunsplit((parts.scheme, parts.netloc, "", "", ""))
    return (
        f"; check the gateway address: its site is probably {origin}, "
        f"without {parts.path}"
    )
