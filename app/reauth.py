"""Signing in again when the gateway ends a session in the middle of work.

When a call made with a token is answered 401, the app's hook (which asks
the person to sign in again) is awaited, one at a time: calls that hit the
401 meanwhile wait for that same prompt instead of opening their own, and
are then tried once more with the new token. A prompt the person declined
is not shown again for the same token: the calls that follow fail at once,
until a new sign-in gives a new token.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)

Reauthenticate = Callable[[], Awaitable[bool]]


class Reauthentication:
    """The one prompt to sign in again, shared by every waiting call."""

    def __init__(self) -> None:
        self.hook: Reauthenticate | None = None
        # Counts token changes: a call knows which token it was sent with.
        self.generation = 0
        self._lock: asyncio.Lock | None = None
        self._outcome: tuple[int, bool] | None = None

    def token_changed(self) -> None:
        self.generation += 1

    async def renew(self, sent_with: int) -> bool:
        """Whether a call refused with the token of generation sent_with
        may be tried again (with the token there is now)."""
        if self.hook is None:
            return False
        if self._lock is None:
            self._lock = asyncio.Lock()

        async with self._lock:
            if self.generation != sent_with:
                return True  # signed in again while this call was out
            if self._outcome is not None and self._outcome[0] == sent_with:
                return self._outcome[1]

            log.info("the session ended; asking to sign in again")
            renewed = False
            try:
                renewed = bool(await self.hook())
            finally:
                # Also when the hook fails: the waiting calls get its answer.
                self._outcome = (sent_with, renewed)
            log.info("signing in again %s", "worked" if renewed else "was declined")
            return renewed
