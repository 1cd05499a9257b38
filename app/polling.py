"""How often the app asks a gateway about the jobs it follows.

A job is asked about soon after it starts, then less and less often as it
ages: a report that has run for minutes will not be done in the next
second. However many jobs are followed, together they ask at most a set
number of times per second (three: 500 jobs are each asked about every
three minutes or so rather than flooding the gateway), and each wait is
stretched by a random share so that jobs started together do not ask
together. While the window is hidden or minimised nobody is looking: the
waits are four times as long, and showing the window again shortens the
waits under way at once.

`poll_interval` is the rule itself, a pure function; a `Pacer` applies it
to the jobs of one session and is told when the window is hidden.
"""

import asyncio
import collections
import contextlib
import logging
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PaceRule:
    """The numbers of the polling rule, in seconds unless said otherwise."""

    # The first poll of a job already described (by its creation, say)
    # comes after a wait drawn between these two.
    first: tuple[float, float] = (1.0, 2.0)
    # Two polls of one job are never closer than this.
    floor: float = 2.0
    # Seconds of wait added per second of the job's age.
    growth: float = 0.2
    # The longest wait of a job on its own, while the window is shown.
    ceiling: float = 30.0
    # Waits are this many times as long while the window is hidden.
    hidden_factor: float = 4.0
    # Polls per second of all the jobs followed together, at most: up to
    # six jobs are polled every 2 s, 90 every 30 s, 500 every 167 s.
    # TODO(polling): the budget is fixed; a gateway that answers slowly or
    # with 429 is not asked less often for it (only the failed poll waits).
    budget: float = 3.0
    # Each wait is stretched by a random share of itself, up to this one.
    jitter: float = 0.25


def poll_interval(
    rule: PaceRule, age: float, *, followed: int = 1, hidden: bool = False
) -> float:
    """The wait before asking again about a job age seconds old, unjittered.

    followed: how many jobs are followed at the moment, this one included.
    """
    own = min(rule.floor + max(age, 0.0) * rule.growth, rule.ceiling)
    # Every followed job asks once per interval: so many jobs share the budget.
    crowded = max(followed, 1) / rule.budget
    interval = max(own, crowded, rule.floor)
    return interval * (rule.hidden_factor if hidden else 1.0)


class Pacer:
    """Spaces the polls of the jobs followed in one session.

    `hidden` is set by whoever knows whether the window is on screen. A
    follower, inside `following()` so that the crowd is counted, waits
    with `sleep(next_wait(age))`, then for its `turn()`, and polls.
    """

    def __init__(
        self,
        rule: PaceRule | None = None,
        *,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rule = rule or PaceRule()
        self._rng = rng or random.Random()
        self._clock = clock
        self._hidden = False
        self._followed = 0
        # When the next poll may go out, on the clock; the polls waiting
        # for their turn, and when the next of them is let go.
        self._next_turn = 0.0
        self._waiting: collections.deque[asyncio.Future[None]] = collections.deque()
        self._release: asyncio.TimerHandle | None = None
        # Set, then replaced, when the window is hidden or shown: the jobs
        # waiting wake up and measure their wait again.
        self._changed = asyncio.Event()

    @property
    def hidden(self) -> bool:
        return self._hidden

    @hidden.setter
    def hidden(self, value: bool) -> None:
        if value == self._hidden:
            return
        self._hidden = value
        log.info(
            "window %s: polling %s",
            "hidden" if value else "shown",
            "slowed down" if value else "at its usual pace",
        )
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    @property
    def followed(self) -> int:
        """How many jobs are followed through this pacer now."""
        return self._followed

    def now(self) -> float:
        """The pacer's clock, in seconds: ages are measured on it."""
        return self._clock()

    @contextlib.contextmanager
    def following(self) -> Iterator[None]:
        """Count one more followed job for as long as the block runs."""
        self._followed += 1
        try:
            yield
        finally:
            self._followed -= 1

    def first_wait(self) -> float:
        """The wait before the first poll of a job whose state is known."""
        low, high = self.rule.first
        return self._rng.uniform(low, high)

    def next_wait(self, age: float) -> float:
        """The wait before the next poll of a job age seconds old, jittered.

        Not yet stretched for a hidden window: `sleep()` does that, so that
        showing the window shortens a wait already started.
        """
        interval = poll_interval(self.rule, age, followed=self._followed)
        return interval * (1.0 + self.rule.jitter * self._rng.random())

    async def turn(self) -> None:
        """Wait for this poll's turn: turns are at least 1/budget seconds
        apart (hidden_factor times that while hidden), given in the order
        asked.

        Each wait already leaves room for the crowd; the turns keep the
        first polls of many jobs started together, or of jobs whose waits
        happen to end together, from going out at once. A job that stops
        following while it waits gives its turn to the next.
        """
        if not self._waiting and self._clock() >= self._next_turn:
            self._take_turn()
            return

        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append(turn)
        self._plan_release()
        try:
            await turn
        except asyncio.CancelledError:
            self._forget_cancelled()
            raise

    def _forget_cancelled(self) -> None:
        """Drop cancelled turns from the front; with none left, no timer."""
        while self._waiting and self._waiting[0].done():
            self._waiting.popleft()
        if not self._waiting and self._release is not None:
            self._release.cancel()
            self._release = None

    def _take_turn(self) -> None:
        factor = self.rule.hidden_factor if self._hidden else 1.0
        self._next_turn = self._clock() + factor / self.rule.budget

    def _plan_release(self) -> None:
        if self._release is None:
            delay = max(self._next_turn - self._clock(), 0.0)
            loop = asyncio.get_running_loop()
            self._release = loop.call_later(delay, self._on_release_due)

    def _on_release_due(self) -> None:
        self._release = None
        while self._waiting:
            turn = self._waiting.popleft()
            # One cancelled meanwhile (its job is no longer followed) is skipped.
            if not turn.done():
                turn.set_result(None)
                self._take_turn()
                break
        if self._waiting:
            self._plan_release()

    async def sleep(self, seconds: float) -> None:
        """Wait seconds of time with the window shown.

        While it is hidden the time runs hidden_factor times slower; when it
        is shown or hidden during the wait, what is left is measured again.
        """
        left = seconds
        while left > 0:
            factor = self.rule.hidden_factor if self._hidden else 1.0
            changed = self._changed
            started = self._clock()
            try:
                async with asyncio.timeout(left * factor):
                    await changed.wait()
            except TimeoutError:
                return
            left -= (self._clock() - started) / factor
