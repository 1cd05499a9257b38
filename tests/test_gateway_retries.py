"""A flaky gateway is ridden out: calls that may be repeated are tried again.

Small loopback servers (support/servers.py) fail a set number of times in
one way each (503, 429 with Retry-After, a cut answer, a slow answer, a
401); then the sandbox, with its fault options, runs a real report through
a share of 503s and the sign-in expiring, and the report's files arrive
intact. Waits are kept small through the client's RetryPolicy.
"""

import asyncio
import datetime
import hashlib
import logging
import random
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from support.faulty_stack import (
    faulty_stack,
    finished,
    jobs_named,
    no_faults_after,
    reference_sha256,
    set_faults,
    trips_body,
)
from support.servers import closed_port, serving

from app.errors import AuthError, GatewayError, NetworkError
from app.gateway import Gateway
from app.local_stack import DemoStack
from app.retry import RetryPolicy, retry_after_seconds

__all__ = ["faulty_stack", "no_faults_after"]  # fixtures used by name

TOKEN = "5f0c" * 14
NEW_TOKEN = "a1b2" * 14
QUICK = RetryPolicy(first_delay=0.01, max_delay=0.05, deadline=5.0)
SHORT = RetryPolicy(first_delay=0.01, max_delay=0.05, deadline=0.3)

Events = list[tuple[str, str]]


def failing(times: int, failure: Callable[[], Response]) -> Callable[..., Any]:
    """A /api/user handler that answers failure() times, then the user."""
    count = {"n": 0}

    async def user(request: Request) -> Response:
        count["n"] += 1
        if count["n"] <= times:
            return failure()
        return JSONResponse({"username": "ana", "asked": count["n"]})

    return user


def busy() -> Response:
    return JSONResponse({"message": "down for a moment"}, status_code=503)


# ---- the policy ------------------------------------------------------------------


def test_waits_grow_as_powers_of_two_up_to_the_cap_with_full_jitter() -> None:
    policy = RetryPolicy(first_delay=0.5, max_delay=15.0, deadline=120.0)
    rng = random.Random(7)

    bounds = [policy.bound(n) for n in range(1, 9)]
    waits = [policy.wait(n, rng) for n in range(1, 200)]

    assert bounds == [0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 15.0, 15.0]
    assert all(0 <= wait <= 15.0 for wait in waits)
    assert len({round(wait, 6) for wait in waits}) > 150  # spread, not in step


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("7", 7.0),
        (" 0 ", 0.0),
        ("Fri, 04 Dec 2026 12:00:30 GMT", 30.0),
        ("Fri, 04 Dec 2026 11:00:00 GMT", 0.0),
        ("soon", None),
        ("", None),
        ("-3", None),
    ],
)
def test_retry_after_is_read_as_seconds_or_a_date(
    header: str, seconds: float | None
) -> None:
    noon = datetime.datetime(2026, 12, 4, 12, tzinfo=datetime.UTC).timestamp()

    assert retry_after_seconds(header, now=noon) == seconds


# ---- what is retried, and what the person is told -----------------------------


@pytest.mark.asyncio
@pytest.mark.parametrize("status", [502, 503, 504])
async def test_a_busy_answer_is_tried_again_until_the_user_comes(
    status: int, caplog: pytest.LogCaptureFixture
) -> None:
    events: Events = []
    answer = JSONResponse({"message": "busy"}, status_code=status)
    routes = {"/api/user": failing(3, lambda: answer)}

    caplog.set_level(logging.DEBUG)
    async with (
        serving(routes) as url,
        Gateway(
            url, token=TOKEN, retry=QUICK, on_connection=lambda *e: events.append(e)
        ) as gateway,
    ):
        user = await gateway.user()

    assert user == {"username": "ana", "asked": 4}
    assert [state for state, _reason in events] == ["reconnecting", "connected"]
    assert f"HTTP {status}" in events[0][1]
    assert events[1] == ("connected", "")
    # One warning for the streak, not one per try; never the token.
    streak = [r for r in caplog.records if "trying again" in r.getMessage()]
    assert len(streak) == 1
    assert streak[0].levelno == logging.WARNING
    assert TOKEN not in caplog.text


@pytest.mark.asyncio
async def test_a_429_waits_as_long_as_retry_after_asks() -> None:
    events: Events = []
    routes = {
        "/api/user": failing(
            2,
            lambda: JSONResponse(
                {"message": "slow down"},
                status_code=429,
                headers={"Retry-After": "0"},
            ),
        )
    }

    async with serving(routes) as url, Gateway(url, token=TOKEN, retry=QUICK) as gw:
        gw.on_connection = lambda *event: events.append(event)
        user = await gw.user()

    assert user["asked"] == 3
    assert [state for state, _ in events] == ["reconnecting", "connected"]


@pytest.mark.asyncio
async def test_retries_wait_between_tries_instead_of_hammering_the_gateway() -> None:
    # One second of deadline with waits of up to 0.2, 0.4, 0.8 s: a handful
    # of tries. Without the waits the client sends hundreds in that second.
    asked = {"n": 0}

    async def always_busy(request: Request) -> Response:
        asked["n"] += 1
        return busy()

    policy = RetryPolicy(first_delay=0.2, max_delay=0.8, deadline=1.0)
    routes = {"/api/user": always_busy}
    async with serving(routes) as url, Gateway(url, token=TOKEN, retry=policy) as gw:
        with pytest.raises(GatewayError):
            await gw.user()

    assert 2 <= asked["n"] <= 20


@pytest.mark.asyncio
async def test_a_retry_after_past_the_deadline_gives_up_at_once() -> None:
    asked: list[int] = []

    async def user(request: Request) -> Response:
        asked.append(1)
        return JSONResponse(
            {"message": "come back in an hour"},
            status_code=429,
            headers={"Retry-After": "3600"},
        )

    async with (
        serving({"/api/user": user}) as url,
        Gateway(url, token=TOKEN, retry=QUICK) as gateway,
    ):
        with pytest.raises(GatewayError) as caught:
            await gateway.user()

    # Not hammered: one ask, and the gateway's own words.
    assert len(asked) == 1
    assert caught.value.status == 429
    assert str(caught.value).startswith(
        "GET /api/user failed with HTTP 429: come back in an hour"
    )


@pytest.mark.asyncio
async def test_a_gateway_busy_past_the_deadline_gives_the_usual_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    asked: list[int] = []

    async def user(request: Request) -> Response:
        asked.append(1)
        return busy()

    events: Events = []
    async with (
        serving({"/api/user": user}) as url,
        Gateway(
            url, token=TOKEN, retry=SHORT, on_connection=lambda *e: events.append(e)
        ) as gateway,
    ):
        with pytest.raises(GatewayError) as caught:
            await gateway.user()

    assert str(caught.value) == "GET /api/user failed with HTTP 503: down for a moment"
    assert caught.value.status == 503
    assert len(asked) > 1
    # Still reconnecting: nothing has answered since.
    assert [state for state, _ in events] == ["reconnecting"]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings[-1] == "GET /api/user failed with HTTP 503: down for a moment"
    assert sum("trying again" in w for w in warnings) == 1


@pytest.mark.asyncio
async def test_an_answer_cut_off_is_tried_again() -> None:
    count = {"n": 0}

    async def cut_then_whole() -> AsyncIterator[bytes]:
        yield b'{"username": "a'
        raise RuntimeError("the line went down")

    async def user(request: Request) -> Response:
        count["n"] += 1
        if count["n"] == 1:
            return StreamingResponse(cut_then_whole(), media_type="application/json")
        return JSONResponse({"username": "ana"})

    async with (
        serving({"/api/user": user}) as url,
        Gateway(url, token=TOKEN, retry=QUICK) as gateway,
    ):
        assert (await gateway.user())["username"] == "ana"

    assert count["n"] == 2


@pytest.mark.asyncio
async def test_a_slow_answer_is_tried_again_once_the_gateway_answered_before() -> None:
    count = {"n": 0}
    release = asyncio.Event()

    async def engines(request: Request) -> Response:
        count["n"] += 1
        if count["n"] == 2:
            await release.wait()  # longer than the client waits
        return JSONResponse(["http://127.0.0.1:9/engine"])

    routes = {"/api/job_manager/engines": engines}
    async with (
        serving(routes) as url,
        Gateway(url, token=TOKEN, timeout=0.2, retry=QUICK) as gateway,
    ):
        first = await gateway.engines()
        second = await gateway.engines()
        release.set()

    assert first == second == ["http://127.0.0.1:9/engine"]
    assert count["n"] == 3


@pytest.mark.asyncio
async def test_a_gateway_never_reached_is_not_waited_for() -> None:
    # A wrong address or port cannot be fixed by waiting: the person hears
    # of it at once, and no "reconnecting" is shown.
    events: Events = []
    url = f"http://127.0.0.1:{closed_port()}"

    async with Gateway(
        url, token=TOKEN, on_connection=lambda *e: events.append(e)
    ) as gw:
        with pytest.raises(NetworkError) as caught:
            await gw.user()

    assert str(caught.value).startswith(f"could not reach the gateway at {url}")
    assert events == []


@pytest.mark.asyncio
async def test_a_call_that_changes_things_is_not_repeated_on_a_503() -> None:
    asked: list[str] = []

    async def tasks(request: Request) -> Response:
        asked.append(request.method)
        return busy()

    async with (
        serving({"/api/tasks": tasks}) as url,
        Gateway(url, token=TOKEN, retry=QUICK) as gateway,
    ):
        with pytest.raises(GatewayError, match="HTTP 503"):
            await gateway.create_task({"name": "nightly", "schedule": ["0 3 * * *"]})

    assert asked == ["POST"]


# ---- a 401 in the middle of a session -------------------------------------------


def session_routes(seen: list[str], good: set[str]) -> dict[str, Callable[..., Any]]:
    """/api/user and /api/job_manager/N: 401 unless the token is in good."""

    async def guarded(request: Request) -> Response:
        token = request.headers.get("authenticate", "")
        seen.append(token)
        if token not in good:
            return JSONResponse({"message": "Session expired"}, status_code=401)
        return JSONResponse({"username": "ana", "id": 7, "state": "running"})

    return {"/api/user": guarded, "/api/job_manager/{job_id}": guarded}


@pytest.mark.asyncio
async def test_concurrent_calls_refused_share_one_sign_in_then_go_on() -> None:
    seen: list[str] = []
    good = {TOKEN}
    prompts: list[int] = []

    async with serving(session_routes(seen, good)) as url:
        gateway = Gateway(url, token=TOKEN, retry=QUICK)

        async def sign_in_again() -> bool:
            prompts.append(1)
            await asyncio.sleep(0.05)  # the person types their password
            good.add(NEW_TOKEN)
            gateway.token = NEW_TOKEN
            return True

        async with gateway:
            await gateway.user()  # the session worked once
            good.discard(TOKEN)  # then it ended
            gateway.reauthenticate = sign_in_again
            jobs = await asyncio.gather(*(gateway.job(7) for _ in range(5)))

    assert prompts == [1]
    assert [job.state for job in jobs] == ["running"] * 5
    assert seen.count(NEW_TOKEN) == 5
    assert gateway.token == NEW_TOKEN


@pytest.mark.asyncio
async def test_a_declined_sign_in_fails_every_waiting_call_asking_once() -> None:
    seen: list[str] = []
    prompts: list[int] = []

    async def decline() -> bool:
        prompts.append(1)
        return False

    async with (
        serving(session_routes(seen, {TOKEN})) as url,
        Gateway(url, token=TOKEN, retry=QUICK) as gateway,
    ):
        await gateway.user()
        gateway.token = "f" * 56  # as if the session ended on the gateway
        gateway.reauthenticate = decline
        results = await asyncio.gather(
            *(gateway.job(7) for _ in range(3)), return_exceptions=True
        )
        with pytest.raises(AuthError):
            await gateway.user()  # later calls are not prompted for again

    assert prompts == [1]
    assert all(isinstance(result, AuthError) for result in results)


@pytest.mark.asyncio
async def test_a_call_is_tried_once_more_only() -> None:
    seen: list[str] = []
    prompts: list[int] = []

    async def sign_in_to_no_avail() -> bool:
        prompts.append(1)
        gateway.token = NEW_TOKEN  # refused as well
        return True

    async with serving(session_routes(seen, set())) as url:
        gateway = Gateway(url, token=TOKEN, retry=QUICK)
        gateway.reauthenticate = sign_in_to_no_avail
        async with gateway:
            with pytest.raises(AuthError):
                await gateway.user()

    assert prompts == [1]
    assert seen == [TOKEN, NEW_TOKEN]


@pytest.mark.asyncio
async def test_a_refused_password_or_no_token_asks_nobody() -> None:
    prompts: list[int] = []

    async def ask() -> bool:
        prompts.append(1)
        return True

    async def login(request: Request) -> Response:
        return JSONResponse({"message": "Invalid credentials"}, status_code=401)

    routes = {"/api/login": login, **session_routes([], set())}
    async with serving(routes) as url, Gateway(url, retry=QUICK) as gateway:
        gateway.reauthenticate = ask
        with pytest.raises(AuthError, match="refused the user name or password"):
            await gateway.login("ana", "wrong")
        with pytest.raises(AuthError):
            await gateway.user()  # no token at all: nothing to renew

    assert prompts == []


# ---- against the sandbox, with its fault options ------------------------------


@pytest.mark.asyncio
async def test_a_followed_job_rides_out_status_answers_with_broken_json(
    no_faults_after: DemoStack,
) -> None:
    # Half the status reads come back as half a JSON body (with this seed,
    # at least one before the job ends: without the rule the test fails):
    # the job was read before, so each is a passing fault.
    from app.jobs import follow

    stack = no_faults_after
    name = "through broken JSON"
    async with Gateway(stack.gateway_url, retry=QUICK) as gateway:
        await gateway.login(stack.username, stack.password)
        job = await gateway.create_job(**trips_body(stack, name))
        set_faults(stack, malformed=0.5, seed=1)
        done = await follow(gateway, job.id, known=job, interval=0.05, max_interval=0.1)
        set_faults(stack, malformed=0.0)

    assert done.state == "done"
    assert done.files
    assert len(jobs_named(stack, name)) == 1


@pytest.mark.slow
@pytest.mark.asyncio
async def test_a_report_runs_through_a_gateway_failing_half_its_answers(
    no_faults_after: DemoStack, tmp_path: Path
) -> None:
    stack = no_faults_after
    events: Events = []
    name = "through 503s"
    gateway = Gateway(
        stack.gateway_url, retry=QUICK, on_connection=lambda *e: events.append(e)
    )
    async with gateway:
        await gateway.login(stack.username, stack.password)
        set_faults(stack, server_errors=0.5, seed=3)

        job = await gateway.create_job(**trips_body(stack, name))
        done = await finished(gateway, job.id)
        paths = [await gateway.download(done.id, f, tmp_path) for f in done.files]
        set_faults(stack, server_errors=0.0)

    assert done.state == "done"
    assert len(jobs_named(stack, name)) == 1
    assert events[0][0] == "reconnecting"
    assert "HTTP 503" in events[0][1]
    assert events[-1] == ("connected", "")
    for path, filename in zip(paths, done.files, strict=True):
        assert path.parent == tmp_path
        assert path.name == filename
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        assert digest == reference_sha256(stack, done.id, filename)


@pytest.mark.slow
@pytest.mark.asyncio
async def test_an_expired_sign_in_is_renewed_once_and_the_report_goes_on(
    no_faults_after: DemoStack, tmp_path: Path
) -> None:
    stack = no_faults_after
    prompts: list[int] = []

    async with Gateway(stack.gateway_url, retry=QUICK) as gateway:

        async def sign_in_again() -> bool:
            prompts.append(1)
            set_faults(stack, token_ttl=None)  # the new session lasts
            async with Gateway(stack.gateway_url) as fresh:
                await fresh.login(stack.username, stack.password)
                gateway.token = fresh.token
            return True

        gateway.reauthenticate = sign_in_again
        await gateway.login(stack.username, stack.password)
        job = await gateway.create_job(**trips_body(stack, "after expiry"))
        # Sessions now end a second after their sign-in, this one included.
        set_faults(stack, token_ttl=1)
        await asyncio.sleep(1.2)

        done = await finished(gateway, job.id)
        path = await gateway.download(done.id, done.files[0], tmp_path)

    assert prompts == [1]
    assert done.state == "done"
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert digest == reference_sha256(stack, done.id, done.files[0])


def test_a_headless_run_signs_in_again_when_its_session_expires(
    no_faults_after: DemoStack, tmp_path: Path
) -> None:
    # Each answer takes 0.25 s and a session lasts 0.6 s: the run's session
    # expires several times; with the password it was given, `run` signs in
    # again and ends with the report's files, its job made once.
    import json
    import os
    import subprocess

    from app.children import app_command

    stack = no_faults_after
    before = len(jobs_named(stack, "Trips"))
    set_faults(stack, latency=0.25, token_ttl=0.6)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PEGASUS_")}
    args = json.dumps({**trips_body(stack, "")["args"], "tz": "UTC"})
    result = subprocess.run(
        app_command(
            "run",
            "--gateway",
            stack.gateway_url,
            "--user",
            stack.username,
            "--script",
            "trips",
            "--out",
            str(tmp_path),
            "--args",
            args,
        ),
        capture_output=True,
        text=True,
        env={**env, "PEGASUS_PASSWORD": stack.password},
        timeout=150,
        check=False,
    )
    set_faults(stack, latency=0.0, token_ttl=None)

    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    saved = [Path(line) for line in result.stdout.splitlines()]
    assert saved
    assert all(path.parent == tmp_path and path.stat().st_size > 0 for path in saved)
    assert len(jobs_named(stack, "Trips")) == before + 1
