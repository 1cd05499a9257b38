"""How often jobs are polled: the rule, the pacer, what a gateway sees, and
what the window does with many jobs.

The rule is checked as the pure function it is. Following a job is checked
against the real sandbox gateway (a child process, with the recording
engine of tests/support beside it, played by the test): the requests the
sandbox counted (GET /api/sandbox/stats) are compared with the polls the
pacer spaced, never with a clock. The real window, hidden or minimised,
slows its jobs' polling; the jobs table tells a poll's news for one row.
"""

import asyncio
import random
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from support.sandbox_engine import (
    RecordingEngine,
    create_job,
    sign_in,
    start_sandbox,
)
from support.window import WAIT_MS

from app.children import LocalServer
from app.gateway import Gateway
from app.gui import Workspace
from app.jobs import Job, follow
from app.polling import Pacer, PaceRule, poll_interval
from widgets.jobs_model import PERCENT_ROLE, PROGRESS, JobsModel

RULE = PaceRule()
STATUS_CALL = "GET /api/job_manager/{job_id}"
# Quick enough for a test, slow enough that a poll takes less than a wait.
QUICK = PaceRule(
    first=(0.05, 0.05),
    floor=0.05,
    growth=0.5,
    ceiling=0.4,
    budget=1000.0,
    jitter=0.0,
)


# -- the rule ------------------------------------------------------------------


def test_the_wait_grows_as_the_job_gets_older_up_to_the_ceiling() -> None:
    ages = [0, 5, 10, 30, 60, 120, 600, 86_400]

    waits = [poll_interval(RULE, age) for age in ages]

    assert waits == sorted(waits)
    assert waits[0] == RULE.floor
    assert waits[2] > waits[0]
    assert waits[-1] == RULE.ceiling
    assert max(waits) == RULE.ceiling


def test_a_job_is_never_polled_more_often_than_the_floor() -> None:
    pacer = Pacer(RULE, rng=random.Random(1))

    waits = [
        pacer.next_wait(age)
        for age in (-10.0, 0.0, 0.5, 3.0, 40.0, 10_000.0)
        for _ in range(200)
    ]

    assert min(waits) >= RULE.floor
    assert all(poll_interval(RULE, age) >= RULE.floor for age in (-5, 0, 1))


def test_a_hidden_window_makes_every_wait_four_times_as_long() -> None:
    for age in (0, 20, 1000):
        shown = poll_interval(RULE, age)
        hidden = poll_interval(RULE, age, hidden=True)

        assert hidden == pytest.approx(4 * shown)


def test_a_crowd_of_jobs_shares_the_budget_of_polls() -> None:
    alone = poll_interval(RULE, 0, followed=1)
    crowd = poll_interval(RULE, 0, followed=500)

    assert alone == RULE.floor
    # 500 jobs, each asked once per wait: at most `budget` polls a second.
    assert 500 / crowd <= RULE.budget
    assert crowd > RULE.ceiling / 2


def test_jitter_spreads_the_polls_of_jobs_started_together() -> None:
    pacer = Pacer(RULE, rng=random.Random(2))
    interval = poll_interval(RULE, 10)

    waits = [pacer.next_wait(10) for _ in range(50)]

    assert len(set(waits)) == len(waits)
    assert all(interval <= wait <= interval * (1 + RULE.jitter) for wait in waits)
    assert max(waits) - min(waits) > interval * RULE.jitter / 2


def test_the_first_poll_of_a_known_job_is_soon() -> None:
    pacer = Pacer(RULE, rng=random.Random(3))

    waits = [pacer.first_wait() for _ in range(100)]

    low, high = RULE.first
    assert all(low <= wait <= high for wait in waits)
    assert high < RULE.floor + 0.001


@pytest.mark.asyncio
async def test_polls_due_together_take_turns_at_most_budget_a_second() -> None:
    pacer = Pacer(replace(RULE, budget=50.0))
    given: list[tuple[int, float]] = []

    async def poll(number: int) -> None:
        await pacer.turn()
        given.append((number, pacer.now()))

    polls = [asyncio.create_task(poll(number)) for number in range(12)]
    await asyncio.sleep(0)
    # A job no longer followed gives its turn to the next.
    polls[5].cancel()
    await asyncio.gather(*polls, return_exceptions=True)

    assert [number for number, _ in given] == [0, 1, 2, 3, 4, 6, 7, 8, 9, 10, 11]
    # Eleven turns, ten gaps of at least 1/budget between the first and last.
    assert given[-1][1] - given[0][1] >= 10 / 50 - 0.002


@pytest.mark.asyncio
async def test_turns_are_four_times_as_far_apart_while_hidden() -> None:
    pacer = Pacer(replace(RULE, budget=200.0))
    pacer.hidden = True
    given: list[float] = []

    async def poll() -> None:
        await pacer.turn()
        given.append(pacer.now())

    await asyncio.gather(*(poll() for _ in range(6)))

    assert given[-1] - given[0] >= 5 * 4 / 200 - 0.002


# -- waiting -------------------------------------------------------------------


@pytest.mark.asyncio
async def test_a_wait_lasts_longer_while_the_window_is_hidden() -> None:
    pacer = Pacer(RULE)
    pacer.hidden = True
    ended: list[str] = []

    async def paced() -> None:
        await pacer.sleep(0.2)
        ended.append("paced")

    async def plain() -> None:
        await asyncio.sleep(0.4)
        ended.append("plain, twice as long")

    await asyncio.gather(paced(), plain())

    assert ended == ["plain, twice as long", "paced"]


@pytest.mark.asyncio
async def test_showing_the_window_shortens_a_wait_under_way() -> None:
    pacer = Pacer(RULE)
    pacer.hidden = True
    ended: list[str] = []

    async def paced() -> None:
        # Hidden, this would take 4 s.
        await pacer.sleep(1.0)
        ended.append("paced")

    async def show_then_wait() -> None:
        await asyncio.sleep(0.1)
        pacer.hidden = False
        await asyncio.sleep(1.9)
        ended.append("plain")

    await asyncio.gather(paced(), show_then_wait())

    assert ended == ["paced", "plain"]


# -- against the sandbox -------------------------------------------------------


class RecordingPacer(Pacer):
    """A pacer that notes each wait it gives, and says when it gave n."""

    def __init__(self, rule: PaceRule, enough: int) -> None:
        super().__init__(rule, rng=random.Random(4))
        self.waits: list[float] = []
        self.enough = asyncio.Event()
        self._wanted = enough

    def next_wait(self, age: float) -> float:
        wait = super().next_wait(age)
        self.waits.append(wait)
        if len(self.waits) >= self._wanted:
            self.enough.set()
        return wait


@pytest.fixture(scope="module")
def engine() -> Iterator[RecordingEngine]:
    recorder = RecordingEngine()
    recorder.start()
    try:
        yield recorder
    finally:
        recorder.stop()


@pytest.fixture
def sandbox(tmp_path: Path, engine: RecordingEngine) -> Iterator[LocalServer]:
    server = start_sandbox(tmp_path / "sandbox.sqlite3", engine.url)
    try:
        yield server
    finally:
        server.stop()


def open_jobs(
    sandbox: LocalServer, engine: RecordingEngine, count: int
) -> tuple[str, list[tuple[Job, str]]]:
    """count jobs created on the sandbox, each with its engine's token."""
    assert sandbox.url
    with sign_in(sandbox.url) as user:
        created = [create_job(user, engine.url) for _ in range(count)]
        tokens = [engine.token(user, job["id"]) for job in created]
        user.delete("/api/sandbox/stats")
        token = str(user.headers["Authenticate"])
    return token, [(Job.from_json(j), t) for j, t in zip(created, tokens, strict=True)]


async def finish(url: str, job: Job, engine_token: str) -> None:
    """Close the job as its engine would."""
    async with httpx.AsyncClient(base_url=url, trust_env=False) as as_engine:
        answer = await as_engine.put(
            f"/api/job_manager/{job.id}",
            json={"state": "done", "result": {"files": []}},
            headers={"Authenticate": engine_token},
        )
        answer.raise_for_status()


async def status_calls(url: str, token: str) -> int:
    async with httpx.AsyncClient(base_url=url, trust_env=False) as user:
        answer = await user.get("/api/sandbox/stats", headers={"Authenticate": token})
        answer.raise_for_status()
        stats: dict[str, Any] = answer.json()
    return int(stats["by_path"].get(STATUS_CALL, 0))


@pytest.mark.asyncio
async def test_the_gateway_is_asked_once_per_wait_and_less_often_with_age(
    sandbox: LocalServer, engine: RecordingEngine
) -> None:
    token, [(job, engine_token)] = open_jobs(sandbox, engine, 1)
    assert sandbox.url
    pacer = RecordingPacer(QUICK, enough=8)

    async with Gateway(sandbox.url, token=token) as gateway:
        following = asyncio.create_task(follow(gateway, job.id, known=job, pacer=pacer))
        await pacer.enough.wait()
        await finish(sandbox.url, job, engine_token)
        final = await following
        asked = await status_calls(sandbox.url, token)

    assert final.state == "done"
    # One poll before each wait and one after the last: nothing in between.
    assert asked == len(pacer.waits) + 1
    assert min(pacer.waits) >= QUICK.floor
    assert pacer.waits == sorted(pacer.waits)
    assert pacer.waits[-1] > pacer.waits[0]


@pytest.mark.asyncio
async def test_jobs_are_polled_less_often_while_the_window_is_hidden(
    sandbox: LocalServer, engine: RecordingEngine
) -> None:
    token, [(seen, seen_token), (unseen, unseen_token)] = open_jobs(sandbox, engine, 2)
    assert sandbox.url
    rule = PaceRule(
        first=(0.05, 0.05), floor=0.05, growth=0.0, budget=1000.0, jitter=0.0
    )
    shown = RecordingPacer(rule, enough=16)
    hidden = RecordingPacer(rule, enough=10_000)
    hidden.hidden = True

    async with Gateway(sandbox.url, token=token) as gateway:
        tasks = [
            asyncio.create_task(follow(gateway, seen.id, known=seen, pacer=shown)),
            asyncio.create_task(follow(gateway, unseen.id, known=unseen, pacer=hidden)),
        ]
        await shown.enough.wait()
        await finish(sandbox.url, seen, seen_token)
        await finish(sandbox.url, unseen, unseen_token)
        await asyncio.gather(*tasks)
        asked = await status_calls(sandbox.url, token)

    polls_shown, polls_hidden = len(shown.waits) + 1, len(hidden.waits) + 1
    assert asked == polls_shown + polls_hidden
    # Four times fewer in theory; half leaves room for a slow machine.
    assert polls_hidden <= polls_shown / 2


# -- the window ------------------------------------------------------------------


def test_hiding_or_minimising_the_window_slows_the_polling(
    workspace: Workspace, qtbot: QtBot
) -> None:
    window, pacer = workspace.window, workspace.jobs.pacer
    qtbot.waitExposed(window)
    assert not pacer.hidden

    window.showMinimized()
    qtbot.waitUntil(lambda: pacer.hidden, timeout=WAIT_MS)
    window.showNormal()
    qtbot.waitUntil(lambda: not pacer.hidden, timeout=WAIT_MS)

    window.hide()
    assert pacer.hidden
    window.show()
    assert not pacer.hidden


def test_a_poll_of_one_job_among_500_redraws_its_row_only(qapp: QApplication) -> None:
    model = JobsModel()
    model.upsert_many([running_job(job_id, 1) for job_id in range(1, 501)])
    told: list[str] = []
    model.modelReset.connect(lambda: told.append("reset"))
    model.layoutChanged.connect(lambda: told.append("layout"))
    model.rowsInserted.connect(lambda *_: told.append("inserted"))
    model.dataChanged.connect(
        lambda first, last, *_: told.append(f"rows {first.row()}-{last.row()}")
    )

    model.upsert(running_job(123, 40))

    row = model.row_of(123)
    assert row == 500 - 123
    assert told == [f"rows {row}-{row}"]
    assert model.index(row, PROGRESS).data(PERCENT_ROLE) == 40
    assert [r.job.id for r in model.rows[:3]] == [500, 499, 498]


def test_500_jobs_coming_at_once_are_inserted_in_one_go(qapp: QApplication) -> None:
    one_by_one, together = JobsModel(), JobsModel()
    jobs = [running_job(job_id, 5) for job_id in (7, 3, 9, 3)]
    inserted: list[tuple[int, int]] = []
    together.rowsInserted.connect(lambda _parent, a, b: inserted.append((a, b)))

    for job in jobs:
        one_by_one.upsert(job)
    together.upsert_many(jobs)
    together.upsert_many([running_job(9, 60)])

    assert inserted == [(0, 2)]
    assert [r.job.id for r in together.rows] == [r.job.id for r in one_by_one.rows]
    assert [r.job.id for r in together.rows] == [9, 3, 7]
    assert together.rows[0].job.percentage == 60


def running_job(job_id: int, percentage: float) -> Job:
    return Job(id=job_id, script="fleet_status", state="running", percentage=percentage)
