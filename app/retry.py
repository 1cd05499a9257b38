"""When to try a gateway call again, how long to wait, and the link's state.

A call that may safely be repeated (a GET) is tried again after a network
failure, a timeout, or an answer saying the gateway is busy or briefly
down (429, 502, 503, 504). The waits grow exponentially with "full
jitter" (a random wait between zero and the exponential bound), so many
clients cut off at the same moment do not come back in step; they are
capped, and the retrying stops at a deadline, after which the caller gets
the last error. A `Retry-After` header is honoured.

The Link keeps the state of the connection a person sees: "reconnecting"
from the first failure that is retried until a call gets an answer again,
then "connected". Each change is told once to a listener and logged once,
however many calls were retrying at the time.
"""

import datetime as dt
import email.utils
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from app.errors import GatewayError

log = logging.getLogger(__name__)

# Answers that say "not now" rather than "no": worth asking again.
RETRY_STATUSES = frozenset({429, 502, 503, 504})

ConnectionListener = Callable[[str, str], None]
RECONNECTING = "reconnecting"
CONNECTED = "connected"


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter, capped, within a deadline.

    first_delay is the bound of the first wait, doubled after each failed
    attempt up to max_delay; deadline (seconds from the first attempt)
    ends the retrying. Tests give small values.
    """

    first_delay: float = 0.5
    max_delay: float = 15.0
    deadline: float = 120.0

    def bound(self, failures: int) -> float:
        """The longest wait after that many failures in a row (1, 2, ...)."""
        exponent = min(max(failures - 1, 0), 32)
        return float(min(self.max_delay, self.first_delay * 2**exponent))

    def wait(self, failures: int, rng: random.Random) -> float:
        """A wait drawn uniformly between zero and bound(failures)."""
        return rng.uniform(0.0, self.bound(failures))


NO_RETRY = RetryPolicy(first_delay=0.0, max_delay=0.0, deadline=0.0)


class BusyError(GatewayError):
    """An answer saying the gateway is busy or briefly down (429, 5xx).

    retry_after is the wait the gateway asked for, in seconds, if it did.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        call: str = "",
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, status=status, call=call)
        self.retry_after = retry_after


def retry_after_seconds(value: str, now: float | None = None) -> float | None:
    """The wait a `Retry-After` header asks for: seconds, or until a date."""
    text = value.strip()
    if not text:
        return None
    if text.isdigit():
        return float(text)
    try:
        moment = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    current = time.time() if now is None else now
    return max(0.0, moment.timestamp() - current)


class Streak:
    """The failures in a row of one call, and when it is time to give up."""

    def __init__(self, policy: RetryPolicy, rng: random.Random) -> None:
        self.policy = policy
        self.rng = rng
        self.failures = 0
        self.started = time.monotonic()
        self.furthest = 0

    def next_wait(self, asked: float | None = None) -> float | None:
        """The wait before the next attempt, or None once past the deadline.

        asked is a wait the server asked for (Retry-After): waited in full,
        or not at all if it ends past the deadline.
        """
        self.failures += 1
        wait = self.policy.wait(self.failures, self.rng) if asked is None else asked
        elapsed = time.monotonic() - self.started
        if elapsed + wait > self.policy.deadline:
            return None
        return wait

    def reached(self, position: int) -> None:
        """A try got as far as position (bytes of a download).

        Past any point reached before, waits and deadline start again: a
        long download cut now and then is not given up on while it gains,
        and one that only ever gets the same bytes still ends.
        """
        if position <= self.furthest:
            return
        self.furthest = position
        self.failures = 0
        self.started = time.monotonic()


class Link:
    """The state of the connection to one gateway, as a person sees it."""

    def __init__(self, where: str, listener: ConnectionListener | None) -> None:
        self.where = where
        self.listener = listener
        self.reconnecting = False

    def trouble(self, reason: str) -> None:
        """A call failed and will be tried again."""
        if self.reconnecting:
            return
        self.reconnecting = True
        log.warning("%s; trying again until %s answers", reason, self.where)
        if self.listener is not None:
            self.listener(RECONNECTING, reason)

    def answered(self) -> None:
        """A call got an answer that is not "try later"."""
        if not self.reconnecting:
            return
        self.reconnecting = False
        log.info("%s answers again", self.where)
        if self.listener is not None:
            self.listener(CONNECTED, "")
