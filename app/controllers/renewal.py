"""One question to sign in again, however many calls are waiting for it.

A gateway refuses a token once the session has expired. The gateway client
then awaits its `reauthenticate` hook before giving up on the call; the
session controller answers it through a Renewal: the first refusal asks the
person, every other call refused meanwhile waits for that same answer, and
all of them learn the outcome together: go on with the new token (True), or
fail as before (False). After a "no", later refusals fail at once instead
of asking again, until the next session starts. The local demo's password
is known, so its session is renewed without asking (renew_demo).
"""

import asyncio
import logging
from collections.abc import Callable

from app.errors import PegasusError
from app.gateway import Gateway

log = logging.getLogger(__name__)


async def renew_demo(gateway: Gateway, username: str, password: str) -> bool:
    """Sign in to the demo again and give gateway the new token; True if so.

    The sign-in goes through a client of its own: the session's client is
    holding its calls until this returns.
    """
    fresh = Gateway(gateway.site_url)
    try:
        await fresh.login(username, password)
    except PegasusError as exc:
        log.warning("could not sign in to the demo again: %s", exc)
        return False
    finally:
        await fresh.aclose()
    gateway.token = fresh.token
    log.info("signed in to the demo again")
    return True


class Renewal:
    """The pending question to sign in again, and its answer."""

    def __init__(self) -> None:
        self._answer: asyncio.Future[bool] | None = None
        self._declined = False

    @property
    def pending(self) -> bool:
        """Whether a question is open and calls wait for its answer."""
        return self._answer is not None and not self._answer.done()

    async def wait(self, ask: Callable[[], None]) -> bool:
        """Ask unless already asked; True once signed in again.

        ask: shows the question (not modal); the answer comes through
        settle(). Given at each call, not kept: it is the owner's method,
        and keeping it would make a cycle for the collector to free.
        """
        if self._declined:
            log.debug("signing in again was declined; the call fails")
            return False
        if not self.pending:
            self._answer = asyncio.get_running_loop().create_future()
            ask()

        # Shielded: a waiting call that is cancelled must not cancel the
        # answer the other calls are waiting for.
        assert self._answer is not None
        return await asyncio.shield(self._answer)

    def settle(self, renewed: bool) -> None:
        """Give every waiting call the answer; False also stops asking."""
        answer, self._answer = self._answer, None
        if answer is not None and not answer.done():
            answer.set_result(renewed)
        self._declined = self._declined or not renewed

    def reset(self) -> None:
        """A new session: a refusal may ask again."""
        self.settle(False)
        self._declined = False
