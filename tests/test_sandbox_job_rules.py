"""What the sandbox takes in a job and how long a job's token works.

Bodies with numbers or text JSON cannot carry, lifetimes out of range, ids
too large for the database, tokens of closed jobs, updates still arriving
when their job closes, jobs left open past their expiry or without news,
rows stored by older versions, and the site id each database gives
engines. The sandbox is a child process (in one test, an app served in a
thread); the engine is the recording engine of
tests/support/sandbox_engine.py.
"""

import contextlib
import http.client
import json
import logging
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import uvicorn
from support.sandbox_engine import (
    RecordingEngine,
    as_engine,
    create_job,
    sign_in,
    start_sandbox,
    wait_for,
    wait_for_state,
)

from app.children import LocalServer, app_command
from app.sandbox.context import SandboxSettings
from app.sandbox.gateway import build_app
from app.serve import bind_loopback


@pytest.fixture(scope="module")
def engine() -> Iterator[RecordingEngine]:
    recorder = RecordingEngine()
    recorder.start()
    try:
        yield recorder
    finally:
        recorder.stop()


@pytest.fixture(scope="module")
def sandbox(
    tmp_path_factory: pytest.TempPathFactory, engine: RecordingEngine
) -> Iterator[LocalServer]:
    db = tmp_path_factory.mktemp("job-rules") / "sandbox.sqlite3"
    server = start_sandbox(db, engine.url)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def user(sandbox: LocalServer) -> Iterator[httpx.Client]:
    assert sandbox.url
    with sign_in(sandbox.url) as client:
        yield client


# ---- what a job request may hold ---------------------------------------------


def raw_job(client: httpx.Client, text: str) -> httpx.Response:
    """POST a job body written out by hand, as JSON the json module allows."""
    return client.post(
        "/api/job_manager",
        content=text.encode(),
        headers={"Content-Type": "application/json"},
    )


def test_a_number_json_does_not_allow_is_refused_and_the_jobs_stay_readable(
    user: httpx.Client, engine: RecordingEngine
) -> None:
    earlier = create_job(user, engine.url)
    args = {"vehicles": [1], "min_distance": "NUMBER"}
    body = json.dumps(
        {"script": "trips", "engine": engine.url, "expires": 3600, "args": args}
    )
    refused = raw_job(user, body.replace('"NUMBER"', "NaN"))
    too_big = raw_job(user, body.replace('"NUMBER"', "1e400"))

    assert refused.status_code == 400
    assert refused.json()["message"].startswith("args/min_distance:")
    assert too_big.status_code == 400
    assert too_big.json()["message"].startswith("args/min_distance:")
    assert user.get("/api/job_manager").status_code == 200
    assert user.get(f"/api/job_manager/{earlier['id']}").status_code == 200


@pytest.mark.parametrize(
    "expires", ["1e300", "Infinity", "-Infinity", "NaN", "0", "-5", "2592001", '"x"']
)
def test_expires_must_be_from_one_second_to_thirty_days(
    user: httpx.Client, engine: RecordingEngine, expires: str
) -> None:
    body = json.dumps(
        {"script": "trips", "engine": engine.url, "expires": "E", "args": {}}
    )

    answer = raw_job(user, body.replace('"E"', expires))

    assert answer.status_code == 400
    assert answer.json()["message"].startswith("expires")
    assert user.get("/api/job_manager").status_code == 200


def test_thirty_days_is_the_longest_a_job_may_live(
    user: httpx.Client, engine: RecordingEngine
) -> None:
    body = {"script": "trips", "engine": engine.url, "expires": 2592000, "args": {}}

    answer = raw_job(user, json.dumps(body))

    assert answer.status_code == 201
    assert engine.job(user, answer.json()["id"])["configuration"]["job_expires"] == (
        2592000
    )


@pytest.mark.parametrize(
    "path", ["/api/job_manager/99999999999999999999999", "/api/tasks/9" + "9" * 30]
)
def test_an_id_too_large_for_the_database_is_a_404(
    user: httpx.Client, path: str
) -> None:
    answer = user.get(path)

    assert answer.status_code == 404
    assert answer.json()["message"]


# ---- a job's token lives as long as the job is open ----------------------------


@pytest.mark.parametrize("end", ["done", "error"])
def test_a_job_token_stops_working_when_its_job_ends(
    user: httpx.Client, engine: RecordingEngine, end: str
) -> None:
    job = create_job(user, engine.url)
    token = engine.token(user, job["id"])

    with as_engine(user, token) as worker:
        before = worker.get("/api/vehicles")
        closing = worker.put(f"/api/job_manager/{job['id']}", json={"state": end})
        after = [
            worker.get("/api/vehicles"),
            worker.get("/api/rawdata", params={"vehicles": "1", "duration": "PT1H"}),
            worker.get(f"/api/job_manager/{job['id']}"),
            worker.put(f"/api/job_manager/{job['id']}", json={"state": "running"}),
        ]

    assert before.status_code == 200
    assert closing.status_code == 200
    assert [answer.status_code for answer in after] == [401] * 4
    assert f"job {job['id']} is {end}" in after[0].json()["message"]
    assert user.get(f"/api/job_manager/{job['id']}").json()["state"] == end


# ---- each database is its own site ---------------------------------------------


def site_id_of(db: Path, *extra: str) -> int:
    server = LocalServer(
        "sandbox", app_command("sandbox", "--port", "0", "--db", str(db), *extra)
    )
    url = server.start()
    try:
        site_id: int = httpx.get(f"{url}/api", timeout=10).json()["pegasus_id"]
    finally:
        server.stop()
    return site_id


def test_each_database_has_its_own_site_id_kept_across_restarts(
    tmp_path: Path,
) -> None:
    first = site_id_of(tmp_path / "first.sqlite3")
    second = site_id_of(tmp_path / "second.sqlite3")

    assert first != second
    assert site_id_of(tmp_path / "first.sqlite3") == first
    assert site_id_of(tmp_path / "first.sqlite3", "--site-id", "7") == 7
    assert site_id_of(tmp_path / "first.sqlite3") == first


def test_a_job_still_open_when_it_expires_ends_in_error(
    tmp_path: Path, engine: RecordingEngine
) -> None:
    server = LocalServer(
        "sandbox",
        app_command("sandbox", "--port", "0", "--db", str(tmp_path / "s.sqlite3"),
                    "--engine", engine.url, "--engine-check-every", "0.2"),
    )  # fmt: skip
    url = server.start()
    try:
        with sign_in(url) as client:
            created = client.post(
                "/api/job_manager",
                json={"script": "mileage", "engine": engine.url, "expires": 1},
            ).json()
            engine.job(client, created["id"])  # dispatched, and never reported
            ended = wait_for_state(client, created["id"], "error")
    finally:
        server.stop()

    assert ended["result"]["error"] == (
        "the job expired before its engine reported its end"
    )


# ---- an update still arriving when its job closes -------------------------------


class SlowPut:
    """A job update sent in two halves: until finish(), the sandbox has its
    headers and half its body, and waits for the rest."""

    def __init__(self, url: str, job_id: int, token: str, body: dict[str, Any]):
        data = json.dumps(body).encode()
        parts = urlsplit(url)
        self._rest = data[len(data) // 2 :]
        self._connection = http.client.HTTPConnection(
            str(parts.hostname), parts.port, timeout=30
        )
        self._connection.putrequest("PUT", f"/api/job_manager/{job_id}")
        for name, value in (
            ("Authenticate", token),
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(data))),
        ):
            self._connection.putheader(name, value)
        self._connection.endheaders(message_body=data[: len(data) // 2])

    def finish(self) -> tuple[int, dict[str, Any]]:
        self._connection.send(self._rest)
        answer = self._connection.getresponse()
        try:
            return answer.status, json.loads(answer.read())
        finally:
            self._connection.close()


def test_an_update_still_arriving_when_its_job_closes_changes_nothing(
    user: httpx.Client, engine: RecordingEngine
) -> None:
    job = create_job(user, engine.url)
    token = engine.token(user, job["id"])
    slow = SlowPut(
        str(user.base_url),
        job["id"],
        token,
        {"state": "running", "progress": {"percentage": 50}},
    )
    # One whole round trip later, the sandbox has read the slow one's headers.
    assert user.get("/api").status_code == 200

    with as_engine(user, token) as worker:
        closing = worker.put(f"/api/job_manager/{job['id']}", json={"state": "done"})
        status, answer = slow.finish()
        afterwards = worker.get("/api/vehicles")

    assert closing.status_code == 200
    assert status == 409
    assert answer["message"] == (
        f"job {job['id']} is already done; it takes no more updates"
    )
    stored = user.get(f"/api/job_manager/{job['id']}").json()
    assert stored["state"] == "done"
    assert stored["progress"] == {}
    assert afterwards.status_code == 401  # the token did not come back to life


def test_an_update_still_arriving_cannot_undo_the_watchdogs_error(
    tmp_path: Path, engine: RecordingEngine
) -> None:
    server = LocalServer(
        "sandbox",
        app_command("sandbox", "--port", "0", "--db", str(tmp_path / "s.sqlite3"),
                    "--engine", engine.url, "--engine-check-every", "0.2"),
    )  # fmt: skip
    url = server.start()
    try:
        with sign_in(url) as client:
            created = client.post(
                "/api/job_manager",
                json={"script": "mileage", "engine": engine.url, "expires": 3},
            ).json()
            token = engine.token(client, created["id"])
            slow = SlowPut(url, created["id"], token, {"state": "done"})
            assert client.get("/api").status_code == 200
            closed = wait_for_state(client, created["id"], "error")
            status, _ = slow.finish()
            stored = client.get(f"/api/job_manager/{created['id']}").json()
    finally:
        server.stop()

    # 409 once its headers were read in time, 401 had the job expired first.
    assert status in (401, 409)
    expired = "the job expired before its engine reported its end"
    assert closed["result"]["error"] == expired
    assert (stored["state"], stored["result"]["error"]) == ("error", expired)


# ---- text JSON cannot carry ------------------------------------------------------


def test_an_update_with_a_lone_surrogate_is_a_400_naming_the_place(
    user: httpx.Client, engine: RecordingEngine
) -> None:
    job = create_job(user, engine.url)
    token = engine.token(user, job["id"])

    with as_engine(user, token) as worker:
        answer = worker.put(
            f"/api/job_manager/{job['id']}",
            content=b'{"state": "error", "result": {"error": "lost \\ud800"}}',
            headers={"Content-Type": "application/json"},
        )

    assert answer.status_code == 400
    assert answer.json()["message"].startswith(
        "result/error: the text holds a lone surrogate"
    )
    assert user.get(f"/api/job_manager/{job['id']}").json()["state"] == "created"
    assert user.get("/api/job_manager").status_code == 200


@pytest.mark.parametrize("field", ["name", "script", "engine"])
def test_a_job_with_a_lone_surrogate_is_a_400_naming_the_field(
    user: httpx.Client, engine: RecordingEngine, field: str
) -> None:
    body = {"script": "trips", "name": "Trips", "engine": engine.url, "args": {}}
    text = json.dumps({**body, field: "FIELD"}).replace('"FIELD"', '"x\\udfff"')

    answer = raw_job(user, text)

    assert answer.status_code == 400
    assert answer.json()["message"].startswith(f"{field}: the text holds a lone")
    assert user.get("/api/job_manager").status_code == 200


def test_rows_an_older_version_stored_are_answered_cleaned(
    tmp_path: Path, engine: RecordingEngine
) -> None:
    db = tmp_path / "old.sqlite3"
    server = start_sandbox(db, engine.url)
    try:
        with sign_in(str(server.url)) as client:
            job = create_job(client, engine.url)
    finally:
        server.stop()
    # What an older sandbox let in: NaN, infinities, half a character.
    with contextlib.closing(sqlite3.connect(db)) as old, old:
        old.execute(
            "UPDATE jobs SET progress = ?, result = ?, params = ? WHERE id = ?",
            (
                '{"percentage": NaN}',
                '{"error": "lost \\ud800"}',
                '{"vehicles": [1], "\\udfff": -Infinity}',
                job["id"],
            ),
        )

    server = start_sandbox(db, engine.url)
    try:
        with sign_in(str(server.url)) as client:
            listed = client.get("/api/job_manager")
            one = client.get(f"/api/job_manager/{job['id']}")
    finally:
        server.stop()

    assert listed.status_code == 200
    assert one.status_code == 200
    stored = one.json()
    assert listed.json()["data"] == [stored]
    assert stored["progress"] == {"percentage": None}
    assert stored["result"] == {"error": "lost \ufffd"}
    assert stored["params"] == {"vehicles": [1], "\ufffd": None}


# ---- jobs nobody works on ----------------------------------------------------------


def test_a_job_whose_engine_sends_no_news_ends_in_error(
    tmp_path: Path, engine: RecordingEngine
) -> None:
    # The recording engine answers every check and never reports on a job:
    # like an engine restarted on the same port, which forgot its jobs.
    server = LocalServer(
        "sandbox",
        app_command("sandbox", "--port", "0", "--db", str(tmp_path / "s.sqlite3"),
                    "--engine", engine.url, "--engine-check-every", "0.2",
                    "--job-stall", "1"),
    )  # fmt: skip
    url = server.start()
    try:
        with sign_in(url) as client:
            job = create_job(client, engine.url)
            engine.job(client, job["id"])
            ended = wait_for_state(client, job["id"], "error")
    finally:
        server.stop()

    assert ended["result"]["error"] == (
        f"the engine {engine.url} sent no news of the job for 1 second"
    )
    assert ended["done_at"] is not None


@contextlib.contextmanager
def sandbox_app(db: Path, *engines: str) -> Iterator[str]:
    """A sandbox app served in a thread of the test, with engines as given:
    settings the command line would refuse. Yields its URL."""
    sock = bind_loopback(0)
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    app = build_app(SandboxSettings(db_path=db, engines=engines), url)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]})
    thread.start()
    try:
        wait_for(lambda: server.started or not thread.is_alive(), "the sandbox")
        yield url
    finally:
        server.should_exit = True
        thread.join(30)
        sock.close()


def test_a_job_whose_dispatch_fails_in_any_way_ends_in_error(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # A port out of range makes the connection raise OverflowError, which
    # is no HTTP error; the job must not stay `created` for nobody.
    engine = "http://127.0.0.1:99999"
    caplog.set_level(logging.WARNING, logger="app.sandbox.jobs")

    with sandbox_app(tmp_path / "s.sqlite3", engine) as url, sign_in(url) as client:
        job = create_job(client, engine)
        ended = wait_for_state(client, job["id"], "error")

    assert ended["result"]["error"].startswith(
        f"the job could not be sent to the engine {engine} (OverflowError: "
    )
    assert f"job {job['id']} could not be sent to {engine}" in caplog.text
